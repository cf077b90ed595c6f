"""validate_document returns errors a newcomer can act on, each with the JSON path of the bad field."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from marshmallow import ValidationError

from hub.canonical import (
    DeliveryInputSchema,
    DeliverySchema,
    FieldError,
    marshmallow_field_errors,
    validate_document,
)
from hub.paths import SCHEMAS_DIR


@pytest.fixture
def delivery() -> dict[str, Any]:
    return json.loads((SCHEMAS_DIR / "examples" / "delivery.v1.json").read_text(encoding="utf-8"))


@pytest.fixture
def client_input() -> dict[str, Any]:
    return json.loads((SCHEMAS_DIR / "examples" / "delivery_input.v1.json").read_text(encoding="utf-8"))


def paths(errors: list[FieldError]) -> list[str]:
    return [e.path for e in errors]


@pytest.mark.parametrize(
    ("remove", "path"),
    [
        (("dropoff", "address", "line1"), "$.dropoff.address.line1"),
        (("dropoff", "address", "city"), "$.dropoff.address.city"),
        (("dropoff", "address", "country"), "$.dropoff.address.country"),
        (("dropoff", "contact", "name"), "$.dropoff.contact.name"),
        (("source", "external_id"), "$.source.external_id"),
        (("dropoff",), "$.dropoff"),
    ],
)
def test_missing_required_field_is_reported_at_its_path(client_input: dict[str, Any], remove: tuple[str, ...], path: str) -> None:
    parent = client_input
    for key in remove[:-1]:
        parent = parent[key]
    del parent[remove[-1]]
    errors = validate_document("delivery_input.v1", client_input)
    assert errors == [FieldError(path, f"'{remove[-1]}' is a required property")]
    with pytest.raises(ValidationError) as caught:
        DeliveryInputSchema().load(client_input)
    assert paths(marshmallow_field_errors(caught.value.messages)) == [path]


def test_stored_document_requires_server_fields(delivery: dict[str, Any]) -> None:
    for field in ("id", "tenant", "status", "created_at", "updated_at", "version", "schema_version"):
        doc = copy.deepcopy(delivery)
        del doc[field]
        assert paths(validate_document("delivery.v1", doc)) == [f"$.{field}"]


def test_client_may_not_send_server_fields(client_input: dict[str, Any]) -> None:
    client_input["status"] = "delivered"
    assert validate_document("delivery_input.v1", client_input) == [
        FieldError("$.status", "'status' is not an allowed property here")
    ]
    with pytest.raises(ValidationError):
        DeliveryInputSchema().load(client_input)


@pytest.mark.parametrize("value", ["2025-03-14T14:00:00", "2025-03-14 14:00:00+01:00", "2025-03-14", "2025-02-30T10:00:00Z"])
def test_window_without_timezone_or_invalid_is_rejected(delivery: dict[str, Any], value: str) -> None:
    delivery["promised_window"]["start"] = value
    errors = validate_document("delivery.v1", delivery)
    assert paths(errors) == ["$.promised_window.start"]
    assert "timezone" in errors[0].message
    with pytest.raises(ValidationError) as caught:
        DeliverySchema().load(delivery)
    assert paths(marshmallow_field_errors(caught.value.messages)) == ["$.promised_window.start"]


def test_naive_timestamp_gets_a_message_that_says_so(delivery: dict[str, Any]) -> None:
    delivery["promised_window"]["end"] = "2025-03-14T16:00:00"
    with pytest.raises(ValidationError) as caught:
        DeliverySchema().load(delivery)
    assert "no timezone" in caught.value.messages["promised_window"]["end"][0]


@pytest.mark.parametrize("country", ["DEU", "de", "Germany", ""])
def test_bad_country_code_is_rejected(delivery: dict[str, Any], country: str) -> None:
    delivery["dropoff"]["address"]["country"] = country
    errors = validate_document("delivery.v1", delivery)
    assert paths(errors) == ["$.dropoff.address.country"]
    assert "ISO 3166-1 alpha-2" in errors[0].message
    with pytest.raises(ValidationError) as caught:
        DeliverySchema().load(delivery)
    assert paths(marshmallow_field_errors(caught.value.messages)) == ["$.dropoff.address.country"]


def test_errors_are_sorted_by_path_and_point_into_lists(delivery: dict[str, Any]) -> None:
    delivery["parcels"][1]["quantity"] = 0
    delivery["declared_value"]["amount"] = 23.4
    delivery["status"] = "lost"
    delivery["dropoff"]["contact"]["email"] = "not-an-email"
    assert paths(validate_document("delivery.v1", delivery)) == [
        "$.declared_value.amount",
        "$.dropoff.contact.email",
        "$.parcels[1].quantity",
        "$.status",
    ]


def test_nullable_delivery_id_reports_the_real_problem() -> None:
    event = json.loads((SCHEMAS_DIR / "examples" / "events" / "envelope.v1.json").read_text(encoding="utf-8"))
    event["delivery_id"] = "42"
    [error] = validate_document("events/envelope.v1", event)
    assert error.path == "$.delivery_id"
    assert "delivery id" in error.message
    event["delivery_id"] = None
    event["type"] = "route.planned"
    event["data"] = {"route_id": "rte_1"}
    assert validate_document("events/envelope.v1", event) == []


def test_typed_event_data_is_checked_against_its_schema() -> None:
    event = json.loads((SCHEMAS_DIR / "examples" / "events" / "envelope.v1.json").read_text(encoding="utf-8"))
    del event["data"]["status"]
    assert paths(validate_document("events/envelope.v1", event)) == ["$.data.status"]


def test_null_is_not_a_value_except_minimum_age(delivery: dict[str, Any]) -> None:
    delivery["dropoff"]["address"]["line2"] = None
    assert paths(validate_document("delivery.v1", delivery)) == ["$.dropoff.address.line2"]
    with pytest.raises(ValidationError):
        DeliverySchema().load(delivery)
