"""Planning: a depot's day of own-fleet deliveries turned into stored, versioned route plans.

Builds the solver's problem from deliveries, depots and vehicles, plans and re-plans (hub/routing is the
engine), records progress at stops, and lets dispatchers read, lock and steer plans.
"""
