"""The HTTP API (flask-smorest blueprints under /api/v1, inbound hooks, media): requests in, rooms called.

Each module is one resource; none holds logic a job or the CLI would need: they call the rooms for that.
"""
