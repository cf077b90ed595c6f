"""The timestamp helpers in hub/canonical/fields.py."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from hub.canonical.fields import parse_aware_timestamp, parse_timestamp

NINE_UTC = datetime(2026, 3, 14, 9, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("value", [
    "2026-03-14T09:30:00Z",
    "2026-03-14T10:30:00+01:00",
    "2026-03-14T05:30:00-04:00",
    "2026-03-14 10:30:00+01:00",  # ISO 8601 allows a space; RFC 3339 does not
    "2026-03-14T10:30+0100",
    datetime(2026, 3, 14, 11, 30, tzinfo=timezone(timedelta(hours=2))),
])
def test_aware_times_become_utc(value: object) -> None:
    parsed = parse_aware_timestamp(value)
    assert parsed == NINE_UTC and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("value", [
    "2026-03-14T09:30:00",  # naive: which 09:30?
    datetime(2026, 3, 14, 9, 30),
    date(2026, 3, 14),
    "2026-03-14",
    "yesterday",
    "2026-02-30T09:30:00Z",
    "",
    None,
    1773480600,
    ["2026-03-14T09:30:00Z"],
])
def test_anything_else_is_none(value: object) -> None:
    assert parse_aware_timestamp(value) is None


def test_parse_timestamp_keeps_the_offset_and_refuses_what_rfc_3339_does_not_allow() -> None:
    assert parse_timestamp("2026-03-14T10:30:00+01:00").utcoffset() == timedelta(hours=1)
    for value in ("2026-03-14T09:30:00", "2026-03-14 09:30:00Z", "2026-03-14T10:30+01:00"):
        with pytest.raises(ValueError, match="not an RFC 3339 date-time with a timezone"):
            parse_timestamp(value)
