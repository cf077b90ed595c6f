"""marshmallow twins of schemas/delivery.v1.json, delivery_input.v1.json and carrier_job.v1.json.

``load`` turns JSON into Python values (aware datetimes, Decimals); ``dump`` gives back the JSON shape.
Unknown keys are rejected, as ``additionalProperties: false`` does in the JSON Schemas.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from hub.canonical.fields import DecimalString, Number, StrictBoolean, StrictInteger, Timestamp, unique_items
from hub.canonical.vocabulary import (
    CODE_PATTERN,
    COUNTRY_PATTERN,
    CURRENCY_PATTERN,
    DELIVERY_ID_PATTERN,
    GEO_SOURCES,
    JOB_ID_PATTERN,
    JSON_PATH_PATTERN,
    PRIORITY_TIERS,
    SCHEMA_VERSION,
    SERVICE_LEVELS,
    SEVERITIES,
    STATUSES,
    TEMPERATURES,
)

NON_EMPTY = validate.Length(min=1)


def code(**kwargs: object) -> fields.String:
    """A lower-case snake_case code such as ``cold_chain``."""
    return fields.String(validate=validate.Regexp(CODE_PATTERN, error="Not a lower-case code like cold_chain."), **kwargs)


def codes() -> fields.List:
    return fields.List(code(), validate=unique_items)


class CanonicalSchema(Schema):
    """Base for every canonical schema: unknown keys are errors."""

    class Meta:
        unknown = RAISE


class SourceSchema(CanonicalSchema):
    connector = fields.String(validate=NON_EMPTY)
    installation_id = fields.String(validate=NON_EMPTY)
    external_id = fields.String(required=True, validate=NON_EMPTY)
    external_order_number = fields.String()
    store = fields.String()
    updated_at = Timestamp()  # the source's own clock: older updates are recorded late, not applied


class WindowSchema(CanonicalSchema):
    class Meta(CanonicalSchema.Meta):
        openapi = {"minProperties": 1}  # as the JSON Schema says; the API's OpenAPI document shows it

    start = Timestamp()
    end = Timestamp()

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data:
            raise ValidationError("A window needs a start, an end, or both.")


class GeoSchema(CanonicalSchema):
    lat = Number(required=True, validate=validate.Range(min=-90, max=90))
    lng = Number(required=True, validate=validate.Range(min=-180, max=180))
    source = fields.String(validate=validate.OneOf(GEO_SOURCES))
    accuracy_m = Number(validate=validate.Range(min=0))


class AddressSchema(CanonicalSchema):
    line1 = fields.String(required=True, validate=NON_EMPTY)
    line2 = fields.String()
    unit = fields.String()
    floor = fields.String()
    city = fields.String(required=True, validate=NON_EMPTY)
    region = fields.String()
    postal_code = fields.String()
    country = fields.String(
        required=True,
        validate=validate.Regexp(COUNTRY_PATTERN, error="Not an ISO 3166-1 alpha-2 country code like DE or CA."),
    )
    geo = fields.Nested(GeoSchema)


class PickupSchema(CanonicalSchema):
    location_id = fields.String(validate=NON_EMPTY)
    address = fields.Nested(AddressSchema)
    ready_at = Timestamp()


class ContactSchema(CanonicalSchema):
    name = fields.String(required=True, validate=NON_EMPTY)
    phone = fields.String(validate=NON_EMPTY)
    email = fields.Email()


class AccessSchema(CanonicalSchema):
    gate_code = fields.String()
    buzzer_code = fields.String()
    instructions = fields.String()
    curbside_notes = fields.String()
    parking_notes = fields.String()


class DropoffPickupPointSchema(CanonicalSchema):
    id = fields.String(required=True, validate=NON_EMPTY)
    name = fields.String(required=True, validate=NON_EMPTY)
    customer_address = fields.Nested(AddressSchema, required=True)


class DropoffSchema(CanonicalSchema):
    contact = fields.Nested(ContactSchema, required=True)
    address = fields.Nested(AddressSchema, required=True)
    access = fields.Nested(AccessSchema)
    pickup_point = fields.Nested(DropoffPickupPointSchema)  # the point's address is `address`; the recipient's kept here


class DimensionsSchema(CanonicalSchema):
    length = StrictInteger(required=True, validate=validate.Range(min=0))
    width = StrictInteger(required=True, validate=validate.Range(min=0))
    height = StrictInteger(required=True, validate=validate.Range(min=0))


class ParcelSchema(CanonicalSchema):
    sku = fields.String()
    description = fields.String()
    quantity = StrictInteger(validate=validate.Range(min=1))
    weight_g = StrictInteger(validate=validate.Range(min=0))
    dimensions_mm = fields.Nested(DimensionsSchema)
    temperature = fields.String(validate=validate.OneOf(TEMPERATURES))


class RequirementsSchema(CanonicalSchema):
    vehicle_features = codes()
    skills = codes()
    signature = StrictBoolean()
    photo = StrictBoolean()
    minimum_age = StrictInteger(allow_none=True, validate=validate.Range(min=0))


class MoneySchema(CanonicalSchema):
    amount = DecimalString(required=True)
    currency = fields.String(
        required=True, validate=validate.Regexp(CURRENCY_PATTERN, error="Not an ISO 4217 currency code like EUR.")
    )


class DataQualityFlagSchema(CanonicalSchema):
    code = code(required=True)
    message = fields.String(required=True, validate=NON_EMPTY)
    field = fields.String(validate=validate.Regexp(JSON_PATH_PATTERN, error="Not a JSON path like $.dropoff.address.unit."))
    severity = fields.String(required=True, validate=validate.OneOf(SEVERITIES))


class DeliveryInputSchema(CanonicalSchema):
    """What a client or connector submits (schemas/delivery_input.v1.json); server fields are rejected."""

    source = fields.Nested(SourceSchema, required=True)
    service_level = fields.String(validate=validate.OneOf(SERVICE_LEVELS))
    priority_tier = fields.String(validate=validate.OneOf(PRIORITY_TIERS))
    promised_window = fields.Nested(WindowSchema)
    pickup = fields.Nested(PickupSchema)
    dropoff = fields.Nested(DropoffSchema, required=True)
    parcels = fields.List(fields.Nested(ParcelSchema))
    requirements = fields.Nested(RequirementsSchema)
    declared_value = fields.Nested(MoneySchema)
    notes = fields.String()
    tags = fields.List(fields.String(validate=NON_EMPTY), validate=unique_items)
    slot_reservation_id = fields.String(validate=validate.Length(min=1, max=40))
    data_quality_flags = fields.List(fields.Nested(DataQualityFlagSchema))


class DeliverySchema(DeliveryInputSchema):
    """The full stored and emitted delivery (schemas/delivery.v1.json), server fields included."""

    id = fields.String(required=True, validate=validate.Regexp(DELIVERY_ID_PATTERN, error="Not a delivery id (dlv_...)."))
    tenant = fields.String(required=True, validate=NON_EMPTY)
    schema_version = fields.String(required=True, validate=validate.Equal(SCHEMA_VERSION))
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)
    version = StrictInteger(required=True, validate=validate.Range(min=1))
    tracking_url = fields.String(validate=NON_EMPTY)  # output only: the hub adds it when it answers


class CallbackSchema(CanonicalSchema):
    status_url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False)


class CarrierJobSchema(CanonicalSchema):
    """The normalized job a carrier receives (schemas/carrier_job.v1.json)."""

    job_id = fields.String(required=True, validate=validate.Regexp(JOB_ID_PATTERN, error="Not a job id (job_...)."))
    delivery_id = fields.String(
        required=True, validate=validate.Regexp(DELIVERY_ID_PATTERN, error="Not a delivery id (dlv_...).")
    )
    tracking_reference = fields.String(validate=NON_EMPTY)
    pickup = fields.Nested(PickupSchema)
    dropoff = fields.Nested(DropoffSchema, required=True)
    window = fields.Nested(WindowSchema)
    parcels = fields.List(fields.Nested(ParcelSchema))
    requirements = fields.Nested(RequirementsSchema)
    declared_value = fields.Nested(MoneySchema)
    instructions = fields.String()
    service_level = fields.String(validate=validate.OneOf(SERVICE_LEVELS))
    callback = fields.Nested(CallbackSchema, required=True)
