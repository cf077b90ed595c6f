"""Every moment is stored in UTC and read back aware, on SQLite as on PostgreSQL (hub.db.types.UtcDateTime)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select, text

from hub.db.engine import transaction
from hub.db.models import Tenant

BERLIN_WINTER = timezone(timedelta(hours=1))


def test_an_offset_survives_the_round_trip_and_comparisons_use_the_instant(clean):
    moment = datetime(2026, 11, 26, 10, 48, 44, tzinfo=BERLIN_WINTER)  # 09:48:44 UTC
    with transaction(clean.sessions) as session:
        session.add(Tenant(id="ten_berlin", name="berlin", created_at=moment))
    with clean.sessions() as session:
        stored = session.get(Tenant, "ten_berlin").created_at
        assert stored == moment and stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
        # Comparisons use the instant, whatever the offsets: 04:30-05:00 is 09:30 UTC and 10:00+01:00 is 09:00 UTC,
        # both before the tenant's 09:48 UTC; 10:50 UTC is after it.
        new_york = datetime(2026, 11, 26, 4, 30, tzinfo=timezone(timedelta(hours=-5)))
        assert session.scalar(select(Tenant.id).where(Tenant.created_at > new_york)) == "ten_berlin"
        assert session.scalar(select(Tenant.id).where(
            Tenant.created_at > datetime(2026, 11, 26, 10, 0, tzinfo=BERLIN_WINTER))) == "ten_berlin"
        assert session.scalar(select(Tenant.id).where(
            Tenant.created_at > datetime(2026, 11, 26, 10, 50, tzinfo=timezone.utc))) is None
    if clean.engine.dialect.name == "sqlite":  # what the file holds: the UTC wall clock
        with clean.engine.connect() as conn:
            raw = conn.execute(text("SELECT created_at FROM tenants WHERE id = 'ten_berlin'")).scalar_one()
        assert str(raw).startswith("2026-11-26 09:48:44")
