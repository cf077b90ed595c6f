"""The capacity API: CRUD for depots, vehicles, drivers, carriers; the versioned policy; errors and isolation."""

from __future__ import annotations

import re

from hub.db.engine import transaction
from hub.ledger.tenants import create_tenant, issue_key
from hub.runtime import get_runtime
from tests.fleet.setup import carrier, own_fleet


def test_crud_round_trip(client, tenant):
    h = tenant["headers"]
    depot = own_fleet(client, h)
    listed = client.get("/api/v1/depots", headers=h).json["items"]
    assert [d["id"] for d in listed] == [depot["id"]] and depot["id"].startswith("dep_")
    vehicles = client.get("/api/v1/vehicles", headers=h).json["items"]
    assert vehicles[0]["capacity_parcels"] == 50 and vehicles[0]["cost_per_km"] == "0.60"
    changed = client.patch(f"/api/v1/vehicles/{vehicles[0]['id']}", json={"features": ["cold_chain"]}, headers=h)
    assert changed.status_code == 200 and changed.json["features"] == ["cold_chain"] and changed.json["name"] == "Van 1"
    drivers = client.get("/api/v1/drivers", headers=h).json["items"]
    assert drivers[0]["shift_end"] == "23:59" and drivers[0]["vehicle_id"] == vehicles[0]["id"]
    c = carrier(client, h, "Courier", daily_capacity=120, cutoff_time="15:30",
                coverage={"polygons": [{"type": "Polygon", "coordinates": [[[-80, 43], [-79, 43], [-79, 44], [-80, 43]]]}]})
    assert client.get(f"/api/v1/carriers/{c['id']}", headers=h).json["daily_capacity"] == 120
    assert client.delete(f"/api/v1/carriers/{c['id']}", headers=h).status_code == 204
    assert client.get(f"/api/v1/carriers/{c['id']}", headers=h).status_code == 404


def test_validation_errors_name_the_field(client, tenant):
    h = tenant["headers"]
    bad = client.post("/api/v1/carriers", json={"name": "X", "kind": "drone", "cutoff_time": "25:00",
                                                 "price_card": {"base": "cheap"}}, headers=h)
    assert bad.status_code == 422
    paths = {d["path"] for d in bad.json["error"]["details"]}
    assert {"$.kind", "$.cutoff_time", "$.price_card.base"} <= paths
    # Well-formed but naming no depot of this tenant: the id is unknown (404), not the body malformed (422).
    orphan = client.post("/api/v1/vehicles", json={"depot_id": "dep_nope", "name": "Van"}, headers=h)
    assert orphan.status_code == 404 and orphan.json["error"]["details"][0]["path"] == "$.depot_id"


def test_every_value_the_document_admits_is_stored_and_one_past_it_is_refused(client, tenant):
    """The limits the OpenAPI document states are the columns' (String(120), String(20), 32-bit integers): the
    largest admitted values are stored on SQLite and PostgreSQL alike, the next ones get 422 naming the field."""
    h = tenant["headers"]
    depot = own_fleet(client, h)
    largest = {"depot_id": depot["id"], "name": "V" * 120, "capacity_weight_g": 2**31 - 1,
               "capacity_volume_cm3": 2**31 - 1, "capacity_parcels": 0, "cost_per_km": "9" * 20,
               "cost_per_hour": "0.5", "speed_kmh": 200}
    made = client.post("/api/v1/vehicles", json=largest, headers=h)
    assert made.status_code == 201 and made.json["capacity_weight_g"] == 2**31 - 1
    assert made.json["cost_per_km"] == "9" * 20 and made.json["capacity_parcels"] == 0
    past = {"name": "V" * 121, "capacity_weight_g": 2**31, "cost_per_km": "9" * 21, "speed_kmh": 201,
            "capacity_parcels": "5", "active": "yes"}
    for field, value in past.items():
        bad = client.post("/api/v1/vehicles", json={**largest, field: value}, headers=h)
        assert bad.status_code == 422 and [d["path"] for d in bad.json["error"]["details"]] == [f"$.{field}"], field
    late = client.post("/api/v1/drivers", json={"depot_id": depot["id"], "name": "Bo", "shift_end": "17:00\n"}, headers=h)
    assert late.status_code == 422 and late.json["error"]["details"][0]["path"] == "$.shift_end"


def test_a_change_takes_only_what_changes_and_keeps_the_rules(client, tenant):
    h = tenant["headers"]
    c = carrier(client, h, "Courier")
    renamed = client.patch(f"/api/v1/carriers/{c['id']}", json={"name": "Courier 2"}, headers=h)
    assert renamed.status_code == 200 and renamed.json["name"] == "Courier 2" and renamed.json["origin"] == c["origin"]
    half = client.patch(f"/api/v1/carriers/{c['id']}", json={"origin": {"lat": 43.7}, "name": None}, headers=h)
    assert half.status_code == 422
    assert {d["path"] for d in half.json["error"]["details"]} == {"$.origin.lng", "$.name"}
    assert client.patch(f"/api/v1/carriers/{c['id']}", json={"installation_id": "ins_nope"}, headers=h).status_code == 404


def test_policy_is_versioned_and_validated(client, tenant):
    h = tenant["headers"]
    assert client.get("/api/v1/assignment-policy", headers=h).json["version"] == 0
    first = client.put("/api/v1/assignment-policy", json={"strategy": "cheapest"}, headers=h)
    second = client.put("/api/v1/assignment-policy", json={"strategy": "fastest", "max_cost": "30"}, headers=h)
    assert (first.json["version"], second.json["version"]) == (1, 2)
    assert client.get("/api/v1/assignment-policy", headers=h).json["document"]["strategy"] == "fastest"
    versions = client.get("/api/v1/assignment-policy/versions", headers=h).json["items"]
    assert [v["version"] for v in versions] == [2, 1]
    bad = client.put("/api/v1/assignment-policy", json={"strategy": "random", "overrides": [{"match": {}}]}, headers=h)
    assert bad.status_code == 422
    assert {d["path"] for d in bad.json["error"]["details"]} == {"$.strategy", "$.overrides[0].match"}
    unsigned = client.put("/api/v1/assignment-policy", json={"max_cost": "-5"}, headers=h)
    assert unsigned.status_code == 422 and unsigned.json["error"]["details"][0]["path"] == "$.max_cost"
    spec = client.get("/api/openapi.json").json["components"]["schemas"]["AssignmentPolicy"]["properties"]
    assert not re.match(spec["max_cost"]["pattern"], "-5")  # the document says so too


def test_tenants_are_isolated_and_roles_checked(client, tenant):
    h = tenant["headers"]
    depot = own_fleet(client, h)
    with transaction(get_runtime().sessions) as session:
        other = create_tenant(session, "other-tenant")
        _, other_key = issue_key(session, other, "admin")
        _, integration_key = issue_key(session, session.get(type(other), tenant["id"]), "integration")
    other_h = {"Authorization": f"Bearer {other_key}"}
    assert client.get(f"/api/v1/depots/{depot['id']}", headers=other_h).status_code == 404
    assert client.get("/api/v1/depots", headers=other_h).json["items"] == []
    assert client.delete(f"/api/v1/depots/{depot['id']}", headers=other_h).status_code == 404
    integration = {"Authorization": f"Bearer {integration_key}"}
    assert client.get("/api/v1/depots", headers=integration).status_code == 200
    assert client.post("/api/v1/depots", json={"name": "X"}, headers=integration).status_code == 403


def test_openapi_lists_the_capacity_and_carrier_routes(client):
    paths = client.get("/api/openapi.json").json["paths"]
    for path in ("/api/v1/depots", "/api/v1/carriers/{ident}", "/api/v1/assignment-policy",
                 "/api/v1/deliveries/{delivery_id}/assignment", "/api/v1/deliveries/{delivery_id}/reassign",
                 "/api/v1/carrier/jobs/{job_id}/status"):
        assert path in paths, path
