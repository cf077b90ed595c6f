"""The Alembic migrations build exactly the tables the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from hub.db import models  # noqa: F401  (importing the package registers every table on Base.metadata)
from hub.db.engine import migrate
from hub.db.models import Base


def test_models_and_migrations_agree(runtime):
    migrate(runtime.config.database_url)  # running again is a no-op
    with runtime.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_embedded_redis_starts_once_and_is_reused(tmp_path):
    from hub.embedded_redis import ensure_embedded_redis, stop_embedded_redis

    first = ensure_embedded_redis(tmp_path)
    try:
        assert ensure_embedded_redis(tmp_path) == first
        import redis

        assert redis.Redis.from_url(first).ping()
    finally:
        stop_embedded_redis(tmp_path)
