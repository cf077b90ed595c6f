"""marshmallow twins of the typed event payloads in schemas/events/: created, updated, eta_changed, exception,
route_planned, route_updated, assigned, handoff, recovery, rated, message_sent and message_status (status_changed
and pod_captured live in events.py).

These are the ``data`` of an event. The envelope (envelope.v1.json) only binds status_changed and pod_captured
to their schemas, so ``EventSchema`` keeps the data of the other types free-form; use these twins directly.
"""

from __future__ import annotations

from marshmallow import fields, validate

from hub.canonical.delivery import AddressSchema, NON_EMPTY, CanonicalSchema, DeliverySchema, WindowSchema, code
from hub.canonical.events import PositionSchema
from hub.canonical.fields import Number, StrictInteger, Timestamp
from hub.canonical.recovery import RECOVERY_ACTIONS
from hub.canonical.vocabulary import (
    DELIVERY_ID_PATTERN, EXCEPTION_SEVERITIES, HOLDER_KINDS, RECOVERY_DECIDERS, STATUSES,
)


def _names(**kwargs: object) -> fields.List:
    """A list of non-empty strings, e.g. the names of changed fields."""
    return fields.List(fields.String(validate=NON_EMPTY), **kwargs)


class DeliveryCreatedSchema(CanonicalSchema):
    """The data of ``delivery.created`` (schemas/events/created.v1.json)."""

    delivery = fields.Nested(DeliverySchema, required=True)


class DeliveryUpdatedSchema(CanonicalSchema):
    """The data of ``delivery.updated`` (schemas/events/updated.v1.json)."""

    changed = _names(required=True, validate=validate.Length(min=1))
    delivery = fields.Nested(DeliverySchema, required=True)


class EtaChangedSchema(CanonicalSchema):
    """The data of ``delivery.eta_changed`` (schemas/events/eta_changed.v1.json)."""

    eta = Timestamp(required=True)
    previous_eta = Timestamp()
    window = fields.Nested(WindowSchema)
    source = code()
    route_id = fields.String(validate=NON_EMPTY)


class DeliveryExceptionSchema(CanonicalSchema):
    """The data of ``delivery.exception`` (schemas/events/exception.v1.json)."""

    code = code(required=True)
    message = fields.String()
    severity = fields.String(validate=validate.OneOf(EXCEPTION_SEVERITIES))
    location = fields.Nested(PositionSchema)
    note = fields.String()


class StopSchema(CanonicalSchema):
    """One stop of a route (``$defs/Stop`` of route_planned.v1.json and route_updated.v1.json)."""

    delivery_id = fields.String(
        required=True, validate=validate.Regexp(DELIVERY_ID_PATTERN, error="Not a delivery id (dlv_...).")
    )
    position = StrictInteger(required=True, validate=validate.Range(min=1))
    eta = Timestamp()
    window = fields.Nested(WindowSchema)


class RoutePlannedSchema(CanonicalSchema):
    """The data of ``route.planned`` (schemas/events/route_planned.v1.json)."""

    route_id = fields.String(required=True, validate=NON_EMPTY)
    vehicle_id = fields.String(validate=NON_EMPTY)
    driver_id = fields.String(validate=NON_EMPTY)
    starts_at = Timestamp()
    ends_at = Timestamp()
    distance_m = Number(validate=validate.Range(min=0))
    duration_s = Number(validate=validate.Range(min=0))
    stops = fields.List(fields.Nested(StopSchema), required=True)


class RouteUpdatedSchema(RoutePlannedSchema):
    """The data of ``route.updated`` (schemas/events/route_updated.v1.json): route.planned's fields and why."""

    changed = _names()
    reason = fields.String()


class DeliveryAssignedSchema(CanonicalSchema):
    """The data of ``delivery.assigned`` (schemas/events/assigned.v1.json)."""

    assignment_id = fields.String(required=True, validate=NON_EMPTY)
    attempt = StrictInteger(validate=validate.Range(min=1))
    trigger = fields.String()
    reason = fields.String()
    strategy = fields.String()
    policy_version = StrictInteger(validate=validate.Range(min=0))
    capacity = fields.String(required=True, validate=validate.OneOf(["own_fleet", "carrier"]))
    depot_id = fields.String()
    carrier_id = fields.String()
    job_id = fields.String()


class HolderSchema(CanonicalSchema):
    """Who holds the goods (``$defs/Holder`` of handoff.v1.json)."""

    kind = fields.String(required=True, validate=validate.OneOf(HOLDER_KINDS))
    id = fields.String(validate=NON_EMPTY)
    name = fields.String(validate=NON_EMPTY)


class DeliveryHandoffSchema(CanonicalSchema):
    """The data of ``delivery.handoff`` (schemas/events/handoff.v1.json)."""

    from_ = fields.Nested(HolderSchema, required=True, data_key="from")
    to = fields.Nested(HolderSchema, required=True)
    note = fields.String()


class DecidedBySchema(CanonicalSchema):
    kind = fields.String(required=True, validate=validate.OneOf(RECOVERY_DECIDERS))
    rule = fields.String()
    attempts = StrictInteger(validate=validate.Range(min=0))
    id = fields.String()


class RecoveryChoiceSchema(CanonicalSchema):
    kind = fields.String(required=True, validate=validate.OneOf(["slot", "safe_place", "neighbour", "pickup_point"]))
    instructions = fields.String()
    pickup_point = fields.String()
    reservation_id = fields.String()


class RecoveryPickupPointSchema(CanonicalSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    address = fields.Nested(AddressSchema, required=True)


class DeliveryRecoverySchema(CanonicalSchema):
    """The data of ``delivery.recovery`` (schemas/events/recovery.v1.json)."""

    action = fields.String(required=True, validate=validate.OneOf(RECOVERY_ACTIONS))
    previous_status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    decided_by = fields.Nested(DecidedBySchema, required=True)
    window = fields.Nested(WindowSchema)
    previous_window = fields.Nested(WindowSchema)
    trigger_event_id = fields.String()
    note = fields.String()
    choice = fields.Nested(RecoveryChoiceSchema)
    pickup_point = fields.Nested(RecoveryPickupPointSchema)
    customer_address = fields.Nested(AddressSchema)


class DeliveryRatedSchema(CanonicalSchema):
    """The data of ``delivery.rated`` (schemas/events/rated.v1.json): the customer's rating, from the tracking page."""

    rating = StrictInteger(required=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(validate=validate.Length(min=1, max=1000))


MESSAGE_TRIGGERS = ("order_confirmed", "out_for_delivery", "arriving_soon", "delivered", "failed_attempt",
                    "rescheduled", "delayed")
MESSAGE_STATUSES = ("queued", "sent", "delivered", "undelivered", "failed")


class MessageSentSchema(CanonicalSchema):
    """The data of ``delivery.message_sent`` (schemas/events/message_sent.v1.json)."""

    message_id = fields.String(required=True, validate=NON_EMPTY)
    trigger = fields.String(required=True, validate=validate.OneOf(MESSAGE_TRIGGERS))
    channel = fields.String(required=True, validate=validate.OneOf(["email", "sms"]))
    language = fields.String(validate=validate.Length(min=2))
    provider = fields.String(required=True, validate=NON_EMPTY)
    provider_message_id = fields.String(required=True, validate=NON_EMPTY)
    status = fields.String(required=True, validate=validate.OneOf(MESSAGE_STATUSES))


class MessageStatusSchema(CanonicalSchema):
    """The data of ``delivery.message_status`` (schemas/events/message_status.v1.json)."""

    message_id = fields.String(required=True, validate=NON_EMPTY)
    trigger = fields.String(required=True, validate=validate.OneOf(MESSAGE_TRIGGERS))
    channel = fields.String(required=True, validate=validate.OneOf(["email", "sms"]))
    provider = fields.String()
    provider_message_id = fields.String()
    status = fields.String(required=True, validate=validate.OneOf(MESSAGE_STATUSES))
    provider_status = fields.String(required=True, validate=NON_EMPTY)
    error_code = fields.String()
    error = fields.String()
