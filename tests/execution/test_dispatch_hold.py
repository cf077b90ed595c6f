"""Own-fleet dispatch holds a stop while its warehouse is still picking it; it goes once reported ready."""

from __future__ import annotations

from hub.db.engine import transaction
from hub.db.models import Delivery
from hub.ledger.events import append_event
from tests.execution.setup import driver_headers, make_driver, plan_route, post_delivery


def warehouse_stage(runtime, delivery_id: str, stage: str) -> None:  # type: ignore[no-untyped-def]
    with transaction(runtime.sessions) as session:
        append_event(session, session.get(Delivery, delivery_id), "delivery.warehouse",
                     {"stage": stage, "applied": True}, actor={"kind": "warehouse", "id": "wh-1"})


def test_a_stop_the_warehouse_has_not_released_is_held(client, tenant, run_jobs, clean):
    picking = post_delivery(client, tenant, run_jobs, "ORD-1")
    untouched = post_delivery(client, tenant, run_jobs, "ORD-2")
    driver = make_driver(client, tenant)
    plan_route(clean, driver, [picking, untouched])
    headers = driver_headers(clean, tenant["id"], driver["id"])
    with transaction(clean.sessions) as session:  # the warehouse is picking it and has said nothing since
        delivery = session.get(Delivery, picking)
        delivery.document = {**delivery.document, "pickup": {k: v for k, v in delivery.document["pickup"].items()
                                                             if k != "ready_at"}}
    warehouse_stage(clean, picking, "picking_started")

    started = client.post("/api/v1/driver/route/start", headers=headers).json["stops"]
    by_id = {s["delivery_id"]: s for s in started}
    assert by_id[untouched]["changed"] is True  # no warehouse involved: never held
    assert by_id[picking]["changed"] is False and by_id[picking]["reason"].startswith("held")

    with transaction(clean.sessions) as session:
        delivery = session.get(Delivery, picking)
        delivery.document = {**delivery.document,
                             "pickup": {**delivery.document["pickup"], "ready_at": "2020-01-01T08:00:00Z"}}
    warehouse_stage(clean, picking, "ready_for_dispatch")
    again = {s["delivery_id"]: s for s in client.post("/api/v1/driver/route/start", headers=headers).json["stops"]}
    assert again[picking]["changed"] is True and again[picking]["status"] == "in_transit"
