"""Property tests: whatever marshmallow accepts and dumps validates against the JSON Schema."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.canonical import (
    EVENT_TYPES,
    PRIORITY_TIERS,
    SERVICE_LEVELS,
    STATUSES,
    DeliveryInputSchema,
    DeliverySchema,
    EventSchema,
    canonical_json,
    format_timestamp,
    new_delivery_id,
    new_event_id,
    validate_document,
)

# Hypothesis budget: enough examples to hit every optional branch, small enough to keep the suite fast.
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

text = st.text(max_size=20)
non_empty = st.text(min_size=1, max_size=20)
codes = st.from_regex(r"\A[a-z][a-z0-9_]{0,11}\Z")
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
aware = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=offsets)
timestamps = aware.map(format_timestamp)
numbers = st.one_of(st.integers(-1000, 1000), st.floats(allow_nan=False, allow_infinity=False, width=64))


def optional(draw: st.DrawFn, doc: dict[str, Any], key: str, strategy: st.SearchStrategy[Any]) -> None:
    if draw(st.booleans()):
        doc[key] = draw(strategy)


@st.composite
def geo(draw: st.DrawFn) -> dict[str, Any]:
    doc = {
        "lat": draw(st.one_of(st.integers(-90, 90), st.floats(-90, 90))),
        "lng": draw(st.one_of(st.integers(-180, 180), st.floats(-180, 180))),
    }
    optional(draw, doc, "source", st.sampled_from(["store", "geocoder", "driver", "manual", "unknown"]))
    optional(draw, doc, "accuracy_m", st.one_of(st.integers(0, 10_000), st.floats(0, 10_000)))
    return doc


@st.composite
def address(draw: st.DrawFn) -> dict[str, Any]:
    doc = {"line1": draw(non_empty), "city": draw(non_empty), "country": draw(st.from_regex(r"\A[A-Z]{2}\Z"))}
    for key in ("line2", "unit", "floor", "region", "postal_code"):
        optional(draw, doc, key, text)
    optional(draw, doc, "geo", geo())
    return doc


@st.composite
def window(draw: st.DrawFn) -> dict[str, Any]:
    keys = draw(st.sampled_from([("start",), ("end",), ("start", "end")]))
    return {key: draw(timestamps) for key in keys}


@st.composite
def dropoff(draw: st.DrawFn) -> dict[str, Any]:
    contact = {"name": draw(non_empty)}
    optional(draw, contact, "phone", st.sampled_from(["+4930901820", "+14165550142", "ask at the door"]))
    optional(draw, contact, "email", st.sampled_from(["lena@example.de", "priya.n+orders@example.ca"]))
    doc = {"contact": contact, "address": draw(address())}
    if draw(st.booleans()):
        access: dict[str, Any] = {}
        for key in ("gate_code", "buzzer_code", "instructions", "curbside_notes", "parking_notes"):
            optional(draw, access, key, text)
        doc["access"] = access
    return doc


@st.composite
def parcel(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    optional(draw, doc, "sku", text)
    optional(draw, doc, "description", text)
    optional(draw, doc, "quantity", st.integers(1, 10_000))
    optional(draw, doc, "weight_g", st.integers(0, 10**7))
    optional(draw, doc, "dimensions_mm", st.fixed_dictionaries({k: st.integers(0, 5000) for k in ("length", "width", "height")}))
    optional(draw, doc, "temperature", st.sampled_from(["ambient", "chilled", "frozen"]))
    return doc


@st.composite
def requirements(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    optional(draw, doc, "vehicle_features", st.lists(codes, unique=True, max_size=3))
    optional(draw, doc, "skills", st.lists(codes, unique=True, max_size=3))
    optional(draw, doc, "signature", st.booleans())
    optional(draw, doc, "photo", st.booleans())
    optional(draw, doc, "minimum_age", st.one_of(st.none(), st.integers(0, 99)))
    return doc


money = st.fixed_dictionaries(
    {
        "amount": st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**9, max_value=10**9).map(
            lambda d: format(d, "f")
        ),
        "currency": st.from_regex(r"\A[A-Z]{3}\Z"),
    }
)
flag = st.fixed_dictionaries(
    {"code": codes, "message": non_empty, "severity": st.sampled_from(["info", "warning", "error"])},
    optional={"field": st.sampled_from(["$.dropoff.address.unit", "$.parcels[0].weight_g", "$"])},
)


@st.composite
def delivery_input(draw: st.DrawFn) -> dict[str, Any]:
    source = {"external_id": draw(st.one_of(non_empty, st.integers(0, 2**64 - 1).map(str)))}
    for key in ("connector", "installation_id"):
        optional(draw, source, key, non_empty)
    for key in ("external_order_number", "store"):
        optional(draw, source, key, text)
    doc: dict[str, Any] = {"source": source, "dropoff": draw(dropoff())}
    optional(draw, doc, "service_level", st.sampled_from(SERVICE_LEVELS))
    optional(draw, doc, "priority_tier", st.sampled_from(PRIORITY_TIERS))
    optional(draw, doc, "promised_window", window())
    if draw(st.booleans()):
        pickup: dict[str, Any] = {}
        optional(draw, pickup, "location_id", non_empty)
        optional(draw, pickup, "address", address())
        optional(draw, pickup, "ready_at", timestamps)
        doc["pickup"] = pickup
    optional(draw, doc, "parcels", st.lists(parcel(), max_size=3))
    optional(draw, doc, "requirements", requirements())
    optional(draw, doc, "declared_value", money)
    optional(draw, doc, "notes", text)
    optional(draw, doc, "tags", st.lists(non_empty, unique=True, max_size=3))
    optional(draw, doc, "data_quality_flags", st.lists(flag, max_size=2))
    return doc


@st.composite
def stored_delivery(draw: st.DrawFn) -> dict[str, Any]:
    """A delivery as the server builds it: Python values (datetimes, Decimals) in, before dumping."""
    doc = DeliveryInputSchema().load(draw(delivery_input()))
    doc.update(
        id=new_delivery_id(),
        tenant=draw(non_empty),
        schema_version="1",
        status=draw(st.sampled_from(STATUSES)),
        created_at=draw(aware),
        updated_at=draw(aware),
        version=draw(st.integers(1, 10**6)),
    )
    if "declared_value" in doc and draw(st.booleans()):
        doc["declared_value"]["amount"] = draw(st.decimals(allow_nan=False, allow_infinity=False))
    return doc


@PROPERTY_SETTINGS
@given(delivery_input())
def test_client_input_validates_and_round_trips(doc: dict[str, Any]) -> None:
    assert validate_document("delivery_input.v1", doc) == []
    dumped = DeliveryInputSchema().dump(DeliveryInputSchema().load(doc))
    assert canonical_json(dumped) == canonical_json(doc)


@PROPERTY_SETTINGS
@given(stored_delivery())
def test_every_delivery_dump_validates(doc: dict[str, Any]) -> None:
    dumped = DeliverySchema().dump(doc)
    assert validate_document("delivery.v1", dumped) == []
    again = DeliverySchema().dump(DeliverySchema().load(dumped))
    assert canonical_json(again) == canonical_json(dumped)


status_data = st.fixed_dictionaries(
    {"status": st.sampled_from(STATUSES)},
    optional={
        "previous_status": st.sampled_from(STATUSES),
        "reason": text,
        "reason_code": codes,
        "location": st.fixed_dictionaries({"lat": st.floats(-90, 90), "lng": st.floats(-180, 180)}),
        "note": text,
    },
)


@PROPERTY_SETTINGS
@given(
    event_type=st.sampled_from(EVENT_TYPES),
    status=status_data,
    sequence=st.integers(1, 10**9),
    occurred=aware,
    recorded=aware,
    actor=st.fixed_dictionaries({"kind": st.sampled_from(["system", "driver", "carrier"])}, optional={"id": non_empty}),
)
def test_every_event_dump_validates(
    event_type: str, status: dict[str, Any], sequence: int, occurred: datetime, recorded: datetime, actor: dict[str, Any]
) -> None:
    data: dict[str, Any] = status if event_type == "delivery.status_changed" else {"note": "free-form"}
    if event_type == "delivery.pod_captured":
        data = {"captured_at": format_timestamp(occurred), "photos": []}
    event = EventSchema().load(
        {
            "id": new_event_id(),
            "type": event_type,
            "delivery_id": None if event_type.startswith("route.") else new_delivery_id(),
            "tenant": "berlin-bakery",
            "sequence": sequence,
            "occurred_at": format_timestamp(occurred),
            "recorded_at": format_timestamp(recorded),
            "actor": actor,
            "data": data,
        }
    )
    assert validate_document("events/envelope.v1", EventSchema().dump(event)) == []


def test_decimal_amounts_dump_as_plain_decimal_strings() -> None:
    assert DeliverySchema().fields["declared_value"].schema.dump({"amount": Decimal("1E+3"), "currency": "EUR"}) == {
        "amount": "1000",
        "currency": "EUR",
    }
