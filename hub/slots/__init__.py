"""Delivery slots: which 2-hour windows a depot can still serve (tried by insertion into the day's plan),
reservations that hold one for a while, and their confirmation when the order arrives."""
