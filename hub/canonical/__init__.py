"""The canonical model: JSON Schemas in schemas/ (the contract) and their marshmallow twins.

Use ``DeliveryInputSchema`` for what clients send, ``DeliverySchema`` for what the hub stores and emits,
``validate_document`` for 422s with JSON paths, and ``canonical_json`` for hashing.
"""

from hub.canonical.delivery import (
    AddressSchema,
    CarrierJobSchema,
    ContactSchema,
    DataQualityFlagSchema,
    DeliveryInputSchema,
    DeliverySchema,
    DropoffSchema,
    GeoSchema,
    MoneySchema,
    ParcelSchema,
    PickupSchema,
    RequirementsSchema,
    SourceSchema,
    WindowSchema,
)
from hub.canonical.encoding import canonical_json, drop_none
from hub.canonical.events import (
    DATA_SCHEMAS,
    ActorSchema,
    EventSchema,
    MediaSchema,
    PodCapturedSchema,
    PositionSchema,
    StatusChangedSchema,
    WebhookPayloadSchema,
    webhook_payload,
)
from hub.canonical.fields import format_timestamp, parse_timestamp
from hub.canonical.ids import new_delivery_id, new_event_id, new_job_id, sortable_id
from hub.canonical.phone import normalize_phone
from hub.canonical.validation import (
    FieldError,
    is_valid,
    load_schema,
    marshmallow_field_errors,
    validate_document,
)
from hub.canonical.vocabulary import (
    ACTOR_KINDS,
    EVENT_TYPES,
    PRIORITY_TIERS,
    SCHEMA_VERSION,
    SERVICE_LEVELS,
    STATUSES,
    TERMINAL_STATUSES,
)

__all__ = [
    "ACTOR_KINDS",
    "DATA_SCHEMAS",
    "EVENT_TYPES",
    "PRIORITY_TIERS",
    "SCHEMA_VERSION",
    "SERVICE_LEVELS",
    "STATUSES",
    "TERMINAL_STATUSES",
    "ActorSchema",
    "AddressSchema",
    "CarrierJobSchema",
    "ContactSchema",
    "DataQualityFlagSchema",
    "DeliveryInputSchema",
    "DeliverySchema",
    "DropoffSchema",
    "EventSchema",
    "FieldError",
    "GeoSchema",
    "MediaSchema",
    "MoneySchema",
    "ParcelSchema",
    "PickupSchema",
    "PodCapturedSchema",
    "PositionSchema",
    "RequirementsSchema",
    "SourceSchema",
    "StatusChangedSchema",
    "WebhookPayloadSchema",
    "WindowSchema",
    "canonical_json",
    "drop_none",
    "format_timestamp",
    "is_valid",
    "load_schema",
    "marshmallow_field_errors",
    "new_delivery_id",
    "new_event_id",
    "new_job_id",
    "normalize_phone",
    "parse_timestamp",
    "sortable_id",
    "validate_document",
    "webhook_payload",
]
