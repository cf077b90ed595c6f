"""Migration 0007 adds the delivery row's anchor on its event chain and fills it from the events already stored:
after it, existing deliveries verify, and removing their newest event is caught."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from hub.config import Config
from hub.db.engine import alembic_config, make_engine
from hub.db.models import DeliveryEvent
from hub.ledger.events import GENESIS_HASH, link_hash, load_chain, verify_chain
from hub.runtime import build_runtime

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BEFORE = ("0003_capacity", "0004_routes", "0005_execution", "0006_secrets_at_rest")  # every head before 0007
# The tables as plain SQL sees them before 0007: the hub's models already have the new columns.
TENANTS = sa.table("tenants", *(sa.column(c) for c in ("id", "name", "created_at")), sa.column("settings", JSON))
DELIVERIES = sa.table(
    "deliveries", *(sa.column(c) for c in ("id", "tenant_id", "source_key", "source_connector", "external_id",
                                           "status", "service_level", "version", "created_at", "updated_at")),
    sa.column("document", JSON))
EVENTS = sa.table(
    "delivery_events", *(sa.column(c) for c in ("id", "tenant_id", "delivery_id", "sequence", "type", "occurred_at",
                                                "recorded_at", "prev_hash", "hash")),
    sa.column("actor", JSON), sa.column("data", JSON))


def chain(delivery_id: str, statuses: list[str], start: datetime) -> list[DeliveryEvent]:
    """Events as the hub wrote them before 0007: created (received), then one status change per status."""
    doc = {"id": delivery_id, "status": "received"}
    events: list[DeliveryEvent] = []
    kinds = [("delivery.created", {"delivery": doc})] + [
        ("delivery.status_changed", {"status": s, "previous_status": p, "reason": ""})
        for p, s in zip(["received", *statuses], statuses)]
    for sequence, (kind, data) in enumerate(kinds, start=1):
        at = start + timedelta(minutes=sequence)
        event = DeliveryEvent(id=f"evt_{delivery_id}_{sequence}", tenant_id="ten_1", delivery_id=delivery_id,
                              sequence=sequence, type=kind, occurred_at=at, recorded_at=at,
                              actor={"kind": "system", "id": "hub"}, data=data,
                              prev_hash=events[-1].hash if events else GENESIS_HASH)
        event.hash = link_hash(event.prev_hash, event)
        events.append(event)
    return events


def delivery_row(delivery_id: str, status: str, now: datetime) -> dict[str, Any]:
    return {"id": delivery_id, "tenant_id": "ten_1", "source_key": "api", "source_connector": "api",
            "external_id": delivery_id, "status": status, "service_level": "unknown", "version": 1,
            "created_at": now, "updated_at": now, "document": {"id": delivery_id, "status": status}}


def test_the_migration_fills_the_anchor_from_the_stored_events(empty_database):
    url = empty_database.replace("postgresql://", "postgresql+psycopg://", 1)
    for revision in BEFORE:
        command.upgrade(alembic_config(url), revision)
    engine, now = make_engine(url), datetime.now(timezone.utc).replace(microsecond=123456)
    stored = {"dlv_a": chain("dlv_a", ["assigned", "planned", "cancelled"], now), "dlv_b": chain("dlv_b", [], now)}
    with engine.begin() as conn:
        conn.execute(TENANTS.insert().values(id="ten_1", name="legacy", settings={}, created_at=now))
        for delivery_id, status in (("dlv_a", "cancelled"), ("dlv_b", "received"), ("dlv_none", "received")):
            conn.execute(DELIVERIES.insert().values(**delivery_row(delivery_id, status, now)))
        for event in (e for events in stored.values() for e in events):
            conn.execute(EVENTS.insert().values(**{c.name: getattr(event, c.name) for c in EVENTS.columns}))

    migrated = build_runtime(Config.from_env(database_url=empty_database), run_migrations=True)  # to heads
    try:
        with engine.connect() as conn:
            heads = {row.id: (row.events_head_sequence, row.events_head_hash) for row in conn.execute(
                text("SELECT id, events_head_sequence, events_head_hash FROM deliveries"))}
        assert heads == {"dlv_a": (4, stored["dlv_a"][-1].hash), "dlv_b": (1, stored["dlv_b"][0].hash),
                         "dlv_none": (None, None)}
        with migrated.sessions() as session:
            for delivery_id in ("dlv_a", "dlv_b", "dlv_none"):
                assert verify_chain(*load_chain(session, delivery_id)).ok, delivery_id
        with engine.begin() as conn:  # now a removal at the end is caught
            conn.execute(text("DELETE FROM delivery_events WHERE id = 'evt_dlv_a_4'"))
            conn.execute(text("UPDATE deliveries SET status = 'planned' WHERE id = 'dlv_a'"))
        with migrated.sessions() as session:
            report = verify_chain(*load_chain(session, "dlv_a"))
        assert (report.ok, report.broken_at, report.kind) == (False, 4, "event")
        assert report.reason == "events after sequence 3 are missing (the delivery's record says the chain ends at 4)"

        command.downgrade(alembic_config(url), "0007_events_head-1")
        with engine.connect() as conn:
            assert "events_head_sequence" not in {c["name"] for c in sa.inspect(conn).get_columns("deliveries")}
            assert conn.execute(text("SELECT count(*) FROM delivery_events")).scalar_one() == 4  # kept on SQLite too
    finally:
        migrated.close()
        engine.dispose()
