"""marshmallow twins of schemas/events/*.json: the event envelope, its typed payloads, the webhook body."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from hub.canonical.delivery import NON_EMPTY, CanonicalSchema, code
from hub.canonical.fields import Number, StrictInteger, Timestamp
from hub.canonical.vocabulary import ACTOR_KINDS, DELIVERY_ID_PATTERN, EVENT_ID_PATTERN, EVENT_TYPES, STATUSES


class PositionSchema(CanonicalSchema):
    lat = Number(required=True, validate=validate.Range(min=-90, max=90))
    lng = Number(required=True, validate=validate.Range(min=-180, max=180))
    accuracy_m = Number(validate=validate.Range(min=0))


class StatusChangedSchema(CanonicalSchema):
    """The data of ``delivery.status_changed`` (schemas/events/status_changed.v1.json)."""

    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    previous_status = fields.String(validate=validate.OneOf(STATUSES))
    reason = fields.String()
    reason_code = code()
    location = fields.Nested(PositionSchema)
    note = fields.String()


class MediaSchema(CanonicalSchema):
    id = fields.String(required=True, validate=NON_EMPTY)
    content_type = fields.String(
        required=True, validate=validate.Regexp(r"^[a-z]+/[a-z0-9.+-]+$", error="Not a media type like image/jpeg.")
    )
    sha256 = fields.String(
        required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$", error="Not 64 lower-case hex characters.")
    )
    size_bytes = StrictInteger(required=True, validate=validate.Range(min=0))


class PodCapturedSchema(CanonicalSchema):
    """The data of ``delivery.pod_captured`` (schemas/events/pod_captured.v1.json)."""

    recipient_name = fields.String()
    signature = fields.Nested(MediaSchema)
    photos = fields.List(fields.Nested(MediaSchema))
    position = fields.Nested(PositionSchema)
    captured_at = Timestamp(required=True)
    notes = fields.String()


# Event types whose data has its own schema; the others carry a free-form object.
DATA_SCHEMAS: dict[str, type[Schema]] = {
    "delivery.status_changed": StatusChangedSchema,
    "delivery.pod_captured": PodCapturedSchema,
}


class EventData(fields.Field):
    """An event's ``data``, loaded and dumped through the schema its sibling ``type`` names (if any)."""

    default_error_messages = {"invalid": "Not a valid object."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.make_error("invalid")
        schema = DATA_SCHEMAS.get((data or {}).get("type", ""))
        return schema().load(value) if schema else value

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> dict[str, Any] | None:
        if value is None:
            return None
        event_type = obj.get("type") if isinstance(obj, dict) else getattr(obj, "type", None)
        schema = DATA_SCHEMAS.get(event_type or "")
        return schema().dump(value) if schema else value


class ActorSchema(CanonicalSchema):
    kind = fields.String(required=True, validate=validate.OneOf(ACTOR_KINDS))
    id = fields.String(validate=NON_EMPTY)
    connector = fields.String(validate=NON_EMPTY)
    email = fields.String(validate=validate.Length(min=3))  # operators: who signed in to the console


class EventSchema(CanonicalSchema):
    """One stored and emitted event (schemas/events/envelope.v1.json)."""

    id = fields.String(required=True, validate=validate.Regexp(EVENT_ID_PATTERN, error="Not an event id (evt_...)."))
    type = fields.String(required=True, validate=validate.OneOf(EVENT_TYPES))
    delivery_id = fields.String(
        required=True,
        allow_none=True,
        validate=validate.Regexp(DELIVERY_ID_PATTERN, error="Not a delivery id (dlv_...)."),
    )
    route_id = fields.String(validate=NON_EMPTY)
    tenant = fields.String(required=True, validate=NON_EMPTY)
    sequence = StrictInteger(required=True, validate=validate.Range(min=1))
    occurred_at = Timestamp(required=True)
    recorded_at = Timestamp(required=True)
    actor = fields.Nested(ActorSchema, required=True)
    data = EventData(required=True)


class WebhookDataSchema(CanonicalSchema):
    event = fields.Nested(EventSchema, required=True)
    sequence = StrictInteger(required=True, validate=validate.Range(min=1))


class WebhookPayloadSchema(CanonicalSchema):
    """The body of an outbound Standard Webhooks message (schemas/events/webhook.v1.json)."""

    type = fields.String(required=True, validate=validate.OneOf(EVENT_TYPES))
    timestamp = Timestamp(required=True)
    data = fields.Nested(WebhookDataSchema, required=True)


def webhook_payload(event: dict[str, Any]) -> dict[str, Any]:
    """The webhook body for a dumped (JSON-shaped) event: ``{type, timestamp, data: {event, sequence}}``."""
    if not isinstance(event.get("sequence"), int):
        raise ValidationError({"sequence": ["An event needs a sequence to be sent."]})
    return {
        "type": event["type"],
        "timestamp": event["occurred_at"],
        "data": {"event": event, "sequence": event["sequence"]},
    }
