"""Inbound warehouse webhooks: Standard Webhooks verification (against the spec's own vector and the
standardwebhooks package), the 5-minute window measured from received_at, and parsing into hub events."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook

from hub.testing import PAYLOADS_DIR
from hub.plugins import Headers
from hub.testing import FIXED_NOW, flip_byte, make_request

from connectors.wms import webhooks
from connectors.wms.tests.signing import OTHER_SECRET, SECRET, fixture_bytes, signed_request

DOCS = Path(__file__).resolve().parents[3] / "docs" / "connectors" / "wms.md"


def _vector() -> dict[str, Any]:
    path = PAYLOADS_DIR / "standard_webhooks_vectors.json"
    return json.loads(path.read_text(encoding="utf-8"))["sign_vectors"][0]


def test_spec_vector_verifies_at_its_own_time():
    vector = _vector()
    sent = datetime.fromtimestamp(vector["timestamp"], tz=timezone.utc)
    headers = {"webhook-id": vector["msg_id"], "webhook-timestamp": str(vector["timestamp"]),
               "webhook-signature": vector["expected_signature"]}
    request = make_request(vector["payload"].encode(), headers, received_at=sent + timedelta(seconds=2))
    result = webhooks.verify(request, vector["secret"])
    assert result.ok, result.reason
    assert result.dedupe_key == vector["msg_id"]


def test_spec_vector_with_one_character_changed_is_refused():
    vector = _vector()
    sent = datetime.fromtimestamp(vector["timestamp"], tz=timezone.utc)
    headers = {"webhook-id": vector["msg_id"], "webhook-timestamp": str(vector["timestamp"]),
               "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="}
    assert not webhooks.verify(make_request(vector["payload"].encode(), headers, received_at=sent), vector["secret"]).ok


def test_what_the_standardwebhooks_package_signs_verifies_both_ways():
    now = datetime.now(timezone.utc)
    body = fixture_bytes("packed")
    request = signed_request(body, msg_id="wh-evt-000102", received_at=now)
    assert webhooks.verify(request, SECRET).ok
    # and the package's own verifier (wall clock) accepts exactly the headers we accept
    assert Webhook(SECRET).verify(body, dict(request.headers.items()))["type"] == "packed"


@pytest.mark.parametrize("change, reason", [
    (lambda r: dataclasses.replace(r, body=flip_byte(r.body)), "matches"),
    (lambda r: dataclasses.replace(r, headers=r.headers.replacing("webhook-id", "msg_other")), "matches"),
    (lambda r: dataclasses.replace(r, headers=r.headers.replacing("webhook-timestamp", str(int(r.headers["webhook-timestamp"]) + 1))), "matches"),
    (lambda r: dataclasses.replace(r, headers=r.headers.without("webhook-signature")), "missing webhook-signature"),
    (lambda r: dataclasses.replace(r, headers=r.headers.without("webhook-timestamp")), "missing webhook-timestamp"),
    (lambda r: dataclasses.replace(r, headers=r.headers.replacing("webhook-signature", "v2,abc v1 garbage ,,,")), "matches"),
    (lambda r: dataclasses.replace(r, headers=r.headers.replacing("webhook-timestamp", "yesterday")), "integer"),
    (lambda r: dataclasses.replace(r, body=b"\xff" + r.body), "UTF-8"),
], ids=["tampered-body", "other-id", "other-timestamp", "no-signature", "no-timestamp", "malformed-signature",
        "non-integer-timestamp", "not-utf8"])
def test_tampered_requests_are_refused(change, reason):
    request = change(signed_request(fixture_bytes("packed")))
    result = webhooks.verify(request, SECRET)
    assert not result.ok and reason in result.reason, result


def test_forged_with_another_secret_is_refused():
    result = webhooks.verify(signed_request(fixture_bytes("packed"), secret=OTHER_SECRET), SECRET)
    assert not result.ok and "matches" in result.reason


def test_rotation_any_matching_v1_entry_is_enough():
    request = signed_request(fixture_bytes("packed"))
    old = signed_request(fixture_bytes("packed"), secret=OTHER_SECRET).headers["webhook-signature"]
    both = f"{old} v1a,bm90IGNoZWNrZWQ= {request.headers['webhook-signature']}"
    assert webhooks.verify(dataclasses.replace(request, headers=request.headers.replacing("webhook-signature", both)), SECRET).ok


@pytest.mark.parametrize("sent_offset_s, ok", [
    (-299, True), (-301, False), (-3600, False), (299, True), (301, False),
], ids=["4m59s-old", "5m01s-old", "1h-old", "4m59s-ahead", "5m01s-ahead"])
def test_timestamp_window_is_measured_from_received_at(sent_offset_s, ok):
    # received_at is fixed in 2025: the wall clock plays no part, so a stored request verifies the same later.
    request = signed_request(fixture_bytes("picking_started"), sent_at=FIXED_NOW + timedelta(seconds=sent_offset_s))
    result = webhooks.verify(request, SECRET)
    assert result.ok is ok, result.reason
    if not ok:
        assert "5 minutes" in result.reason


def test_parse_turns_each_stage_into_a_warehouse_event():
    events = {name: webhooks.parse(signed_request(fixture_bytes(name)))[0]
              for name in ("picking_started", "packed", "ready_for_dispatch")}
    assert {e.kind for e in events.values()} == {"warehouse"}
    assert events["picking_started"].external_id == "shopify:820982911946154508"
    assert events["ready_for_dispatch"].external_id == "dlv_01JHGZ6X8Y3K4M5N6P7Q8R9S0T"
    assert events["packed"].topic == "warehouse.packed"
    assert events["packed"].payload["parcels"][0]["weight_g"] == 2350
    assert events["packed"].occurred_at == datetime(2025, 1, 15, 9, 4, 45, tzinfo=timezone.utc)


@pytest.mark.parametrize("body, expected", [
    ({"type": "packed"}, "'event_id' is a required property"),
    ({"event_id": "e1", "type": "packed", "delivery_ref": {"delivery_id": "dlv_01JHGZ6X8Y3K4M5N6P7Q8R9S0T"},
      "occurred_at": "2025-01-15T10:00:00Z"}, "'parcels' is a required property"),
    ({"event_id": "e1", "type": "ready_for_dispatch", "delivery_ref": {"source": "api", "external_id": "A-1"},
      "occurred_at": "2025-01-15T10:00:00Z"}, "'ready_at' is a required property"),
    ({"event_id": "e1", "type": "shipped", "delivery_ref": {"source": "api", "external_id": "A-1"},
      "occurred_at": "2025-01-15T10:00:00Z"}, "$.type"),
    ({"event_id": "e1", "type": "picking_started", "delivery_ref": {"source": "api", "external_id": "A-1"},
      "occurred_at": "2025-01-15 10:00"}, "$.occurred_at"),
    ({"event_id": "e1", "type": "packed", "delivery_ref": {"source": "api", "external_id": "A-1"},
      "occurred_at": "2025-01-15T10:00:00Z", "parcels": [{"weight_kg": 2.5, "dimensions_mm": {"length": 1, "width": 1, "height": 1}}]},
     "$.parcels[0]"),
], ids=["no-id", "packed-without-parcels", "ready-without-ready_at", "unknown-type", "timestamp-without-zone", "weight-in-kg"])
def test_bodies_that_do_not_fit_the_schema_are_ignored_with_the_reason(body, expected):
    [event] = webhooks.parse(signed_request(body))
    assert event.kind == "ignored"
    assert expected in event.reason


def test_non_json_body_is_ignored():
    [event] = webhooks.parse(make_request(b"not json", Headers()))
    assert event.kind == "ignored" and event.reason == "body is not JSON"


def test_every_example_in_the_docs_fits_the_schema():
    text = DOCS.read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in text.split("```json\n")[1:]]
    events = [json.loads(b) for b in blocks if '"event_id"' in b]
    assert len(events) >= 3
    for event in events:
        assert webhooks.schema_errors(event) == [], event
