"""Storage: the tables (models/), engines and sessions, Alembic migrations, secrets at rest and media files."""
