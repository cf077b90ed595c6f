"""The read model: rebuilt from the ledger it equals what the incremental feed wrote; replaying an event changes
nothing; the CLI rebuild answers per tenant."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner
from sqlalchemy import select

from hub.analytics.feed import rebuild_tenant
from hub.cli import main
from hub.db.engine import transaction
from hub.db.models import DeliveryEvent, OutboxItem
from hub.db.models.analytics import DeliveryFact, RouteDayFact
from hub.jobs.analytics import on_event
from hub.outbox.rows import add_outbox
from tests.analytics import history
from tests.api.test_deliveries_api import example_input


def snapshot(runtime, tenant_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with runtime.sessions() as session:
        for model, key in ((DeliveryFact, "delivery_id"), (RouteDayFact, "route_key")):
            for row in session.execute(select(model).where(model.tenant_id == tenant_id)).scalars():
                values = {c: getattr(row, c) for c in model.__table__.columns.keys() if c != "refreshed_at"}
                out[f"{model.__tablename__}:{values[key]}"] = values
    return out


def test_rebuild_from_the_ledger_equals_the_incremental_feed(clean, client, tenant, run_jobs):
    history.build(clean, client, tenant, run_jobs)
    incremental = snapshot(clean, tenant["id"])
    assert len([k for k in incremental if k.startswith("analytics_delivery_facts")]) == len(history.ORDERS)
    assert len([k for k in incremental if k.startswith("analytics_route_facts")]) == 2
    with transaction(clean.sessions) as session:
        session.execute(DeliveryFact.__table__.delete())  # start from nothing: only the ledger is left
        result = rebuild_tenant(session, tenant["id"])
    assert result.deliveries == len(history.ORDERS) and result.routes == 2
    assert snapshot(clean, tenant["id"]) == incremental


def test_replaying_an_event_changes_nothing(clean, client, tenant, run_jobs):
    ids = history.build(clean, client, tenant, run_jobs)
    before = snapshot(clean, tenant["id"])
    with transaction(clean.sessions) as session:
        events = session.execute(select(DeliveryEvent).where(DeliveryEvent.delivery_id.in_([ids["A"], ids["C"]]))
                                 .order_by(DeliveryEvent.sequence)).scalars().all()
        rows = [add_outbox(session, tenant_id=tenant["id"], kind="analytics", event_id=e.id,
                           payload={"event_id": e.id, "delivery_id": e.delivery_id}).id for e in events[:4]]
    for item_id in rows + rows:  # an old event after newer ones, and each twice
        on_event(clean, item_id)
    assert snapshot(clean, tenant["id"]) == before


def test_cli_rebuild_names_each_tenant(clean, client, tenant, run_jobs):
    history.build(clean, client, tenant, run_jobs)
    result = CliRunner().invoke(main, ["analytics", "rebuild", "--tenant", tenant["name"], "--json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)["tenants"]
    assert row["tenant_id"] == tenant["id"] and row["deliveries"] == len(history.ORDERS) and row["route_days"] == 2
    with clean.sessions() as session:
        assert session.scalar(select(OutboxItem.id).where(OutboxItem.kind == "analytics",
                                                          OutboxItem.state == "dead")) is None
    missing = CliRunner().invoke(main, ["analytics", "rebuild", "--tenant", "nobody"])
    assert missing.exit_code != 0 and "no tenant named 'nobody'" in missing.output


def test_events_that_find_their_deliverys_analytics_row_waiting_add_none(clean, client, tenant, run_jobs):
    delivery_id = client.post("/api/v1/deliveries", json=example_input("COALESCE-1"), headers=tenant["headers"]).json["id"]
    assert client.post(f"/api/v1/deliveries/{delivery_id}/cancel", json={"reason": "changed my mind"},
                       headers=tenant["headers"]).status_code < 300
    with clean.sessions() as session:  # created and cancelled: one row waits for both
        waiting = session.execute(select(OutboxItem).where(OutboxItem.kind == "analytics")).scalars().all()
    assert [row.dedupe_key for row in waiting] == [f"analytics:{delivery_id}"]
    run_jobs()
    with clean.sessions() as session:
        assert session.get(DeliveryFact, delivery_id).status == "cancelled"  # it read the whole history
