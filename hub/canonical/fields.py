"""marshmallow fields that accept exactly what the JSON Schemas accept (no silent coercion)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import ValidationError, fields

from hub.canonical.validation import RFC3339

DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")


def parse_timestamp(value: str) -> datetime:
    """Parse an RFC 3339 date-time with an offset; ValueError for anything else, including naive times."""
    if not RFC3339.match(value):
        raise ValueError(f"{value!r} is not an RFC 3339 date-time with a timezone")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def parse_aware_timestamp(value: object) -> datetime | None:
    """An ISO 8601 date-time that names its timezone (a string, or an aware ``datetime``) as UTC; None for
    anything else: malformed, naive, empty, not a string. Laxer than ``parse_timestamp`` (it also takes
    ``2025-03-14 09:30+0100``), for times clients send outside the canonical documents.

    UTC because SQLite keeps no offset: a +02:00 time stored as it is would be read back two hours off."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime) or value.utcoffset() is None:
        return None
    return value.astimezone(timezone.utc)


def format_timestamp(value: datetime) -> str:
    """An aware datetime as RFC 3339: UTC as ``...Z``, other offsets kept as ``+hh:mm``."""
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("refusing to write a timezone-naive datetime")
    if offset.total_seconds() % 60:  # RFC 3339 offsets have no seconds (old LMT zones do): write UTC
        value, offset = value.astimezone(timezone.utc), offset * 0
    text = value.isoformat()
    return text[:-6] + "Z" if offset.total_seconds() == 0 else text


class Timestamp(fields.Field):
    """RFC 3339 date-time with an offset <-> timezone-aware ``datetime``. Naive times are rejected."""

    default_error_messages = {
        "invalid": "Not a valid date-time: expected RFC 3339 with a timezone, e.g. 2025-03-14T09:30:00+01:00.",
        "naive": "The date-time has no timezone; add Z or an offset like +01:00.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if isinstance(value, datetime):
            if value.utcoffset() is None:
                raise self.make_error("naive")
            return value
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            return parse_timestamp(value)
        except ValueError as error:
            if RFC3339.match(value + "Z"):
                raise self.make_error("naive") from error
            raise self.make_error("invalid") from error

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return format_timestamp(parse_timestamp(value) if isinstance(value, str) else value)


class DecimalString(fields.Field):
    """A decimal amount written as a JSON string (``"23.40"``) <-> ``Decimal``. Floats are rejected."""

    default_error_messages = {"invalid": "Not a valid amount: write it as a decimal string, e.g. \"23.40\"."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, Decimal) and value.is_finite():
            return value
        if isinstance(value, str) and DECIMAL.match(value):
            try:
                return Decimal(value)
            except InvalidOperation:
                pass
        raise self.make_error("invalid")

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return format(Decimal(value), "f")


class StrictInteger(fields.Integer):
    """A JSON integer; booleans, strings and fractions are rejected. `2.0` is an integer, as in JSON Schema."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._deserialize(value, attr, data, **kwargs)


class Number(fields.Field):
    """A finite JSON number; ints stay ints and floats stay floats, so documents round-trip exactly."""

    default_error_messages = {"invalid": "Not a valid number."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int | float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.make_error("invalid")
        return value

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> int | float | None:
        return value


class StrictBoolean(fields.Boolean):
    """A JSON boolean; ``"yes"``, ``1`` and friends are rejected."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def unique_items(values: Sequence[Any]) -> None:
    """Validator: a list without duplicates (JSON Schema ``uniqueItems``)."""
    seen: list[Any] = []
    for value in values:
        if value in seen:
            raise ValidationError(f"Duplicate item: {value!r}.")
        seen.append(value)
