"""Shared set-up for capacity and assignment tests: a tenant's fleet and carriers through the API, and
deliveries whose window lies ahead of the real clock (the assign job reads the clock)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from hub.paths import SCHEMAS_DIR

ALL_DAY = {"shift_start": "00:00", "shift_end": "23:59", "max_hours": 24}


def delivery_input(external_id: str, **changes: Any) -> dict[str, Any]:
    doc = json.loads((SCHEMAS_DIR / "examples" / "delivery_input.v1.json").read_text())
    doc["source"]["external_id"] = external_id
    end = datetime.now(timezone.utc) + timedelta(days=1)
    doc["promised_window"] = {"end": end.strftime("%Y-%m-%dT%H:%M:%SZ")}
    doc["dropoff"]["address"]["geo"] = {"lat": 43.6408, "lng": -79.3856}  # 290 Bremner Blvd, Toronto
    doc.update(changes)
    return doc


def post(client: Any, headers: dict[str, str], path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201, 202), (path, response.status_code, response.json)
    return response.json


def own_fleet(client: Any, headers: dict[str, str], *, cold: bool = False, parcels: int = 50) -> dict[str, Any]:
    depot = post(client, headers, "/api/v1/depots", {
        "name": "Toronto West", "lat": 43.6447, "lng": -79.4024, "coverage": {"postal_prefixes": ["M5", "M6"]}})
    vehicle = post(client, headers, "/api/v1/vehicles", {
        "depot_id": depot["id"], "name": "Van 1", "capacity_parcels": parcels, "capacity_weight_g": 500_000,
        "features": ["cold_chain"] if cold else [], "cost_per_km": "0.60", "cost_per_hour": "35"})
    post(client, headers, "/api/v1/drivers", {"depot_id": depot["id"], "vehicle_id": vehicle["id"], "name": "Ana",
                                              **ALL_DAY, "rating": 4.8})
    return depot


def carrier(client: Any, headers: dict[str, str], name: str, **fields: Any) -> dict[str, Any]:
    body = {"name": name, "kind": "3pl", "coverage": {"postal_prefixes": ["M"]}, "origin": {"lat": 43.65, "lng": -79.38},
            "price_card": {"currency": "CAD", "base": "6.00", "per_km": "0.40", "per_kg": "0.10"},
            "quality": {"acceptance_rate": 0.95}, "acceptance_timeout_s": 30, **fields}
    return post(client, headers, "/api/v1/carriers", body)
