"""A day of own-fleet deliveries end to end: API in -> assignment -> one debounced plan -> version 1, planned
statuses and route events; a cancellation re-plans to version 2 around frozen stops; stale plans never win."""

from __future__ import annotations

from sqlalchemy import select

from hub.db.engine import transaction
from hub.db.models import Delivery
from hub.deliveries import change_status
from hub.jobs.plan_routes import job_id_for, plan_depot_day
from hub.routing_store.models import RoutePlanRow
from hub.routing_store.planner import compute, persist
from tests.routing_store.setup import (
    events, fleet, noon_offset_min, plan_day, post_day, release_scheduled, scheduled_ids, set_time_limit,
)


def _plan_a_day(client, tenant, run_jobs, clean):
    h = tenant["headers"]
    set_time_limit(clean, tenant["id"], 1)
    offset = noon_offset_min()
    setup = fleet(client, h, offset)
    day = plan_day(offset)
    ids = post_day(client, h, day, offset)
    run_jobs()
    depot_id = setup["depot"]["id"]
    # Thirty assignments, one debounced plan job waiting in the scheduler.
    assert scheduled_ids(clean) == [job_id_for(tenant["id"], depot_id, day.isoformat())]
    release_scheduled(clean)
    run_jobs()
    return setup, day, ids


def test_a_day_is_planned_once_and_cancelling_re_plans_around_what_happened(client, tenant, run_jobs, clean):
    h = tenant["headers"]
    setup, day, ids = _plan_a_day(client, tenant, run_jobs, clean)
    depot_id, cold_van = setup["depot"]["id"], setup["vans"][0]["id"]

    plans = client.get(f"/api/v1/plans?depot_id={depot_id}&date={day.isoformat()}", headers=h).json["items"]
    assert [(p["version"], p["status"]) for p in plans] == [(1, "active")]
    v1 = client.get(f"/api/v1/plans/{plans[0]['id']}", headers=h).json
    routed = [s["delivery_id"] for r in v1["routes"] for s in r["stops"]]
    assert sorted(routed) == sorted(ids) and v1["unassigned"] == []
    assert next(r for r in v1["routes"] if ids[0] in [s["delivery_id"] for s in r["stops"]])["vehicle_id"] == cold_van
    for route in v1["routes"]:
        assert route["driver_id"] and route["distance_m"] > 0
        parcels = [s["load_after"]["parcels"] for s in route["stops"]]
        assert parcels == sorted(parcels, reverse=True) and parcels[-1] == 0
    for delivery_id in ids:
        assert client.get(f"/api/v1/deliveries/{delivery_id}", headers=h).json["status"] == "planned"
        planned = [e for e in events(client, h, delivery_id) if e["type"] == "route.planned"]
        assert len(planned) == 1 and planned[0]["data"]["plan_id"] == v1["id"] and planned[0]["data"]["version"] == 1

    # The day starts: the first van delivers its first two stops, the rest of its load is on board.
    started = max(v1["routes"], key=lambda r: len(r["stops"]))
    other = next(r for r in v1["routes"] if r["vehicle_id"] != started["vehicle_id"] and len(r["stops"]) >= 2)
    with transaction(clean.sessions) as session:
        for n, stop in enumerate(started["stops"]):
            d = session.get(Delivery, stop["delivery_id"])
            change_status(session, d, "dispatched", actor={"kind": "driver", "id": "drv"})
            if n < 2:
                change_status(session, d, "delivered", actor={"kind": "driver", "id": "drv"})
    cancelled = other["stops"][1]["delivery_id"]
    assert client.post(f"/api/v1/deliveries/{cancelled}/cancel", json={"reason": "customer"}, headers=h).status_code == 200
    run_jobs()
    assert scheduled_ids(clean) == [job_id_for(tenant["id"], depot_id, day.isoformat())]
    release_scheduled(clean)
    run_jobs()

    plans = client.get(f"/api/v1/plans?depot_id={depot_id}&date={day.isoformat()}", headers=h).json["items"]
    assert [(p["version"], p["status"]) for p in plans] == [(2, "active"), (1, "superseded")]
    v2 = client.get(f"/api/v1/plans/{plans[0]['id']}", headers=h).json
    routes = {r["vehicle_id"]: r for r in v2["routes"]}
    frozen = routes[started["vehicle_id"]]["stops"]
    for before, after in zip(started["stops"][:2], frozen[:2]):  # history exactly as planned and done
        assert (after["delivery_id"], after["arrival"], after["departure"], after["state"]) == \
            (before["delivery_id"], before["arrival"], before["departure"], "completed")
    # Parcels on the started van stay on it.
    assert {s["delivery_id"] for s in frozen} == {s["delivery_id"] for s in started["stops"]}
    v2_ids = [s["delivery_id"] for r in v2["routes"] for s in r["stops"]]
    assert cancelled not in v2_ids and cancelled not in [u["delivery_id"] for u in v2["unassigned"]]
    assert sorted(v2_ids + [u["delivery_id"] for u in v2["unassigned"]]) == sorted(set(ids) - {cancelled})
    assert client.get(f"/api/v1/deliveries/{cancelled}", headers=h).json["status"] == "cancelled"


def test_a_plan_never_overwrites_a_newer_one(client, tenant, run_jobs, clean):
    setup, day, _ = _plan_a_day(client, tenant, run_jobs, clean)
    depot_id = setup["depot"]["id"]
    with clean.sessions() as session:
        slow = compute(session, tenant["id"], depot_id, day, time_limit_s=1)  # based on version 1
    assert plan_depot_day(tenant["id"], depot_id, day.isoformat(), 1, "test")["version"] == 2
    with transaction(clean.sessions) as session:
        assert persist(session, slow, trigger="slow") is None
    with clean.sessions() as session:
        rows = session.execute(select(RoutePlanRow.version, RoutePlanRow.status, RoutePlanRow.trigger)
                               .order_by(RoutePlanRow.version)).all()
    assert [tuple(r) for r in rows] == [(1, "superseded", "delivery.assigned"), (2, "active", "test")]
