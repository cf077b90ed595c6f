"""Jobs: the outbox handlers, one module per kind of work. Small, idempotent, ids in; never Flask.

Each takes `(runtime, item_id)`, calls the rooms that do the work, and is named by hub/outbox/kinds.py.
"""
