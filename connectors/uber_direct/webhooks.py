"""Uber Direct webhooks: hex(HMAC-SHA256(signing key, raw body)) in x-uber-signature (older: X-Postmates-Signature).
Uber signs no timestamp, so there is no age check; duplicates are dropped by the body hash."""

from __future__ import annotations

import hashlib
import hmac
import json

from hub.plugins import InboundEvent, InboundRequest, Verification
from connectors.uber_direct.mapping import webhook_events

HEADERS = ("x-uber-signature", "x-postmates-signature")


def signature(key: str, body: bytes) -> str:
    return hmac.new(key.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(key: str, request: InboundRequest) -> Verification:
    given = next((request.headers[h] for h in HEADERS if h in request.headers), "").strip().lower()
    if not given or not request.body:
        return Verification(False, "missing x-uber-signature header or empty body")
    if not hmac.compare_digest(given, signature(key, request.body)):
        return Verification(False, "signature does not match")
    return Verification(True, "uber hmac-sha256")


def parse(request: InboundRequest) -> list[InboundEvent]:
    try:
        envelope = json.loads(request.body)
    except ValueError:
        return [InboundEvent("ignored", None, {}, "", reason="the body is not JSON")]
    if not isinstance(envelope, dict):
        return [InboundEvent("ignored", None, {}, "", reason="the body is not a JSON object")]
    return webhook_events(envelope)
