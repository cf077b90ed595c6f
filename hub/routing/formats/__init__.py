"""File formats around the solver: Solomon and VRPLIB instances, VROOM output, GeoJSON of a plan."""
