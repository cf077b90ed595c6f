"""Recovery policy decisions and next windows (pure)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from hub.canonical.validation import validate_document
from hub.paths import SCHEMAS_DIR
from hub.tracking.recovery import DEFAULT_POLICY, Decision, decide, next_window

EXAMPLE = json.loads((SCHEMAS_DIR / "examples" / "recovery_policy.v1.json").read_text())


def test_default_policy_reschedules_until_the_third_attempt() -> None:
    assert validate_document("recovery_policy.v1", DEFAULT_POLICY) == []
    assert decide(DEFAULT_POLICY, reason_code="customer_unavailable", service_level="standard", attempts=1) \
        == Decision("reschedule", "default_action")
    assert decide(DEFAULT_POLICY, reason_code="customer_unavailable", service_level="standard", attempts=3) \
        == Decision("return", "max_attempts")


def test_rules_first_match_wins() -> None:
    assert decide(EXAMPLE, reason_code="refused", service_level="express", attempts=1) \
        == Decision("return", "refused goes back")
    assert decide(EXAMPLE, reason_code="customer_unavailable", service_level="express", attempts=1) \
        == Decision("reassign", "express tries another driver")
    assert decide(EXAMPLE, reason_code="address_not_found", service_level="standard", attempts=1) \
        == Decision("reschedule", "default_action")
    assert decide(EXAMPLE, reason_code="address_not_found", service_level="standard", attempts=2) \
        == Decision("return", "second miss of a wrong address")
    assert decide({**EXAMPLE, "default_action": "reassign"}, reason_code=None, service_level=None, attempts=1) \
        == Decision("reassign", "default_action")


def test_next_window_moves_the_promised_window_on_keeping_its_offset() -> None:
    promised = {"start": "2026-03-12T14:00:00+01:00", "end": "2026-03-12T16:00:00+01:00"}  # a Thursday
    failed = datetime(2026, 3, 12, 14, 30, tzinfo=timezone.utc)
    assert next_window({}, promised, failed) == {"start": "2026-03-13T14:00:00+01:00",
                                                 "end": "2026-03-13T16:00:00+01:00"}
    skip = {"reschedule": {"skip_weekends": True, "days_ahead": 2}}
    assert next_window(skip, promised, failed)["start"] == "2026-03-16T14:00:00+01:00"  # Saturday -> Monday
    # a failure long after the window (an old delivery): the new window still lies ahead
    late = datetime(2026, 3, 20, 9, tzinfo=timezone.utc)
    assert next_window({}, promised, late)["start"] == "2026-03-20T14:00:00+01:00"  # later that same day
    assert next_window({}, {"end": "2026-03-12T18:00:00Z"}, failed) == {"end": "2026-03-13T18:00:00+00:00"}


def test_next_window_without_a_promised_window_uses_the_fallback() -> None:
    failed = datetime(2026, 3, 12, 19, 30, tzinfo=timezone.utc)  # 20:30 in Berlin
    window = next_window(EXAMPLE, None, failed)
    assert window == {"start": "2026-03-13T09:00:00+01:00", "end": "2026-03-13T18:00:00+01:00"}
    assert next_window({}, None, failed) == {"start": "2026-03-13T09:00:00+00:00", "end": "2026-03-13T18:00:00+00:00"}
