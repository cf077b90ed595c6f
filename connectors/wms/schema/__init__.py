"""The warehouse event JSON Schema (a package only so that the .json ships in wheels)."""
