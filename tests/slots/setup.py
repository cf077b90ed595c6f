"""A Berlin depot with one van, and days far enough ahead that no cut-off applies."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hub.db.models import utcnow

DEPOT = (52.5250, 13.3690)  # Berlin Hauptbahnhof
ALEX = (52.5219, 13.4132)  # Alexanderplatz, 10178
POTSDAM = (52.3906, 13.0645)  # outside the depot's coverage (postal 14467)


def tomorrow() -> date:
    return utcnow().date() + timedelta(days=1)


def berlin_fleet(client: Any, tenant: dict[str, Any], *, parcels: int | None = 2, shift: tuple[str, str] = ("08:00", "20:00"),
                 vans: int = 1) -> dict[str, Any]:
    headers = tenant["headers"]
    depot = client.post("/api/v1/depots", json={
        "name": "Berlin Mitte", "lat": DEPOT[0], "lng": DEPOT[1], "utc_offset_min": 0,
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
                                                       "shift_end": shift[1], "max_hours": 12}, headers=headers).get_json()
        assert "id" in driver, driver
        vehicles.append(vehicle["id"])
    return {"depot_id": depot["id"], "vehicle_ids": vehicles}


def query(client: Any, headers: dict[str, str], day: date, **params: Any) -> Any:
    params.setdefault("postal_code", "10178")
    params.setdefault("country", "DE")
    return client.get("/api/v1/slots", query_string={"date": day.isoformat(), **params}, headers=headers)
