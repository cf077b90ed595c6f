"""marshmallow twin of schemas/recovery_policy.v1.json: what the hub does after a failed delivery attempt."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from hub.canonical.delivery import NON_EMPTY, CanonicalSchema
from hub.canonical.fields import StrictBoolean, StrictInteger
from hub.canonical.validation import load_schema
from hub.canonical.vocabulary import CODE_PATTERN, SERVICE_LEVELS

_DEFS = load_schema("recovery_policy.v1")["$defs"]
RECOVERY_ACTIONS: tuple[str, ...] = tuple(_DEFS["Action"]["enum"])
LOCAL_TIME_PATTERN: str = _DEFS["LocalTime"]["pattern"]
UTC_OFFSET_PATTERN: str = _DEFS["Reschedule"]["properties"]["utc_offset"]["pattern"]


def _action(required: bool = False) -> fields.String:
    return fields.String(required=required, validate=validate.OneOf(RECOVERY_ACTIONS))


def _local_time() -> fields.String:
    return fields.String(required=True, validate=validate.Regexp(LOCAL_TIME_PATTERN, error="Not a time like 09:00."))


class MatchSchema(CanonicalSchema):
    class Meta(CanonicalSchema.Meta):
        openapi = {"minProperties": 1}

    reason_codes = fields.List(fields.String(validate=validate.Regexp(CODE_PATTERN)), validate=NON_EMPTY)
    service_levels = fields.List(fields.String(validate=validate.OneOf(SERVICE_LEVELS)), validate=NON_EMPTY)
    min_attempts = StrictInteger(validate=validate.Range(min=1))

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data:
            raise ValidationError("A match needs at least one of reason_codes, service_levels, min_attempts.")


class RuleSchema(CanonicalSchema):
    name = fields.String(required=True, validate=NON_EMPTY)
    match = fields.Nested(MatchSchema, required=True)
    action = _action(required=True)


class DayWindowSchema(CanonicalSchema):
    start = _local_time()
    end = _local_time()


class RescheduleSchema(CanonicalSchema):
    days_ahead = StrictInteger(validate=validate.Range(min=1, max=14))
    skip_weekends = StrictBoolean()
    fallback_window = fields.Nested(DayWindowSchema)
    utc_offset = fields.String(validate=validate.Regexp(UTC_OFFSET_PATTERN, error="Not an offset like +01:00."))


class RecoveryPolicySchema(CanonicalSchema):
    """A tenant's service-recovery policy (schemas/recovery_policy.v1.json)."""

    default_action = _action()
    max_attempts = StrictInteger(validate=validate.Range(min=1, max=10))
    rules = fields.List(fields.Nested(RuleSchema))
    reschedule = fields.Nested(RescheduleSchema)
