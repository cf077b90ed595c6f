"""Migration 0017 adds deliveries.window_day (the day the console lists a delivery on) and fills it for the
deliveries already stored, from each one's promised window as written, else its creation date."""

from __future__ import annotations

from datetime import date, datetime, timezone

import sqlalchemy as sa
from alembic import command
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from hub.db.engine import alembic_config, make_engine

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TENANTS = sa.table("tenants", *(sa.column(c) for c in ("id", "name", "created_at")), sa.column("settings", JSON))
DELIVERIES = sa.table(
    "deliveries", *(sa.column(c) for c in ("id", "tenant_id", "source_key", "source_connector", "external_id",
                                           "status", "service_level", "version", "created_at", "updated_at")),
    sa.column("document", JSON))
WINDOWS = {  # id: promised window start as the store wrote it, and the day the console lists it on
    "dlv_berlin": ("2030-03-12T00:30:00+01:00", date(2030, 3, 12)),  # still the 11th in UTC: the window's own day
    "dlv_utc": ("2030-03-20T09:00:00Z", date(2030, 3, 20)),
    "dlv_none": (None, date(2030, 3, 1)),  # no window: the day it was created
    "dlv_garbled": ("soon", date(2030, 3, 1)),
}


def test_the_migration_fills_each_deliverys_day(empty_database):
    url = empty_database.replace("postgresql://", "postgresql+psycopg://", 1)
    command.upgrade(alembic_config(url), "0016_known_addresses")
    engine, created = make_engine(url), datetime(2030, 3, 1, 10, 0, tzinfo=timezone.utc)
    try:
        with engine.begin() as conn:
            conn.execute(TENANTS.insert().values(id="ten_1", name="legacy", settings={}, created_at=created))
            for delivery_id, (start, _) in WINDOWS.items():
                document = {"id": delivery_id, **({"promised_window": {"start": start}} if start else {})}
                conn.execute(DELIVERIES.insert().values(
                    id=delivery_id, tenant_id="ten_1", source_key="api", source_connector="api", external_id=delivery_id,
                    status="received", service_level="unknown", version=1, created_at=created, updated_at=created,
                    document=document))
        command.upgrade(alembic_config(url), "0017_delivery_window_day")
        with engine.connect() as conn:
            days = dict(conn.execute(text("SELECT id, window_day FROM deliveries")).all())
        assert {k: date.fromisoformat(str(v)) for k, v in days.items()} == {k: day for k, (_, day) in WINDOWS.items()}
    finally:
        engine.dispose()
