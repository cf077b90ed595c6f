"""Shared set-up for execution tests: a delivery posted through the API, a driver (depot, vehicle) made through
the capacity API, and a route for today written the way `my route` reads it (route store rows, or the
route.planned events it falls back to)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from hub.canonical.validation import validate_document
from hub.db.engine import transaction
from hub.db.models import Delivery
from hub.db.models.planning import RoutePlanRow, RouteStopRow
from hub.ledger.deliveries import change_status
from hub.ledger.events import append_event, iso
from hub.paths import SCHEMAS_DIR
from hub.runtime import Runtime
from tests.fixtures import make_key

FIXTURES = Path(__file__).with_name("fixtures")
PLANNER = {"kind": "system", "id": "test-planner"}


def image(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def post_delivery(client: Any, tenant: dict[str, Any], run_jobs: Any, external_id: str,
                  requirements: dict[str, Any] | None = None) -> str:
    doc = json.loads((SCHEMAS_DIR / "examples" / "delivery_input.v1.json").read_text())
    doc["source"]["external_id"] = external_id
    doc["dropoff"]["address"]["geo"] = {"lat": 43.6408, "lng": -79.3856}  # 290 Bremner Blvd: own fleet can route it
    if requirements is not None:
        doc["requirements"] = requirements
    response = client.post("/api/v1/deliveries", json=doc, headers=tenant["headers"])
    assert response.status_code == 202, response.json
    run_jobs()
    delivery_id = response.json["id"]
    assert client.get(f"/api/v1/deliveries/{delivery_id}", headers=tenant["headers"]).json["status"] == "received"
    return delivery_id


def make_driver(client: Any, tenant: dict[str, Any], name: str = "Ana", **fields: Any) -> dict[str, Any]:
    """A depot (UTC), a vehicle and a driver (with `fields`, e.g. a shift) through the capacity API; returns ids."""
    headers = tenant["headers"]
    depot = client.post("/api/v1/depots", json={"name": f"Depot {name}", "utc_offset_min": 0}, headers=headers).json
    vehicle = client.post("/api/v1/vehicles", json={"depot_id": depot["id"], "name": f"Van {name}"},
                          headers=headers).json
    driver = client.post("/api/v1/drivers", json={"depot_id": depot["id"], "vehicle_id": vehicle["id"], "name": name,
                                                  **fields}, headers=headers).json
    assert "id" in driver, driver
    return {"id": driver["id"], "vehicle_id": vehicle["id"], "depot_id": depot["id"]}


def driver_headers(runtime: Runtime, tenant_id: str, driver_id: str) -> dict[str, str]:
    return make_key(runtime, tenant_id, "driver", subject_id=driver_id)


def plan_route(runtime: Runtime, driver: dict[str, Any], delivery_ids: list[str], route_id: str = "rte_test",
               day: date | None = None) -> None:
    """Put the deliveries on the driver's route for `day` (default today, the depot being on UTC) the way the
    route store does: a new active plan version for the depot's day (an earlier active one is superseded) with one
    route_stops row per delivery, and each delivery planned."""
    now = datetime.now(timezone.utc)
    day = day or now.date()
    start = now + (day - now.date())  # the same time of day on `day`
    with transaction(runtime.sessions) as session:
        tenant_id = session.get(Delivery, delivery_ids[0]).tenant_id
        earlier = session.execute(select(RoutePlanRow).where(
            RoutePlanRow.tenant_id == tenant_id, RoutePlanRow.depot_id == driver["depot_id"],
            RoutePlanRow.plan_date == day)).scalars().all()
        for row in earlier:
            row.status = "superseded"
        session.add(RoutePlanRow(id=route_id, tenant_id=tenant_id, depot_id=driver["depot_id"], plan_date=day,
                                 version=len(earlier) + 1, status="active", backend="test", time_limit_s=1.0,
                                 plan={}, problem={}))
        session.flush()
        for sequence, delivery_id in enumerate(delivery_ids, start=1):
            delivery = session.get(Delivery, delivery_id)
            eta = start + timedelta(minutes=20 * sequence)
            session.add(RouteStopRow(plan_id=route_id, tenant_id=delivery.tenant_id, delivery_id=delivery_id,
                                     vehicle_id=driver["vehicle_id"], driver_id=driver["id"], sequence=sequence,
                                     eta=eta, service_start=eta, departure=eta + timedelta(minutes=5)))
            if delivery.status != "planned":
                change_status(session, delivery, "planned", actor=PLANNER, reason="route planned")


def plan_route_by_events(runtime: Runtime, driver: dict[str, Any], delivery_ids: list[str],
                         route_id: str = "rte_events") -> None:
    """The fallback `my route` reads when the route store has nothing: a route.planned event on each delivery."""
    starts_at = iso(datetime.now(timezone.utc))
    stops = [{"delivery_id": d, "position": i} for i, d in enumerate(delivery_ids, start=1)]
    data = {"route_id": route_id, "driver_id": driver["id"], "vehicle_id": driver["vehicle_id"],
            "starts_at": starts_at, "stops": stops}
    assert validate_document("events/route_planned.v1", data) == []
    with transaction(runtime.sessions) as session:
        for delivery_id in delivery_ids:
            delivery = session.get(Delivery, delivery_id)
            if delivery.status != "planned":
                change_status(session, delivery, "planned", actor=PLANNER, reason="route planned")
            append_event(session, delivery, "route.planned", data, actor=PLANNER)


def set_status(runtime: Runtime, delivery_id: str, status: str) -> None:
    with transaction(runtime.sessions) as session:
        change_status(session, session.get(Delivery, delivery_id), status, actor={"kind": "operator", "id": "test"},
                      reason="set by the test")


def relative(url: str) -> str:
    """A signed link from the hub (http://hub.test/media/...) as a path for the test client."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def pod_form(signature: bool = True, photos: int = 2, **fields: str) -> dict[str, Any]:
    from io import BytesIO

    form: dict[str, Any] = {"recipient_name": "Priya Natarajan", "lat": "43.6408", "lng": "-79.3856",
                            "accuracy_m": "8.5", "captured_at": iso(datetime.now(timezone.utc)),
                            "notes": "Handed to the concierge", **fields}
    if signature:
        form["signature"] = (BytesIO(image("signature.png")), "signature.png", "image/png")
    names = ["door.png", "parcel.png"]
    if photos:
        form["photos"] = [(BytesIO(image(names[i % 2])), names[i % 2], "image/png") for i in range(photos)]
    return form
