"""Routing: the solver, pure. A `Problem` (stops, vehicles, time windows, capacities) in, a plan out.

OR-Tools and PyVRP back it; nothing here touches the database, Redis or the clock. Stored and re-planned
days live in hub/planning; file formats in routing/formats.
"""
