"""Inbound webhooks from Acme: verify the signature, turn the topic into hub events. Pure."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from hub.plugins import InboundEvent, InboundRequest, Verification

SIGNATURE_HEADER = "X-Acme-Signature"  # hex HMAC-SHA256 of the raw body with the webhook secret
TOPIC_HEADER = "X-Acme-Topic"
DELIVERY_HEADER = "X-Acme-Delivery"  # unique per webhook delivery; Acme resends it unchanged on retries

_KINDS = {
    "order.created": "order.upsert",
    "order.updated": "order.upsert",
    "order.cancelled": "order.cancel",
    "order.deleted": "order.delete",
    "ping": "ping",
}


def sign(secret: str, body: bytes) -> str:
    """The signature Acme sends for ``body`` (also handy in tests)."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(request: InboundRequest, secret: str) -> Verification:
    """Check ``X-Acme-Signature`` against the raw body. Never raises."""
    given = request.headers.get(SIGNATURE_HEADER, "").strip().lower()
    if not given:
        return Verification(ok=False, reason=f"missing {SIGNATURE_HEADER} header")
    if not hmac.compare_digest(given, sign(secret, request.body)):
        return Verification(ok=False, reason=f"{SIGNATURE_HEADER} does not match the body")
    return Verification(ok=True, dedupe_key=request.headers.get(DELIVERY_HEADER) or None)


def _occurred_at(order: dict[str, Any]) -> datetime | None:
    try:
        stamp = datetime.fromisoformat(str(order.get("updated_at", "")).replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else None


def parse(request: InboundRequest) -> list[InboundEvent]:
    """One event per webhook; the body is the order itself, the topic is in a header."""
    topic = request.headers.get(TOPIC_HEADER, "")
    kind = _KINDS.get(topic)
    try:
        order = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return [InboundEvent(kind="ignored", external_id=None, payload={}, topic=topic, reason="body is not JSON")]
    if not isinstance(order, dict):
        return [InboundEvent(kind="ignored", external_id=None, payload={}, topic=topic, reason="body is not an object")]
    if kind is None:
        return [InboundEvent(kind="ignored", external_id=None, payload=order, topic=topic, reason=f"unhandled topic {topic!r}")]
    external_id = str(order["id"]) if order.get("id") is not None else None
    return [InboundEvent(kind=kind, external_id=external_id, payload=order, topic=topic, occurred_at=_occurred_at(order))]  # type: ignore[arg-type]
