"""A day of own-fleet deliveries end to end: API in -> assignment -> one debounced plan -> version 1, planned
statuses and route events; a cancellation re-plans to version 2 around frozen stops; stale plans never win."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from hub.canonical.validation import validate_document
from hub.db.engine import transaction
from hub.db.models import Delivery
from hub.db.models.planning import RoutePlanRow
from hub.ledger.deliveries import change_status
from hub.planning.days import job_id_for, plan_depot_day
from hub.planning.planner import compute, persist
from hub.planning.service import mark_eta_sent
from tests.planning.setup import (
    delivery,
    events,
    fleet,
    noon_offset_min,
    plan_day,
    post,
    post_day,
    release_scheduled,
    scheduled_ids,
    set_time_limit,
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
        assert len(planned) == 1 and planned[0]["data"]["route_id"].startswith(f"{v1['id']}:")
        assert validate_document("events/route_planned.v1", planned[0]["data"]) == []
        assert planned[0]["data"]["stops"][0]["delivery_id"] == delivery_id

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
    promised = other["stops"][-1]  # the customer was told a 30-minute window around the planned service start
    told = datetime.fromisoformat(promised["service_start"])
    with transaction(clean.sessions) as session:
        mark_eta_sent(session, tenant["id"], promised["delivery_id"], told - timedelta(minutes=15),
                      told + timedelta(minutes=15))
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
    kept = next(s for r in v2["routes"] for s in r["stops"] if s["delivery_id"] == promised["delivery_id"])
    assert kept["eta_sent_window"] is not None
    assert abs(datetime.fromisoformat(kept["service_start"]) - told) <= timedelta(minutes=15)
    updated = [e["data"] for d in v2_ids for e in events(client, h, d) if e["type"] == "route.updated"]
    assert all(validate_document("events/route_updated.v1", u) == [] for u in updated)
    assert not {u["stops"][0]["delivery_id"] for u in updated} & {s["delivery_id"] for s in started["stops"][:2]}


def test_new_deliveries_re_plan_the_day_and_a_plan_never_overwrites_a_newer_one(client, tenant, run_jobs, clean):
    h = tenant["headers"]
    setup, day, _ = _plan_a_day(client, tenant, run_jobs, clean)
    depot_id, offset = setup["depot"]["id"], setup["depot"]["utc_offset_min"]
    urgent = delivery("ORD-URGENT", day, 43.65, -79.40, (9, 11), offset_min=offset)
    urgent["priority_tier"] = "vip"
    two_person = delivery("ORD-SOFA", day, 43.64, -79.41, (9, 17), offset_min=offset)
    two_person["requirements"] = {"skills": ["two_person"]}  # no driver of this depot has it
    urgent_id = post(client, h, "/api/v1/deliveries", urgent)["id"]
    sofa_id = post(client, h, "/api/v1/deliveries", two_person)["id"]
    run_jobs()
    release_scheduled(clean)
    run_jobs()
    latest = client.get(f"/api/v1/plans?depot_id={depot_id}", headers=h).json["items"][0]
    v2 = client.get(f"/api/v1/plans/{latest['id']}", headers=h).json
    assert v2["version"] == 2 and urgent_id in [s["delivery_id"] for r in v2["routes"] for s in r["stops"]]
    assert [(u["delivery_id"], u["reason"]) for u in v2["unassigned"]] == [(sofa_id, "skills")]
    added = [e for e in events(client, h, urgent_id) if e["type"] == "route.updated"]
    assert len(added) == 1 and added[0]["data"]["changed"] == ["added"]
    sofa = client.get(f"/api/v1/deliveries/{sofa_id}", headers=h).json
    assert sofa["status"] == "needs_attention"
    flagged = [e for e in events(client, h, sofa_id) if e["type"] == "delivery.status_changed"][-1]["data"]
    assert flagged["reason_code"] == "route_skills" and "skills" in flagged["reason"]
    with clean.sessions() as session:
        slow = compute(session, tenant["id"], depot_id, day, time_limit_s=1)  # based on version 1
    assert plan_depot_day(tenant["id"], depot_id, day.isoformat(), 1, "test")["version"] == 3
    with transaction(clean.sessions) as session:
        assert persist(session, slow, trigger="slow") is None
    with clean.sessions() as session:
        rows = session.execute(select(RoutePlanRow.version, RoutePlanRow.status, RoutePlanRow.trigger)
                               .order_by(RoutePlanRow.version)).all()
    assert [tuple(r) for r in rows] == [(1, "superseded", "delivery.assigned"), (2, "superseded", "delivery.assigned"),
                                        (3, "active", "test")]
