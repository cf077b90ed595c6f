"""Phone normalization, time-sortable ids and canonical JSON."""

from __future__ import annotations

import re
import time

import pytest

from hub.canonical import (
    EVENT_TYPES,
    PRIORITY_TIERS,
    SCHEMA_VERSION,
    SERVICE_LEVELS,
    STATUSES,
    canonical_json,
    drop_none,
    new_delivery_id,
    new_event_id,
    new_job_id,
    normalize_phone,
    sortable_id,
    validate_document,
)


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("030 901820", "DE", "+4930901820"),
        ("+49 (0)30 901820", None, "+4930901820"),
        ("0151 23456789", "DE", "+4915123456789"),
        ("(416) 555-0142", "CA", "+14165550142"),
        ("416.979.2222", "ca", "+14169792222"),
        ("+1(502)-459-2181", None, "+15024592181"),
        ("+1(502)-459-2181", "DE", "+15024592181"),
    ],
)
def test_parsable_phones_become_e164(raw: str, region: str | None, e164: str) -> None:
    assert normalize_phone(raw, region) == (e164, None)


@pytest.mark.parametrize(("raw", "code"), [("ask at the door", "phone_unparsable"), ("12", "phone_invalid"), ("030 901820", "phone_unparsable")])
def test_unparsable_phones_give_a_flag(raw: str, code: str) -> None:
    e164, flag = normalize_phone(raw, "DE" if raw != "030 901820" else None)
    assert e164 is None
    assert flag is not None and flag["code"] == code and flag["field"] == "$.dropoff.contact.phone"
    assert raw in flag["message"]


def test_phone_flag_is_a_valid_data_quality_flag() -> None:
    _, flag = normalize_phone("n/a", "CA", field="$.pickup.contact.phone")
    doc = {
        "source": {"external_id": "1"},
        "dropoff": {"contact": {"name": "A", "phone": "n/a"}, "address": {"line1": "1 Yonge St", "city": "Toronto", "country": "CA"}},
        "data_quality_flags": [flag],
    }
    assert validate_document("delivery_input.v1", doc) == []


def test_empty_phone_is_neither_number_nor_flag() -> None:
    assert normalize_phone("  ", "DE") == (None, None)
    assert normalize_phone(None, "DE") == (None, None)


def test_ids_have_their_prefix_and_sort_by_time() -> None:
    assert re.fullmatch(r"dlv_[0-9A-HJKMNP-TV-Z]{26}", new_delivery_id())
    assert re.fullmatch(r"evt_[0-9A-HJKMNP-TV-Z]{26}", new_event_id())
    assert re.fullmatch(r"job_[0-9A-HJKMNP-TV-Z]{26}", new_job_id())
    now = int(time.time() * 1000)
    earlier, later = sortable_id("evt_", now_ms=now), sortable_id("evt_", now_ms=now + 1)
    assert earlier < later
    assert sortable_id("x_", now_ms=0).startswith("x_0000000000")
    assert len({new_event_id() for _ in range(1000)}) == 1000
    with pytest.raises(ValueError):
        sortable_id("x_", now_ms=1 << 48)


def test_canonical_json_is_stable() -> None:
    a = {"b": [1, 2.5, "ü"], "a": {"z": None, "y": True}}
    b = {"a": {"y": True, "z": None}, "b": [1, 2.5, "ü"]}
    assert canonical_json(a) == canonical_json(b) == '{"a":{"y":true,"z":null},"b":[1,2.5,"ü"]}'.encode()
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_drop_none_removes_unknowns() -> None:
    assert drop_none({"a": None, "b": {"c": None}, "d": [None, 1], "e": {"f": 0}}) == {"d": [1], "e": {"f": 0}}


def test_constants_match_the_brief() -> None:
    assert SCHEMA_VERSION == "1"
    assert STATUSES[0] == "received" and "failed_attempt" in STATUSES and len(STATUSES) == 13
    assert SERVICE_LEVELS == ("same_day", "next_day", "scheduled", "express", "economy", "unknown")
    assert PRIORITY_TIERS == ("low", "standard", "high", "vip")
    assert "delivery.status_changed" in EVENT_TYPES and "route.planned" in EVENT_TYPES
