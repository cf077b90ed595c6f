"""Berlin deliveries posted through the API, and a stored route for them (the route store's tables)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from hub.db.engine import transaction
from hub.db.models import Delivery
from hub.ledger.deliveries import change_status
from hub.paths import SCHEMAS_DIR
from hub.runtime import Runtime

OPERATOR = {"kind": "operator", "id": "test"}
DEPOT = (52.5250, 13.3690)  # Berlin Hauptbahnhof
STOPS = {  # name: (lat, lng, line1, postal code)
    "alex": (52.5219, 13.4132, "Alexanderplatz 1", "10178"),
    "hackescher": (52.5225, 13.4020, "Hackescher Markt 2", "10178"),
    "tor": (52.5163, 13.3777, "Pariser Platz 1", "10117"),
}


def berlin_delivery(external_id: str, stop: str, window: tuple[datetime, datetime] | None) -> dict[str, Any]:
    doc = json.loads((SCHEMAS_DIR / "examples" / "delivery_input.v1.json").read_text())
    lat, lng, line1, postal = STOPS[stop]
    doc["source"]["external_id"] = external_id
    doc["dropoff"] = {"contact": {"name": "Lena Vogel", "phone": "+493012345678"},
                      "address": {"line1": line1, "city": "Berlin", "postal_code": postal, "country": "DE",
                                  "geo": {"lat": lat, "lng": lng}}}
    doc.pop("pickup", None)
    doc["requirements"] = {}
    doc.pop("declared_value", None)
    if window:
        doc["promised_window"] = {"start": window[0].isoformat(), "end": window[1].isoformat()}
    else:
        doc.pop("promised_window", None)
    return doc


def post(client: Any, tenant: dict[str, Any], run_jobs: Any, doc: dict[str, Any]) -> str:
    response = client.post("/api/v1/deliveries", json=doc, headers=tenant["headers"])
    assert response.status_code == 202, response.json
    run_jobs()
    return response.json["id"]


def move(runtime: Runtime, delivery_id: str, *statuses: str, **kwargs: Any) -> None:
    """Walk the delivery through `statuses` with hub.ledger.deliveries.change_status, one transaction."""
    with transaction(runtime.sessions) as session:
        delivery = session.get(Delivery, delivery_id)
        for status in statuses:
            change_status(session, delivery, status, actor=OPERATOR, reason=f"test: {status}", **kwargs)


def fleet(client: Any, tenant: dict[str, Any], utc_offset_min: int = 0) -> dict[str, str]:
    headers = tenant["headers"]
    depot = client.post("/api/v1/depots", json={"name": "Berlin Mitte", "lat": DEPOT[0], "lng": DEPOT[1],
                                                 "utc_offset_min": utc_offset_min}, headers=headers).json
    vehicle = client.post("/api/v1/vehicles", json={"depot_id": depot["id"], "name": "Van 1"}, headers=headers).json
    driver = client.post("/api/v1/drivers", json={"depot_id": depot["id"], "vehicle_id": vehicle["id"],
                                                  "name": "Jonas"}, headers=headers).json
    assert "id" in driver, driver
    return {"depot_id": depot["id"], "vehicle_id": vehicle["id"], "driver_id": driver["id"]}


def store_route(runtime: Runtime, tenant_id: str, ids: dict[str, str], deliveries: list[tuple[str, str]],
                day: date, planned: list[datetime], service_s: int = 300, plan_id: str = "rpl_tracking") -> None:
    """An active plan with one route: the deliveries (delivery id, stop name) in order, as the route store
    writes it (plan + problem JSON, one route_stops row each); each delivery moves to planned."""
    from hub.db.models.planning import RoutePlanRow, RouteStopRow

    points = [list(DEPOT)] + [list(STOPS[name][:2]) for _, name in deliveries]
    problem = {
        "name": "berlin", "origin": f"{day.isoformat()}T00:00:00+00:00", "dimension_names": ["parcels"],
        "points": points, "drivers": {ids["vehicle_id"]: ids["driver_id"]},
        "matrix": {"provider": "haversine", "road_factor": 1.3, "base_speed_kmh": 30.0},
        "depots": [{"id": ids["depot_id"], "location_index": 0, "location": points[0], "time_window": None}],
        "vehicles": [{"id": ids["vehicle_id"], "start_index": 0, "end_index": 0, "capacity": [20],
                      "shift": [0, 86400], "features": [], "skills": [], "fixed_cost": 0.0, "cost_per_km": 1.0,
                      "cost_per_hour": 0.0, "max_work_s": None, "breaks": [], "vehicle_type": "van",
                      "speed_factor": 1.0}],
        "stops": [{"id": d, "location_index": i, "location": points[i], "service_s": service_s, "time_windows": [],
                   "demand": [1], "required_features": [], "required_skills": [], "priority": 0}
                  for i, (d, _) in enumerate(deliveries, start=1)],
    }
    with transaction(runtime.sessions) as session:
        session.add(RoutePlanRow(id=plan_id, tenant_id=tenant_id, depot_id=ids["depot_id"], plan_date=day,
                                 version=1, status="active", backend="test", time_limit_s=1.0,
                                 plan={"routes": [], "unassigned": []}, problem=problem))
        session.flush()
        for sequence, ((delivery_id, _), eta) in enumerate(zip(deliveries, planned), start=1):
            session.add(RouteStopRow(plan_id=plan_id, tenant_id=tenant_id, delivery_id=delivery_id,
                                     vehicle_id=ids["vehicle_id"], driver_id=ids["driver_id"], sequence=sequence,
                                     eta=eta, service_start=eta, departure=eta + timedelta(seconds=service_s)))
            delivery = session.get(Delivery, delivery_id)
            for status in ("assigned", "planned"):
                change_status(session, delivery, status, actor=OPERATOR, reason="route planned")
