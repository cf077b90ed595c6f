"""Data-quality checks on the way in: a table of addresses and contacts, the data tables themselves,
and the API path (a bad postal code makes a new delivery needs_attention, with the flag in GET)."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
import json
from typing import Any

import pytest

from hub.canonical.validation import validate_document
from hub.db.engine import transaction
from hub.db.models import Delivery
from hub.intake.quality import (area_of, check, distance_km, hints, merge_flags, postal_rules, window_flags,
                                with_quality_flags, with_window_flag)
from hub.paths import SCHEMAS_DIR

BERLIN = {"lat": 52.5301, "lng": 13.4010}  # Torstraße, 10119 Berlin


def delivery(address: dict[str, Any] | None = None, phone: str | None = "+4930901820", **extra: Any) -> dict[str, Any]:
    addr = {"line1": "Torstraße 109", "city": "Berlin", "postal_code": "10119", "country": "DE", "geo": BERLIN,
            **(address or {})}
    contact: dict[str, Any] = {"name": "Lena Vogel"}
    if phone is not None:
        contact["phone"] = phone
    return {"source": {"external_id": "Q-1"}, "dropoff": {"contact": contact, "address": addr}, **extra}


def codes(content: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(f["code"], f["field"], f["severity"]) for f in check(content)}


UNIT = ("address_missing_unit", "$.dropoff.address.unit", "warning")
GEO_MISSING = ("geo_missing", "$.dropoff.address.geo", "info")
GEO_FAR = ("geo_far_from_postal_code", "$.dropoff.address.geo", "warning")
POSTAL = ("postal_code_invalid", "$.dropoff.address.postal_code", "warning")
PHONE = ("phone_unparsable", "$.dropoff.contact.phone", "warning")
PHONE_INVALID = ("phone_invalid", "$.dropoff.contact.phone", "warning")

CASES: list[tuple[str, dict[str, Any], set[tuple[str, str, str]]]] = [
    ("clean Berlin address", delivery(), set()),
    # multi-unit hints
    ("tower without unit", delivery({"line1": "290 Bremner Blvd", "line2": "Harbour Tower", "city": "Toronto",
                                     "postal_code": "M5V 3L9", "country": "CA", "geo": {"lat": 43.6405, "lng": -79.3863}},
                                    phone="+14165550142"), {UNIT}),
    ("tower with unit", delivery({"line2": "Harbour Tower", "unit": "1204"}), set()),
    ("Wohnung without number", delivery({"line2": "Wohnung links, 3. OG"}), {UNIT}),
    ("Wohnung with number", delivery({"line2": "Wohnung 12"}), set()),
    ("apt with number in line1", delivery({"line1": "Torstraße 109 Apt 4B"}), set()),
    ("suite letter in line2", delivery({"line2": "Suite B"}), set()),
    ("hash unit in line1", delivery({"line1": "123 Main St #5", "city": "Austin", "postal_code": "78701", "country": "US",
                                     "geo": {"lat": 30.27, "lng": -97.74}}, phone="+15125550100"), set()),
    ("c/o", delivery({"line2": "c/o Müller"}), {UNIT}),
    ("residences", delivery({"line1": "Harbour Residences, Torstraße 109"}), {UNIT}),
    ("apartments (building name)", delivery({"line2": "Maple Apartments"}), {UNIT}),
    ("Tower Road is a street", delivery({"line1": "12 Tower Road", "city": "London", "postal_code": "SW1A 1AA", "country": "GB",
                                         "geo": {"lat": 51.501, "lng": -0.142}}, phone="+442079460000"), set()),
    ("Flat Rock Rd is a street", delivery({"line1": "40 Flat Rock Rd", "city": "Austin", "postal_code": "78701",
                                           "country": "US", "geo": {"lat": 30.27, "lng": -97.74}}, phone="+15125550100"), set()),
    ("Complex is not a unit letter", delivery({"line2": "Apartment complex"}), {UNIT}),
    # geo
    ("geo missing", delivery({"geo": None}), {GEO_MISSING}),
    ("geo in Munich for a Berlin code", delivery({"geo": {"lat": 48.137, "lng": 11.575}}), {GEO_FAR}),
    ("lat/lng swapped", delivery({"geo": {"lat": 13.4010, "lng": 52.5301}}), {GEO_FAR}),
    ("Toronto sign dropped", delivery({"line1": "290 Bremner Blvd", "unit": "1204", "city": "Toronto", "postal_code": "M5V 3L9",
                                       "country": "CA", "geo": {"lat": 43.64, "lng": 79.38}}, phone="+14165550142"), {GEO_FAR}),
    ("Potsdam point for Berlin 14467: prefix not in the table, not checked",
     delivery({"postal_code": "14467", "geo": {"lat": 48.137, "lng": 11.575}}), set()),
    ("Brooklyn inside its area", delivery({"line1": "1 Main St", "city": "Brooklyn", "postal_code": "11201", "country": "US",
                                           "geo": {"lat": 40.70, "lng": -73.99}}, phone="+17185550100"), set()),
    ("São Paulo", delivery({"line1": "Av. Paulista, 1578", "city": "São Paulo", "postal_code": "01310-200", "country": "BR",
                            "geo": {"lat": -23.561, "lng": -46.656}}, phone="+5511955550000"), set()),
    ("Sydney code, Melbourne point", delivery({"line1": "1 George St", "city": "Sydney", "postal_code": "2000", "country": "AU",
                                               "geo": {"lat": -37.81, "lng": 144.96}}, phone="+61291234567"), {GEO_FAR}),
    # postal codes
    ("US ZIP for a Canadian address", delivery({"city": "Toronto", "postal_code": "90210", "country": "CA", "geo": None,
                                                "unit": "4"}, phone="+14165550142"), {POSTAL, GEO_MISSING}),
    ("four-digit German code", delivery({"postal_code": "1011"}), {POSTAL}),
    ("ZIP+4", delivery({"line1": "1 Market St", "city": "San Francisco", "postal_code": "94105-1420", "country": "US",
                        "geo": {"lat": 37.79, "lng": -122.39}}, phone="+14155550100"), set()),
    ("Canadian code without space, lower case", delivery({"city": "Toronto", "postal_code": "m5v3l9", "country": "CA",
                                                          "geo": {"lat": 43.64, "lng": -79.39}}, phone="+14165550142"), set()),
    ("GB postcode", delivery({"city": "London", "postal_code": "EC1A 1BB", "country": "GB", "geo": {"lat": 51.52, "lng": -0.10}},
                             phone="+442079460000"), set()),
    ("GB nonsense", delivery({"city": "London", "postal_code": "LONDON1", "country": "GB", "geo": {"lat": 51.52, "lng": -0.10}},
                             phone="+442079460000"), {POSTAL}),
    ("NL code", delivery({"city": "Amsterdam", "postal_code": "1012 JS", "country": "NL", "geo": {"lat": 52.373, "lng": 4.893}},
                         phone="+31201234567"), set()),
    ("NL forbidden letters SS", delivery({"city": "Amsterdam", "postal_code": "1012 SS", "country": "NL",
                                          "geo": {"lat": 52.373, "lng": 4.893}}, phone="+31201234567"), {POSTAL}),
    ("FR code", delivery({"city": "Paris", "postal_code": "75001", "country": "FR", "geo": {"lat": 48.86, "lng": 2.34}},
                         phone="+33142600000"), set()),
    ("country not in the table is not checked", delivery({"city": "Dubai", "postal_code": "whatever", "country": "AE",
                                                          "geo": {"lat": 25.2, "lng": 55.27}}, phone="+97143000000"), set()),
    ("no postal code at all", delivery({"postal_code": None}), set()),
    # phones
    ("phone unparsable", delivery(phone="call the shop"), {PHONE}),
    ("phone too short for Germany", delivery(phone="030 12"), {PHONE_INVALID}),
    ("national phone read with the address country", delivery(phone="030 901820"), set()),
    ("no phone", delivery(phone=None), set()),
]


def _without_nones(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: _without_nones(v) for k, v in doc.items() if v is not None}
    return doc


@pytest.mark.parametrize("content, expected", [(_without_nones(c), e) for _, c, e in CASES], ids=[n for n, _, _ in CASES])
def test_check(content, expected):
    assert validate_document("delivery_input.v1", content) == []
    assert codes(content) == expected


def test_flags_are_valid_canonical_flags_and_check_is_pure():
    content = _without_nones(delivery({"line2": "Harbour Tower", "postal_code": "1011", "geo": None}, phone="nope"))
    before = copy.deepcopy(content)
    flagged = with_quality_flags(content)
    assert content == before  # not mutated
    assert validate_document("delivery_input.v1", flagged) == []
    assert with_quality_flags(flagged) == flagged  # re-checking adds nothing


def test_merge_keeps_the_first_flag_per_code_and_field():
    mapped = {"code": "phone_unparsable", "message": "from the connector", "field": "$.dropoff.contact.phone", "severity": "warning"}
    content = _without_nones(delivery(phone="nope"))
    content["data_quality_flags"] = [mapped]
    flags = with_quality_flags(content)["data_quality_flags"]
    assert [f["message"] for f in flags if f["code"] == "phone_unparsable"] == ["from the connector"]
    assert merge_flags([mapped], [mapped, {**mapped, "field": "$.x"}]) == [mapped, {**mapped, "field": "$.x"}]


def test_pickup_address_postal_code_and_geo_are_checked_too():
    content = _without_nones(delivery(pickup={"address": {"line1": "Lager 1", "city": "Berlin", "postal_code": "ABCDE",
                                                          "country": "DE"}}))
    assert ("postal_code_invalid", "$.pickup.address.postal_code", "warning") in codes(content)


def test_tables_load_and_every_example_is_valid():
    rules = postal_rules()
    assert {"DE", "US", "CA", "GB", "FR", "NL", "BR", "AU"} <= set(rules)
    for country, rule in rules.items():
        assert rule.pattern.fullmatch(rule.example), country
    assert hints().unit_words and hints().building_words


def test_every_centroid_lies_inside_its_own_country_sample():
    # Each table country has a city code whose area must be found and must contain the city.
    samples = {"DE": ("10119", 52.53, 13.40), "US": ("10001", 40.75, -73.99), "CA": ("M5V 3L9", 43.64, -79.39),
               "GB": ("SW1A 1AA", 51.50, -0.14), "FR": ("75001", 48.86, 2.34), "NL": ("1012 JS", 52.37, 4.89),
               "BR": ("01310-100", -23.56, -46.65), "AU": ("2000", -33.87, 151.21)}
    for country, (code, lat, lng) in samples.items():
        found = area_of(country, code)
        assert found is not None, country
        _, centroid = found
        assert distance_km(lat, lng, centroid.lat, centroid.lng) <= centroid.radius_km, country


def test_distance_is_haversine():
    assert distance_km(52.5200, 13.4050, 48.1351, 11.5820) == pytest.approx(504, abs=3)  # Berlin to Munich


def test_api_delivery_with_a_bad_postal_code_needs_attention(client, tenant, run_jobs, clean):
    doc = json.loads((SCHEMAS_DIR / "examples" / "delivery_input.v1.json").read_text())
    doc["source"]["external_id"] = "Q-API-1"
    doc["dropoff"]["address"]["postal_code"] = "90210"  # a US ZIP on a Toronto address
    response = client.post("/api/v1/deliveries", json=doc, headers=tenant["headers"])
    assert response.status_code == 202, response.json
    run_jobs()
    got = client.get(f"/api/v1/deliveries/{response.json['id']}", headers=tenant["headers"])
    assert got.status_code == 200, got.json
    assert got.json["status"] == "needs_attention"
    flags = {f["code"]: f for f in got.json["data_quality_flags"]}
    assert flags["postal_code_invalid"]["field"] == "$.dropoff.address.postal_code"
    assert "90210" in flags["postal_code_invalid"]["message"] and "CA" in flags["postal_code_invalid"]["message"]
    assert flags["geo_missing"]["severity"] == "info"
    listed = client.get("/api/v1/deliveries?status=needs_attention", headers=tenant["headers"]).json["items"]
    assert [d["id"] for d in listed] == [response.json["id"]]


def test_api_delivery_with_only_info_flags_is_received(client, tenant, run_jobs, clean):
    doc = json.loads((SCHEMAS_DIR / "examples" / "delivery_input.v1.json").read_text())
    response = client.post("/api/v1/deliveries", json=doc, headers=tenant["headers"])
    run_jobs()
    got = client.get(f"/api/v1/deliveries/{response.json['id']}", headers=tenant["headers"]).json
    assert got["status"] == "received"
    assert [f["code"] for f in got["data_quality_flags"]] == ["geo_missing"]


def test_a_window_that_ended_before_the_delivery_came_in_is_flagged():
    now = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)
    ended = delivery(promised_window={"start": "2026-12-06T10:00:00+01:00", "end": "2026-12-06T12:00:00+01:00"})
    assert [(f["code"], f["field"], f["severity"]) for f in window_flags(ended, now)] == [
        ("window_in_past", "$.promised_window.end", "warning")]
    later = delivery(promised_window={"start": "2026-12-06T13:00:00+01:00", "end": "2026-12-06T15:00:00+01:00"})
    assert window_flags(later, now) == [] and window_flags(delivery(), now) == []
    flagged = with_window_flag(ended, now)
    assert with_window_flag(flagged, now) == flagged  # merging twice adds nothing


def test_a_new_delivery_with_a_past_window_needs_attention_and_an_update_of_an_old_one_is_not_flagged(
        client, tenant, run_jobs, clean):
    doc = json.loads((SCHEMAS_DIR / "examples" / "delivery_input.v1.json").read_text())
    doc["source"]["external_id"] = "Q-PAST-1"
    doc["promised_window"] = {"start": "2025-03-14T09:00:00+01:00", "end": "2025-03-14T11:00:00+01:00"}
    response = client.post("/api/v1/deliveries", json=doc, headers=tenant["headers"])
    run_jobs()
    got = client.get(f"/api/v1/deliveries/{response.json['id']}", headers=tenant["headers"]).json
    assert got["status"] == "needs_attention"
    assert "window_in_past" in {f["code"] for f in got["data_quality_flags"]}

    soon = datetime.now(timezone.utc) + timedelta(hours=2)
    fresh = {**doc, "source": {**doc["source"], "external_id": "Q-PAST-2"},
             "promised_window": {"start": soon.isoformat(), "end": (soon + timedelta(hours=2)).isoformat()}}
    created = client.post("/api/v1/deliveries", json=fresh, headers=tenant["headers"]).json["id"]
    run_jobs()
    with transaction(clean.sessions) as session:  # the window passes while the delivery is under way
        row = session.get(Delivery, created)
        row.document = {**row.document, "promised_window": doc["promised_window"]}
    client.post("/api/v1/deliveries", json={**fresh, "notes": "ring twice"}, headers=tenant["headers"])
    run_jobs()
    updated = client.get(f"/api/v1/deliveries/{created}", headers=tenant["headers"]).json
    assert "window_in_past" not in {f["code"] for f in updated.get("data_quality_flags", [])}
