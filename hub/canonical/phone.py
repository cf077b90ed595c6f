"""Phone numbers to E.164, with a data-quality flag instead of an exception when that is impossible."""

from __future__ import annotations

from typing import Any

import phonenumbers

DEFAULT_FIELD = "$.dropoff.contact.phone"


def _flag(code: str, message: str, field: str) -> dict[str, Any]:
    return {"code": code, "message": message, "field": field, "severity": "warning"}


def normalize_phone(
    raw: str | None, default_region: str | None = None, *, field: str = DEFAULT_FIELD
) -> tuple[str | None, dict[str, Any] | None]:
    """``(e164, None)`` for a valid number, ``(None, flag)`` otherwise, ``(None, None)`` for an empty one.

    ``default_region`` (ISO 3166-1 alpha-2, usually the address country) is used for numbers written
    without a leading ``+``. The flag is a ready ``data_quality_flags`` entry; keep the raw number in the
    document when e164 is None.
    """
    if raw is None or not raw.strip():
        return None, None
    region = default_region.upper() if default_region else None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None, _flag("phone_unparsable", f"The phone number {raw!r} could not be read; kept as given.", field)
    if not phonenumbers.is_valid_number(number):
        return None, _flag("phone_invalid", f"The phone number {raw!r} is not a valid number; kept as given.", field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None
