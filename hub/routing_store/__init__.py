"""Route planning around the solver: deliveries in, stored and versioned plans out (hub/routing is the engine)."""
