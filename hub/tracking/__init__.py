"""Tracking intelligence: ETAs recomputed from the road, exceptions detected, service recovery on failures."""
