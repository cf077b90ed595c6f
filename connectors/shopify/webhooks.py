"""Inbound Shopify webhooks: verify X-Shopify-Hmac-Sha256, then say what the topic means. Pure.

Rule (shopify-app-js ``hmac-validator.ts``, the webhook reference "Headers" table): the header is
base64(HMAC-SHA256(key = the app's client secret, message = the raw body)). Header names are
case-insensitive (HTTP/2 lowercases them) and the newer event delivery drops the ``X-`` prefix, so
both ``X-Shopify-Topic`` and ``shopify-topic`` are read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from hub.plugins import Headers, InboundEvent, InboundRequest, Verification

from connectors.shopify.mapping import order_id

ORDER_UPSERT_TOPICS = frozenset({"orders/create", "orders/updated"})
#: What the connector registers at the shop on install.
TOPICS = ("orders/create", "orders/updated", "orders/cancelled", "app/uninstalled")


def header(headers: Headers, name: str) -> str | None:
    """``X-Shopify-<name>`` or ``shopify-<name>`` (any case); None when absent or blank."""
    for key in (f"X-Shopify-{name}", f"shopify-{name}"):
        value = headers.get(key)
        if value is not None and value.strip():
            return value.strip()
    return None


def sign(secret: str, body: bytes) -> str:
    """The header value Shopify sends for ``body`` (also handy in tests)."""
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def verify(request: InboundRequest, secrets: Iterable[str | None], shop: str | None = None) -> Verification:
    """Check the HMAC against every configured secret (current, then the previous one during
    rotation) in constant time. Never raises."""
    if not request.body:
        return Verification(ok=False, reason="empty body (Shopify always signs a body)")
    given = header(request.headers, "Hmac-Sha256")
    if given is None:
        return Verification(ok=False, reason="missing X-Shopify-Hmac-Sha256 header")
    try:
        digest = base64.b64decode(given, validate=True)
    except (binascii.Error, ValueError):
        return Verification(ok=False, reason="X-Shopify-Hmac-Sha256 is not base64")
    keys = [s for s in secrets if s]
    if not keys:
        return Verification(ok=False, reason="no client secret configured")
    # Compare against every secret (no early exit), so timing does not tell which one matched.
    matches = [hmac.compare_digest(digest, hmac.new(k.encode("utf-8"), request.body, hashlib.sha256).digest()) for k in keys]
    if not any(matches):
        return Verification(ok=False, reason="X-Shopify-Hmac-Sha256 does not match the body")
    sender = header(request.headers, "Shop-Domain")
    if shop and sender and sender.lower() != shop.lower():
        return Verification(ok=False, reason=f"signed for shop {sender}, this installation is {shop}")
    reason = "verified with the previous client secret" if not matches[0] else ""
    return Verification(ok=True, reason=reason, dedupe_key=header(request.headers, "Webhook-Id"))


def _when(value: Any) -> datetime | None:
    try:
        stamp = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else None


def _ignored(topic: str, reason: str, payload: Any = None) -> list[InboundEvent]:
    return [InboundEvent(kind="ignored", external_id=None, payload=payload if isinstance(payload, dict) else {},
                         topic=topic, reason=reason)]


def parse(request: InboundRequest) -> list[InboundEvent]:
    """One event per webhook. JSON integers stay Python ints (exact at any size); ids become strings."""
    topic = (header(request.headers, "Topic") or "").lower()
    try:
        body = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _ignored(topic, "body is not JSON")
    if not isinstance(body, dict):
        return _ignored(topic, "body is not a JSON object")
    occurred = _when(body.get("updated_at")) or _when(header(request.headers, "Triggered-At"))
    if topic == "app/uninstalled":
        return [InboundEvent(kind="uninstalled", external_id=None, payload=body, topic=topic, occurred_at=occurred)]
    if topic not in ORDER_UPSERT_TOPICS and topic != "orders/cancelled":
        return _ignored(topic, f"topic {topic or '(none)'!r} is not handled", body)
    external_id = order_id(body)
    if external_id is None:
        return _ignored(topic, "the order has no usable id", body)
    if topic == "orders/cancelled" or body.get("cancelled_at"):
        reason = f"cancelled in Shopify ({body['cancel_reason']})" if body.get("cancel_reason") else "cancelled in Shopify"
        return [InboundEvent(kind="order.cancel", external_id=external_id, payload=body, topic=topic,
                             occurred_at=_when(body.get("cancelled_at")) or occurred, reason=reason)]
    return [InboundEvent(kind="order.upsert", external_id=external_id, payload=body, topic=topic, occurred_at=occurred)]
