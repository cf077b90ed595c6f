"""Slots for a full street address without a geocoder: an address the tenant delivered to before (with
coordinates its order carried) is located there, however it is written; any other falls back to its postal
area's centre, and `location.source` says which (hub/intake/known_addresses.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hub.db.models.slots import KnownAddress
from hub.intake.known_addresses import address_keys
from tests.api.test_deliveries_api import example_input
from tests.slots.setup import berlin_fleet, tomorrow

TORSTR = (52.52942, 13.40111)  # Torstraße 109, 10119 Berlin
MUNICH = (48.1374, 11.5755)  # far from 10119: a doubtful coordinate


def _deliver_to(client: Any, tenant: dict[str, Any], external_id: str, line1: str, point: tuple[float, float]) -> None:
    doc = example_input(external_id)
    doc["dropoff"]["address"] = {"line1": line1, "postal_code": "10119", "city": "Berlin", "country": "DE",
                                 "geo": {"lat": point[0], "lng": point[1]}}
    answer = client.post("/api/v1/deliveries", json=doc, headers=tenant["headers"])
    assert answer.status_code == 202, answer.get_json()


def _slots(client: Any, tenant: dict[str, Any], **where: str) -> Any:
    return client.get("/api/v1/slots", query_string={"date": tomorrow().isoformat(), "country": "DE", **where},
                      headers=tenant["headers"])


def test_the_ways_of_writing_one_address_share_a_key() -> None:
    keys = address_keys("Torstraße 109", "10119", "Berlin", "DE")
    assert keys == ["DE|p:10119|torstrasse109", "DE|c:berlin|torstrasse109"]
    for written in ("Torstr. 109", "TORSTRASSE 109", "Tor-Straße 109"):
        assert address_keys(written, "10 119", "", "DE")[0] == keys[0], written
    assert address_keys("1 Market St", "M5V 1A1", "", "CA") == address_keys("1 Market Street", "m5v1a1", "", "CA")
    assert address_keys("Torstraße 109", "10119", "Berlin", "") == []  # no country: no key
    assert address_keys("Torstraße 110", "10119", "", "DE") != keys[:1]  # the next door is another address


def test_a_street_address_delivered_to_before_is_located_at_its_coordinates(client, tenant, clean):  # type: ignore[no-untyped-def]
    berlin_fleet(client, tenant)
    before = _slots(client, tenant, address="Torstr. 109", postal_code="10119").get_json()
    assert before["location"]["source"] == "postal_area"  # never delivered there yet: the postal area's centre

    _deliver_to(client, tenant, "K-1", "Torstraße 109", TORSTR)
    after = _slots(client, tenant, address="Torstr. 109", postal_code="10119").get_json()
    assert after["location"] == {"source": "known_address", "lat": TORSTR[0], "lng": TORSTR[1]}
    assert any(w["open"] for w in after["windows"])
    by_city = _slots(client, tenant, address="torstrasse 109", city="Berlin").get_json()  # no postal code
    assert by_city["location"]["source"] == "known_address"

    other = _slots(client, tenant, address="Torstraße 1", postal_code="10119").get_json()
    assert other["location"]["source"] == "postal_area"
    assert _slots(client, tenant, postal_code="10119").get_json()["location"]["source"] == "postal_area"


def _second_tenant(clean: Any) -> dict[str, Any]:
    from hub.db.engine import transaction
    from hub.ledger.tenants import create_tenant, issue_key

    with transaction(clean.sessions) as session:
        row = create_tenant(session, "t-second")
        _, key = issue_key(session, row, "admin")
    return {"id": row.id, "headers": {"Authorization": f"Bearer {key}"}}


def test_doubtful_coordinates_are_not_learned_and_other_tenants_see_nothing(client, tenant, clean):  # type: ignore[no-untyped-def]
    berlin_fleet(client, tenant)
    _deliver_to(client, tenant, "K-2", "Torstraße 109", MUNICH)  # flagged geo_far_from_postal_code
    assert _slots(client, tenant, address="Torstraße 109", postal_code="10119").get_json()["location"]["source"] \
        == "postal_area"
    _deliver_to(client, tenant, "K-3", "Torstraße 109", TORSTR)
    _deliver_to(client, tenant, "K-4", "Torstr. 109", TORSTR)  # the same address again: one row per key
    with clean.sessions() as session:
        rows = session.execute(select(KnownAddress.key, KnownAddress.seen).where(
            KnownAddress.tenant_id == tenant["id"])).all()
        assert sorted(rows) == [("DE|c:berlin|torstrasse109", 2), ("DE|p:10119|torstrasse109", 2)]
    second = _second_tenant(clean)
    berlin_fleet(client, second)
    assert _slots(client, second, address="Torstraße 109", postal_code="10119").get_json()["location"]["source"] \
        == "postal_area"  # one tenant's deliveries locate nothing for another


def test_an_address_needs_a_postal_code_or_a_city(client, tenant):  # type: ignore[no-untyped-def]
    answer = _slots(client, tenant, address="Torstraße 109")
    assert answer.status_code == 400
    assert "postal_code" in str(answer.get_json()["error"]["details"])
