"""A known small history for the analytics tests, written through the hub's own ledger writer (events with
their occurred_at, outbox rows and all), so the feed sees exactly what production would write.

Week of Monday 2030-03-11, plus Monday 2030-03-18. Depot D1 with vehicle V1 and driver R1 (own fleet), carrier
K1. Route 1 (03-11): A on time, B late, C failed first then delivered in its window; planned order A, C, B.
D and E go with the carrier on 03-12 (E fails). F is route 2 on 03-18. G is cancelled.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from hub.db.engine import transaction
from hub.db.models import Delivery, Tenant
from hub.db.models.execution import DriverPing
from hub.db.models.fleet import Assignment, Carrier, Depot, Driver, Vehicle
from hub.db.models.planning import RoutePlanRow
from hub.ledger.deliveries import change_status
from hub.ledger.events import append_event
from hub.paths import SCHEMAS_DIR
from hub.runtime import Runtime

OPERATOR = {"kind": "system", "id": "analytics-test"}
SETTINGS = {"analytics": {"driver_cost_per_hour": "20", "fees": {"next_day": "6.00", "same_day": "11.00"}}}
PINGS = [(43.6400, -79.3900, "09:00"), (43.6500, -79.3800, "11:00"), (43.6600, -79.3700, "14:00")]


def at(day: int, hm: str) -> datetime:
    hour, minute = map(int, hm.split(":"))
    return datetime(2030, 3, day, hour, minute, tzinfo=timezone.utc)


def iso(day: int, hm: str) -> str:
    return at(day, hm).isoformat()


# name: (window day, start, end, service level, postal code, lat, lng, tags)
ORDERS: dict[str, tuple[int, str, str, str, str, float, float, list[str]]] = {
    "A": (11, "10:00", "12:00", "next_day", "M5V 3L9", 43.6426, -79.3871, []),
    "B": (11, "10:00", "12:00", "next_day", "M5V 1J1", 43.6450, -79.3950, ["b2b"]),
    "C": (11, "13:00", "15:00", "next_day", "M6J 1E4", 43.6470, -79.4100, []),
    "D": (12, "09:00", "17:00", "same_day", "K1A 0B1", 45.4236, -75.7009, []),
    "E": (12, "09:00", "12:00", "same_day", "K1P 5J2", 45.4215, -75.6972, []),
    "F": (18, "09:00", "11:00", "same_day", "M5V 3L9", 43.6426, -79.3871, []),
    "G": (12, "09:00", "12:00", "next_day", "M4C 1A1", 43.6800, -79.3000, []),
}


def post(client: Any, headers: dict[str, str], name: str) -> str:
    day, start, end, level, postal, lat, lng, tags = ORDERS[name]
    doc = json.loads((SCHEMAS_DIR / "examples" / "delivery_input.v1.json").read_text())
    doc["source"]["external_id"] = f"ORD-{name}"
    doc["service_level"] = level
    doc["promised_window"] = {"start": iso(day, start), "end": iso(day, end)}
    doc["dropoff"]["address"]["postal_code"] = postal
    doc["dropoff"]["address"]["geo"] = {"lat": lat, "lng": lng}
    doc["tags"] = tags or ["flowers"]
    response = client.post("/api/v1/deliveries", json=doc, headers=headers)
    assert response.status_code == 202, response.json
    return response.json["id"]


def _move(session: Any, delivery: Delivery, *steps: tuple[str, datetime | None, str | None]) -> None:
    for status, when, reason in steps:
        change_status(session, delivery, status, actor=OPERATOR, occurred_at=when, reason_code=reason,
                      reason="analytics test")


def build(runtime: Runtime, client: Any, tenant: dict[str, Any], run_jobs: Any) -> dict[str, str]:
    """Post the orders, then script what happened to them; returns name -> delivery id (and fleet ids)."""
    ids = {name: post(client, tenant["headers"], name) for name in ORDERS}
    run_jobs()  # ingest (and an assignment attempt that finds no capacity yet)
    tid = tenant["id"]
    with transaction(runtime.sessions) as session:
        session.get(Tenant, tid).settings = SETTINGS
        session.add(Depot(id="D1", tenant_id=tid, name="Depot 1", active=False))
        session.flush()
        session.add(Vehicle(id="V1", tenant_id=tid, depot_id="D1", name="Van 1", cost_per_hour="5",
                            cost_per_km="0.5", active=False))
        session.flush()
        session.add(Driver(id="R1", tenant_id=tid, depot_id="D1", vehicle_id="V1", name="Ana", available=False))
        session.add(Carrier(id="K1", tenant_id=tid, name="Carrier 1", kind="3pl", active=False))
        for plan_id, day in (("P1", 11), ("P2", 18)):
            session.add(RoutePlanRow(id=plan_id, tenant_id=tid, depot_id="D1", plan_date=at(day, "00:00").date(),
                                     version=1, backend="test", time_limit_s=1.0, plan={}, problem={}))
        for lat, lng, hm in PINGS:
            session.add(DriverPing(tenant_id=tid, driver_id="R1", lat=lat, lng=lng, recorded_at=at(11, hm)))
        session.flush()
        d = {name: session.get(Delivery, ids[name]) for name in ORDERS}

        def own(name: str, plan: str, position: int, eta: datetime) -> None:
            _move(session, d[name], ("assigned", None, None))
            append_event(session, d[name], "delivery.assigned", {"assignment_id": f"asg_{name}", "attempt": 1,
                         "capacity": "own_fleet", "depot_id": "D1"}, actor=OPERATOR)
            _move(session, d[name], ("planned", None, None))
            append_event(session, d[name], "route.planned", {
                "route_id": f"{plan}:V1", "vehicle_id": "V1", "driver_id": "R1", "starts_at": eta.isoformat(),
                "ends_at": eta.isoformat(), "distance_m": 20000 if plan == "P1" else 8000,
                "duration_s": 7200 if plan == "P1" else 3600,
                "stops": [{"delivery_id": d[name].id, "position": position, "eta": eta.isoformat()}]}, actor=OPERATOR)

        def carrier(name: str, price: str) -> None:
            session.add(Assignment(id=f"asg_{name}", tenant_id=tid, delivery_id=d[name].id, attempt=2,  # 1: the try before any capacity existed
                                   day=at(12, "00:00").date(), candidate_id="K1", capacity="carrier",
                                   carrier_id="K1", state="accepted",
                                   decision={"chosen": "K1", "candidates": [{"candidate_id": "K1", "kind": "3pl",
                                                                            "cost": price}]}))
            session.flush()
            _move(session, d[name], ("assigned", None, None))
            append_event(session, d[name], "delivery.assigned", {"assignment_id": f"asg_{name}", "attempt": 1,
                         "capacity": "carrier", "carrier_id": "K1", "job_id": f"job_{name}"}, actor=OPERATOR)

        own("A", "P1", 1, at(11, "10:20"))
        own("C", "P1", 2, at(11, "11:00"))
        own("B", "P1", 3, at(11, "13:00"))
        own("F", "P2", 1, at(18, "09:15"))
        carrier("D", "7.50")
        carrier("E", "8.00")
        for name in ("A", "B", "C"):
            _move(session, d[name], ("dispatched", at(11, "09:00"), None), ("in_transit", at(11, "09:00"), None))
        _move(session, d["A"], ("arriving", at(11, "10:30"), None), ("delivered", at(11, "10:35"), None))
        _move(session, d["B"], ("arriving", at(11, "12:20"), None), ("delivered", at(11, "12:30"), None))
        _move(session, d["C"], ("arriving", at(11, "13:10"), None), ("failed_attempt", at(11, "13:15"), "not_home"),
              ("in_transit", at(11, "14:00"), None), ("arriving", at(11, "14:30"), None),
              ("delivered", at(11, "14:40"), None))
        _move(session, d["D"], ("dispatched", at(12, "08:00"), None), ("in_transit", at(12, "09:00"), None),
              ("delivered", at(12, "11:00"), None))
        _move(session, d["E"], ("dispatched", at(12, "08:00"), None), ("in_transit", at(12, "09:00"), None),
              ("failed_attempt", at(12, "12:30"), "address_not_found"))
        _move(session, d["F"], ("dispatched", at(18, "08:30"), None), ("in_transit", at(18, "08:30"), None),
              ("arriving", at(18, "09:25"), None), ("delivered", at(18, "09:30"), None))
        _move(session, d["G"], ("cancelled", at(12, "07:00"), None))
        append_event(session, d["B"], "delivery.exception", {"code": "running_late", "severity": "warning"},
                     actor=OPERATOR, occurred_at=at(11, "12:05"))
        for name, rating in (("A", 5), ("B", 2), ("D", 4), ("F", 5)):
            append_event(session, d[name], "delivery.rated", {"rating": rating}, actor={"kind": "system", "id": "customer-page"},
                         occurred_at=at(ORDERS[name][0], "20:00"))
    run_jobs()  # the analytics feed (and whatever else these events ring)
    return ids
