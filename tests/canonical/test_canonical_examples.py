"""Every canonical schema is valid, documented, has an example, and its marshmallow twin round-trips it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from marshmallow import Schema

from hub.canonical import (
    AssignmentPolicySchema,
    CarrierJobSchema,
    DeliveryAssignedSchema,
    DeliveryCreatedSchema,
    DeliveryExceptionSchema,
    DeliveryHandoffSchema,
    DeliveryInputSchema,
    DeliveryRatedSchema,
    DeliveryRecoverySchema,
    DeliverySchema,
    DeliveryUpdatedSchema,
    EtaChangedSchema,
    EventSchema,
    MessageSentSchema,
    MessageStatusSchema,
    PodCapturedSchema,
    RoutePlannedSchema,
    RouteUpdatedSchema,
    StatusChangedSchema,
    WebhookPayloadSchema,
    canonical_json,
    load_schema,
    validate_document,
    webhook_payload,
)
from hub.canonical.recovery import RecoveryPolicySchema
from hub.paths import SCHEMAS_DIR

TWINS: dict[str, type[Schema]] = {
    "delivery.v1": DeliverySchema,
    "delivery_input.v1": DeliveryInputSchema,
    "carrier_job.v1": CarrierJobSchema,
    "assignment_policy.v1": AssignmentPolicySchema,
    "recovery_policy.v1": RecoveryPolicySchema,
    "events/envelope.v1": EventSchema,
    "events/status_changed.v1": StatusChangedSchema,
    "events/pod_captured.v1": PodCapturedSchema,
    "events/webhook.v1": WebhookPayloadSchema,
    "events/assigned.v1": DeliveryAssignedSchema,
    "events/handoff.v1": DeliveryHandoffSchema,
    "events/recovery.v1": DeliveryRecoverySchema,
    "events/rated.v1": DeliveryRatedSchema,
    "events/created.v1": DeliveryCreatedSchema,
    "events/updated.v1": DeliveryUpdatedSchema,
    "events/eta_changed.v1": EtaChangedSchema,
    "events/exception.v1": DeliveryExceptionSchema,
    "events/route_planned.v1": RoutePlannedSchema,
    "events/route_updated.v1": RouteUpdatedSchema,
    "events/message_sent.v1": MessageSentSchema,
    "events/message_status.v1": MessageStatusSchema,
}
SCHEMA_FILES = sorted(
    str(p.relative_to(SCHEMAS_DIR).with_suffix(""))
    for p in SCHEMAS_DIR.rglob("*.json")
    if "examples" not in p.relative_to(SCHEMAS_DIR).parts
)


def example(name: str) -> Any:
    return json.loads((SCHEMAS_DIR / "examples" / f"{name}.json").read_text(encoding="utf-8"))


def test_every_schema_file_has_a_marshmallow_twin() -> None:
    assert SCHEMA_FILES == sorted(TWINS)


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_schema_is_valid_2020_12_and_versioned(name: str) -> None:
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://delivery-hub.dev/schemas/{name}.json"
    assert schema["x-version"] == "1.0.0"


def _objects(node: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            found.append((where, node))
        for key, value in node.items():
            found.extend(_objects(value, f"{where}/{key}"))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found.extend(_objects(value, f"{where}/{i}"))
    return found


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_every_property_is_described_and_objects_are_closed(name: str) -> None:
    for where, obj in _objects(load_schema(name), "#"):
        if "/allOf/" in where:  # envelope.v1's if/then pick the data schema by type; not objects of their own
            continue
        assert obj.get("additionalProperties") is False, where
        for prop, spec in obj["properties"].items():
            assert spec.get("description"), f"{where}/properties/{prop} has no description"


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_example_validates(name: str) -> None:
    assert validate_document(name, example(name)) == []


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_example_round_trips_through_marshmallow(name: str) -> None:
    twin = TWINS[name]()
    doc = example(name)
    dumped = twin.dump(twin.load(doc))
    assert dumped == doc
    assert canonical_json(dumped) == canonical_json(doc)
    assert validate_document(name, dumped) == []


def test_dump_accepts_json_shaped_documents_too() -> None:
    """Dumping a document read straight from the database (strings, not datetimes) gives it back."""
    doc = example("delivery.v1")
    assert DeliverySchema().dump(doc) == doc


def test_event_data_is_loaded_through_its_type_schema() -> None:
    event = EventSchema().load(example("events/envelope.v1"))
    assert event["data"]["location"]["lat"] == 52.52971
    untyped = {**example("events/envelope.v1"), "type": "delivery.eta_changed", "data": {"eta": "anything"}}
    assert EventSchema().dump(EventSchema().load(untyped)) == untyped


def test_webhook_payload_wraps_a_dumped_event() -> None:
    event = example("events/envelope.v1")
    payload = webhook_payload(event)
    assert payload["data"]["sequence"] == event["sequence"] == 7
    assert validate_document("events/webhook.v1", payload) == []
