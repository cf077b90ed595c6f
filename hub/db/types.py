"""Column types shared by every table."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A moment, stored in UTC and read back aware (UTC) on every database.

    SQLite keeps no offsets: SQLAlchemy writes an aware datetime's wall clock as it is, so 10:48+01:00 was
    stored as 10:48 and read back as 10:48 UTC, an hour off, and compared as text against other offsets.
    Converting on the way in and marking UTC on the way out makes SQLite behave like PostgreSQL.
    A naive value is taken to be UTC already (the hub's own clock, `utcnow`, is aware)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is None:
            return value
        utc = value.astimezone(timezone.utc)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
