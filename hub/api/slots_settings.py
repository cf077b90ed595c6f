"""The slot settings' declared shapes (GET and PUT /api/v1/settings/slots, hub/api/slots.py): the keys a
tenant may set, their bounds, and the order of day_start and day_end, written so that the OpenAPI document
states the same rules the API enforces.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from hub.api.declare import AsSent
from hub.plugins.settings import Pattern
from hub.slots.settings import HHMM


def _later(start: str, end: str) -> dict[str, Any]:
    """Both times given: `end`'s hour is later, or the hour is the same and its minutes are later (tens, then
    units): "close after open" in JSON Schema patterns."""
    def later_hours(first: int) -> str:
        return "^(" + "|".join(f"{h:02d}" for h in range(first, 24)) + "):"

    def pair(first: str, second: str) -> dict[str, Any]:
        return {"properties": {start: {"pattern": first}, end: {"pattern": second}}}

    same_hour = {"anyOf": [pair(f"^{h:02d}:", f"^{h:02d}:") for h in range(24)]}
    later_minutes = {"anyOf": [*(pair(f":{t}", f":[{t + 1}-5]") for t in range(5)),
                               *(pair(f":{t}{u}$", f":{t}[{u + 1}-9]$") for t in range(6) for u in range(9))]}
    return {"anyOf": [*(pair(f"^{h:02d}:", later_hours(h + 1)) for h in range(23)),
                      {"allOf": [same_hour, later_minutes]}]}


class OpeningSchema(Schema):
    class Meta:
        openapi = _later("open", "close")

    open = fields.String(required=True, validate=Pattern(HHMM.pattern, error='Not a local time "HH:MM".'))
    close = fields.String(required=True, validate=Pattern(HHMM.pattern, error='Not a local time "HH:MM".'),
                          metadata={"description": "after open"})


class OpeningHoursSchema(Schema):
    class Meta:
        openapi = {"minProperties": 1}

    mon, tue, wed, thu, fri, sat, sun = (fields.Nested(OpeningSchema) for _ in range(7))


class PickupPointSchema(Schema):
    class Meta:
        # Coordinates come in pairs, with the city and country that make the point an address the hub can route to.
        openapi = {"anyOf": [{"not": {"anyOf": [{"required": ["lat"]}, {"required": ["lng"]}]}},
                             {"required": ["lat", "lng", "city", "country"]}]}

    id = fields.String(required=True, validate=validate.Length(min=1))
    name = fields.String(required=True, validate=validate.Length(min=1))
    address = fields.String(required=True, validate=validate.Length(min=1),
                            metadata={"description": "the line the recipient reads, e.g. \"Alexanderplatz 3, 10178 Berlin\""})
    line1 = fields.String(validate=validate.Length(min=1), metadata={"description": "street and number; default: address"})
    postal_code = fields.String(validate=validate.Length(min=1))
    city = fields.String(validate=validate.Length(min=1))
    country = fields.String(validate=Pattern(r"^[A-Z]{2}$", error="Not an ISO 3166-1 alpha-2 code, e.g. DE."))
    lat = fields.Float(validate=validate.Range(-90, 90), metadata={
        "description": "with lng, city and country the hub routes a recipient's next attempt to the point itself"})
    lng = fields.Float(validate=validate.Range(-180, 180))
    opening_hours = fields.Nested(OpeningHoursSchema, metadata={
        "description": "local opening per weekday (a day left out: closed); none: any day"})


def _day_order() -> dict[str, Any]:
    """day_end after day_start, a missing one being its default (08:00, 20:00), in JSON Schema."""
    absent = {"not": {}}  # a property that must not be there
    return {"anyOf": [
        {"properties": {"day_start": absent, "day_end": absent}},
        {"properties": {"day_start": {"pattern": "^[01]"}, "day_end": absent}},
        {"properties": {"day_start": absent, "day_end": {"pattern": "^(08:(0[1-9]|[1-5])|09|1|2)"}}},
        {"required": ["day_start", "day_end"], **_later("day_start", "day_end")}]}


class WholeNumber(fields.Integer):
    """A JSON integer: 30 or 30.0 (JSON Schema's integer is a number without a fraction), never "30" or true."""

    def _validated(self, value: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._validated(value)  # type: ignore[no-any-return]


class SlotSettingsSchema(Schema):
    """The tenant's slot settings (hub/slots/settings.py checks the same bounds when it reads them)."""

    class Meta:
        openapi = _day_order()

    window_minutes = WholeNumber(strict=True, validate=validate.Range(30, 720))
    day_start = fields.String(validate=Pattern(HHMM.pattern, error='Not a local time "HH:MM".'),
                              metadata={"description": "local time HH:MM; default 08:00"})
    day_end = fields.String(validate=Pattern(HHMM.pattern, error='Not a local time "HH:MM".'),
                            metadata={"description": "local time HH:MM, after day_start; default 20:00"})
    cutoff_minutes = WholeNumber(strict=True, validate=validate.Range(0, 2880))
    hold_minutes = WholeNumber(strict=True, validate=validate.Range(1, 1440))
    days_ahead = WholeNumber(strict=True, validate=validate.Range(1, 31))
    price = fields.String(validate=Pattern(r"^[0-9]+(\.[0-9]{1,2})?$", error='Not an amount as a string, e.g. "4.90".'))
    currency = fields.String(validate=Pattern(r"^[A-Z]{3}$", error="Not an ISO 4217 code, e.g. EUR."))
    pickup_points = fields.List(fields.Nested(PickupPointSchema))


class SlotSettingsBody(AsSent, SlotSettingsSchema):
    """Stored as sent: keys left out keep following the defaults."""


class SlotSettingsInForce(SlotSettingsSchema):
    """Every key, defaults filled in."""

    window_minutes = fields.Integer(required=True)
    day_start = fields.String(required=True)
    day_end = fields.String(required=True)
    cutoff_minutes = fields.Integer(required=True)
    hold_minutes = fields.Integer(required=True)
    days_ahead = fields.Integer(required=True)
    price = fields.String(required=True)
    currency = fields.String(required=True)
    pickup_points = fields.List(fields.Nested(PickupPointSchema), required=True)
