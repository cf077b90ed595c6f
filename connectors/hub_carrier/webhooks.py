"""Inbound: a carrier's signed reports (Standard Webhooks, the installation's secret). Pure: the request's
received_at, not the clock, bounds the signature's age."""

from __future__ import annotations

import base64
import hmac
import json
from datetime import datetime, timezone

from standardwebhooks.webhooks import Webhook

from hub.plugins import InboundEvent, InboundRequest, Verification
from connectors.hub_carrier.mapping import report_event

# The Standard Webhooks reference libraries accept five minutes of clock difference either way.
TOLERANCE_S = 300


def verify(secret: str, request: InboundRequest) -> Verification:
    headers = request.headers
    msg_id, stamp, signatures = (headers.get("webhook-id"), headers.get("webhook-timestamp"),
                                 headers.get("webhook-signature"))
    if not (msg_id and stamp and signatures):
        return Verification(False, "missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        moment = datetime.fromtimestamp(int(stamp), tz=timezone.utc)
        expected = base64.b64decode(Webhook(secret).sign(msg_id, moment, request.body.decode("utf-8")).split(",", 1)[1])
    except (ValueError, UnicodeDecodeError, OverflowError, Exception):  # a bad secret or body never raises out
        return Verification(False, "unreadable signature headers or body")
    if abs((request.received_at - moment).total_seconds()) > TOLERANCE_S:
        return Verification(False, "webhook-timestamp is more than 5 minutes from the time it arrived")
    for entry in signatures.split(" "):
        version, _, value = entry.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except ValueError:
            continue
        if hmac.compare_digest(given, expected):
            return Verification(True, "standard webhooks v1", dedupe_key=msg_id)
    return Verification(False, "no matching signature")


def parse(request: InboundRequest) -> list[InboundEvent]:
    try:
        report = json.loads(request.body)
    except ValueError:
        return [InboundEvent("ignored", None, {}, "", reason="the body is not JSON")]
    if not isinstance(report, dict):
        return [InboundEvent("ignored", None, {}, "", reason="the body is not a JSON object")]
    return [report_event(report)]
