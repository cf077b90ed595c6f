"""Inbound WooCommerce webhooks: verify the signature, turn the topic into hub events. Pure.

Rules (woocommerce ``includes/class-wc-webhook.php``, see tests/data/payloads/INDEX.md):

- The body is ``trim(wp_json_encode($payload))``; ``wp_json_encode`` writes ``/`` as ``\\/``, so the
  signature is checked over the raw bytes, never over re-serialised JSON.
- ``X-WC-Webhook-Signature`` = base64(HMAC-SHA256(key = the webhook secret after
  ``wp_specialchars_decode(secret, ENT_QUOTES)``, message = body)).
- The ping sent when a webhook is created is the form body ``webhook_id=<id>`` with no signature
  headers; it must be answered 200, so it verifies (nothing else unsigned does) and parses to ``ping``.
  Every ping shares one dedupe key, so unsigned requests store at most one inbox row per installation.
- ``X-WC-Webhook-Delivery-ID`` is ``wp_hash(webhook id . time())``: second resolution, so two
  different deliveries of one webhook in the same second share it. The dedupe key is therefore that
  id plus a digest of the body: a resend of the same delivery is dropped, a second update in the
  same second is not.
- ``order.deleted`` (fired when an order is trashed) carries only ``{"id": N}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import datetime, timezone
from typing import Any

from hub.plugins import InboundEvent, InboundRequest, Verification

from connectors.woocommerce.mapping import ORDER_STATUSES

SIGNATURE_HEADER = "X-WC-Webhook-Signature"
TOPIC_HEADER = "X-WC-Webhook-Topic"
DELIVERY_HEADER = "X-WC-Webhook-Delivery-ID"
WEBHOOK_ID_HEADER = "X-WC-Webhook-ID"
# The creation ping's whole body; 20 digits hold any 64-bit post id, anything longer is not a ping.
PING = re.compile(rb"^webhook_id=(\d{1,20})$")
PING_DEDUPE_KEY = "ping"

#: Topics the hub subscribes to at install, in registration order.
TOPICS = ("order.created", "order.updated", "order.deleted", "order.restored")

# What wp_specialchars_decode(..., ENT_QUOTES) turns back into characters (WordPress formatting.php),
# replaced in one pass like PHP's strtr, so "&amp;lt;" becomes "&lt;", not "<".
_WP_SPECIALCHARS = {
    "&amp;": "&", "&#038;": "&", "&#x26;": "&", "&lt;": "<", "&#060;": "<", "&gt;": ">", "&#062;": ">",
    "&quot;": '"', "&#034;": '"', "&#x22;": '"', "&#039;": "'", "&#x27;": "'",
}
_WP_SPECIALCHARS_RE = re.compile("|".join(re.escape(k) for k in _WP_SPECIALCHARS))


def derive_webhook_secret(consumer_secret: str, url: str) -> str:
    """The webhook secret used when the owner sets none: reproducible from settings alone, so the
    connector keeps no state between install and verify (see the package docstring)."""
    message = ("hub-webhook:" + url.rstrip("/")).encode("utf-8")
    return hmac.new(consumer_secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signing_key(secret: str) -> bytes:
    """The HMAC key WooCommerce signs with: the stored secret after wp_specialchars_decode."""
    decoded = _WP_SPECIALCHARS_RE.sub(lambda m: _WP_SPECIALCHARS[m.group(0)], secret)
    return decoded.encode("utf-8")


def sign(secret: str, body: bytes) -> str:
    """The X-WC-Webhook-Signature WooCommerce sends for ``body`` (also used by the tests)."""
    return base64.b64encode(hmac.new(signing_key(secret), body, hashlib.sha256).digest()).decode("ascii")


def is_ping(request: InboundRequest) -> bool:
    return SIGNATURE_HEADER not in request.headers and PING.match(request.body.strip()) is not None


def verify(request: InboundRequest, secret: str) -> Verification:
    """Check the signature over the raw body; let the unsigned creation ping through. Never raises."""
    if is_ping(request):
        # Unsigned, so anyone can send one: one key for every ping keeps the inbox at one row per installation
        # however many webhook ids are made up. A ping does nothing beyond its 200, so none is lost.
        return Verification(ok=True, reason="webhook creation ping (unsigned by design)", dedupe_key=PING_DEDUPE_KEY)
    given = request.headers.get(SIGNATURE_HEADER, "").strip()
    if not given:
        return Verification(ok=False, reason=f"missing {SIGNATURE_HEADER} header")
    if not request.body:
        return Verification(ok=False, reason="empty body")
    if not hmac.compare_digest(given.encode("utf-8", "replace"), sign(secret, request.body).encode("ascii")):
        return Verification(ok=False, reason=f"{SIGNATURE_HEADER} does not match the body")
    delivery_id = request.headers.get(DELIVERY_HEADER, "").strip()
    digest = hashlib.sha256(request.body).hexdigest()[:32]  # 128 bits: collisions between bodies are not a concern
    return Verification(ok=True, dedupe_key=f"{delivery_id}:{digest}" if delivery_id else None)


def occurred_at(order: dict[str, Any]) -> datetime | None:
    """``date_modified_gmt`` (UTC, written without an offset), as an aware datetime."""
    stamp = order.get("date_modified_gmt")
    if not isinstance(stamp, str) or not stamp:
        return None
    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def _ignored(topic: str, reason: str, payload: dict[str, Any] | None = None) -> list[InboundEvent]:
    return [InboundEvent(kind="ignored", external_id=None, payload=payload or {}, topic=topic, reason=reason)]


def parse(request: InboundRequest) -> list[InboundEvent]:
    """One event per webhook: the topic is in a header, the body is the order (or ``{"id": N}``)."""
    if is_ping(request):
        match = PING.match(request.body.strip())
        webhook_id = match.group(1).decode() if match else ""
        return [InboundEvent(kind="ping", external_id=None, payload={"webhook_id": webhook_id}, topic="ping",
                             reason="webhook creation ping")]
    topic = request.headers.get(TOPIC_HEADER, "").strip()
    try:
        body = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _ignored(topic, "body is not JSON")
    if not isinstance(body, dict):
        return _ignored(topic, "body is not a JSON object")
    if topic not in TOPICS:
        return _ignored(topic, f"unhandled topic {topic!r}")
    if body.get("id") in (None, ""):
        return _ignored(topic, "order without an id")
    external_id = str(body["id"])
    when = occurred_at(body)
    if topic == "order.deleted":
        return [InboundEvent(kind="order.delete", external_id=external_id, payload=body, topic=topic,
                             occurred_at=when, reason="order deleted (trashed) in WooCommerce")]
    status = str(body.get("status") or "")
    if ORDER_STATUSES["statuses"].get(status) == "cancel":
        return [InboundEvent(kind="order.cancel", external_id=external_id, payload=body, topic=topic,
                             occurred_at=when, reason=f"order {status} in WooCommerce")]
    return [InboundEvent(kind="order.upsert", external_id=external_id, payload=body, topic=topic, occurred_at=when)]
