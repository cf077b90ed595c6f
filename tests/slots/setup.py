"""A Berlin depot with one van, and days far enough ahead that no cut-off applies."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from hub.db.models import utcnow

DEPOT = (52.5250, 13.3690)  # Berlin Hauptbahnhof
ALEX = (52.5219, 13.4132)  # Alexanderplatz, 10178
POTSDAM = (52.3906, 13.0645)  # outside the depot's coverage (postal 14467)


def tomorrow() -> date:
    return utcnow().date() + timedelta(days=1)


def berlin_fleet(client: Any, tenant: dict[str, Any], *, parcels: int | None = 2, shift: tuple[str, str] = ("08:00", "20:00"),
                 vans: int = 1, max_hours: float = 12, utc_offset_min: int = 0) -> dict[str, Any]:
    headers = tenant["headers"]
    depot = client.post("/api/v1/depots", json={
        "name": "Berlin Mitte", "lat": DEPOT[0], "lng": DEPOT[1], "utc_offset_min": utc_offset_min,
        "address": {"line1": "Europaplatz 1", "city": "Berlin", "postal_code": "10557", "country": "DE"},
        "coverage": {"postal_prefixes": ["10", "12", "13"]}}, headers=headers).get_json()
    assert "id" in depot, depot
    vehicles = []
    for n in range(vans):
        body: dict[str, Any] = {"depot_id": depot["id"], "name": f"Van {n + 1}"}
        if parcels is not None:
            body["capacity_parcels"] = parcels
        vehicle = client.post("/api/v1/vehicles", json=body, headers=headers).get_json()
        driver = client.post("/api/v1/drivers", json={"depot_id": depot["id"], "vehicle_id": vehicle["id"],
                                                       "name": f"Driver {n + 1}", "shift_start": shift[0],
                                                       "shift_end": shift[1], "max_hours": max_hours}, headers=headers).get_json()
        assert "id" in driver, driver
        vehicles.append(vehicle["id"])
    return {"depot_id": depot["id"], "vehicle_ids": vehicles}


def query(client: Any, headers: dict[str, str], day: date, **params: Any) -> Any:
    params.setdefault("postal_code", "10178")
    params.setdefault("country", "DE")
    return client.get("/api/v1/slots", query_string={"date": day.isoformat(), **params}, headers=headers)


def failed_attempt(client: Any, tenant: dict[str, Any], runtime: Any, fast_forward: Any) -> dict[str, Any]:
    """A Berlin delivery due today, planned by the hub onto the van's route, started and failed by the driver
    through the driver API, and recovered by the default policy (rescheduled). Answers its ids and token."""
    import json
    from datetime import datetime, timezone

    from hub.db.engine import transaction
    from hub.db.models import Tenant
    from hub.ledger.tracking_links import tracking_token
    from hub.paths import SCHEMAS_DIR
    from tests.fixtures import make_key

    with transaction(runtime.sessions) as session:  # one-second solves keep the test quick
        row = session.get(Tenant, tenant["id"])
        row.settings = {**(row.settings or {}), "routing": {"time_limit_s": 1}}
    now = datetime.now(timezone.utc)
    # The depot's clock reads about 10:00 whenever the test runs, so the day's van is on shift with hours to go.
    offset = 600 - (now.hour * 60 + now.minute)
    offset = offset + 1440 if offset < -720 else offset
    fleet = berlin_fleet(client, tenant, parcels=20, shift=("00:00", "23:59"), max_hours=24, utc_offset_min=offset)
    driver_id = client.get("/api/v1/drivers", headers=tenant["headers"]).get_json()["items"][0]["id"]
    doc = json.loads((SCHEMAS_DIR / "examples" / "delivery_input.v1.json").read_text())
    doc["source"]["external_id"] = "NEXT-1"
    doc["dropoff"] = {"contact": {"name": "Lena Vogel", "phone": "+493012345678"},
                      "address": {"line1": "Alexanderplatz 1", "city": "Berlin", "postal_code": "10178", "country": "DE",
                                  "geo": {"lat": ALEX[0], "lng": ALEX[1]}}}
    doc.pop("pickup", None)
    doc["requirements"] = {}
    doc.pop("declared_value", None)
    doc["promised_window"] = {"start": now.isoformat(), "end": (now + timedelta(hours=3)).isoformat()}
    posted = client.post("/api/v1/deliveries", json=doc, headers=tenant["headers"])
    assert posted.status_code == 202, posted.get_json()
    delivery_id = posted.get_json()["id"]
    fast_forward()
    fast_forward()
    driver = make_key(runtime, tenant["id"], "driver", subject_id=driver_id)
    route = client.get("/api/v1/driver/route", headers=driver).get_json()
    assert [s["delivery_id"] for s in route["stops"]] == [delivery_id], route
    assert client.post("/api/v1/driver/route/start", headers=driver).status_code == 200
    failed = client.post(f"/api/v1/driver/stops/{delivery_id}/fail", json={"reason_code": "customer_unavailable"},
                         headers=driver)
    assert failed.status_code == 200, failed.get_json()
    fast_forward()
    with runtime.sessions() as session:
        token = tracking_token(session, delivery_id)
    return {**fleet, "delivery_id": delivery_id, "token": token, "driver_id": driver_id, "utc_offset_min": offset}


def nonce_of(html: str) -> str:
    """The one-time token of a customer page's form."""
    found = re.search(r'name="nonce" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def events_of(client: Any, tenant: dict[str, Any], delivery_id: str, kind: str) -> list[dict[str, Any]]:
    items = client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=tenant["headers"]).get_json()["items"]
    return [e for e in items if e["type"] == kind]
