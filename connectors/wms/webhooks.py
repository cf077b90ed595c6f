"""Inbound warehouse webhooks: Standard Webhooks signatures, then the event body. Pure: no clock, no I/O.

The signed content is ``{webhook-id}.{webhook-timestamp}.{raw body}``; ``webhook-signature`` holds one or
more space-separated ``v1,<base64 HMAC-SHA256>`` entries (several during a secret rotation).
"""

from __future__ import annotations

import hmac
import json
import re
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from standardwebhooks.webhooks import Webhook

from hub.plugins import InboundEvent, InboundRequest, Verification

ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER = "webhook-id", "webhook-timestamp", "webhook-signature"
SCHEMA_PATH = Path(__file__).with_name("schema") / "warehouse_event.v1.json"
# A signed request is only good for 5 minutes around the moment the hub received it: a request captured
# on the way cannot be replayed later, and within the window the webhook-id dedupe drops a replay. Five
# minutes is the Standard Webhooks reference libraries' tolerance and absorbs ordinary clock skew.
TOLERANCE = timedelta(minutes=5)
# webhook-id is our dedupe key and is stored with the request; longer ids are refused rather than cut.
MAX_ID_LENGTH = 200
_TIMESTAMP = re.compile(r"^\d{1,12}$")


@cache
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_errors(event: Any) -> list[str]:
    """Every way ``event`` breaks warehouse_event.v1, as ``$.path: message`` lines (empty when valid)."""
    out = []
    for error in sorted(validator().iter_errors(event), key=lambda e: list(map(str, e.absolute_path))):
        path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        out.append(f"{path}: {error.message}")
    return out


def verify(request: InboundRequest, secret: str) -> Verification:
    """Check the Standard Webhooks headers against the raw body. Never raises."""
    msg_id = request.headers.get(ID_HEADER, "").strip()
    stamp = request.headers.get(TIMESTAMP_HEADER, "").strip()
    given = request.headers.get(SIGNATURE_HEADER, "").strip()
    missing = [name for name, value in ((ID_HEADER, msg_id), (TIMESTAMP_HEADER, stamp), (SIGNATURE_HEADER, given)) if not value]
    if missing:
        return Verification(ok=False, reason=f"missing {', '.join(missing)} header")
    if len(msg_id) > MAX_ID_LENGTH:
        return Verification(ok=False, reason=f"{ID_HEADER} is longer than {MAX_ID_LENGTH} characters")
    if not _TIMESTAMP.match(stamp):
        return Verification(ok=False, reason=f"{TIMESTAMP_HEADER} must be integer unix seconds")
    sent_at = datetime.fromtimestamp(int(stamp), tz=timezone.utc)
    # Checked against when the hub received the request (never the clock), so a request verified again
    # later (a replayed inbox item, a test) gets the same answer.
    if sent_at < request.received_at - TOLERANCE:
        return Verification(ok=False, reason=f"{TIMESTAMP_HEADER} is more than 5 minutes older than the request")
    if sent_at > request.received_at + TOLERANCE:
        return Verification(ok=False, reason=f"{TIMESTAMP_HEADER} is more than 5 minutes in the future")
    try:
        body = request.body.decode("utf-8")
    except UnicodeDecodeError:
        return Verification(ok=False, reason="the body is not UTF-8")
    # The HMAC comes from the standardwebhooks package. Its Webhook.verify() would also check the
    # timestamp, but against the wall clock; we check it against received_at above instead.
    expected = Webhook(secret).sign(msg_id=msg_id, timestamp=sent_at, data=body).encode("ascii")
    for entry in given.split(" "):
        if entry.startswith("v1,") and hmac.compare_digest(entry.encode("ascii", "replace"), expected):
            return Verification(ok=True, dedupe_key=msg_id)
    return Verification(ok=False, reason=f"no {SIGNATURE_HEADER} entry matches the body and the secret")


def _occurred_at(event: dict[str, Any]) -> datetime | None:
    try:
        stamp = datetime.fromisoformat(str(event.get("occurred_at", "")).replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else None


def delivery_ref_key(ref: dict[str, Any]) -> str:
    """The delivery reference as one string: the hub delivery id, or ``source:external_id``."""
    if ref.get("delivery_id"):
        return str(ref["delivery_id"])
    return f"{ref.get('source')}:{ref.get('external_id')}"


def _ignored(topic: str, reason: str, payload: Any = None) -> list[InboundEvent]:
    return [InboundEvent(kind="ignored", external_id=None, payload=payload if isinstance(payload, dict) else {},
                         topic=topic, reason=reason)]


def parse(request: InboundRequest) -> list[InboundEvent]:
    """One warehouse event per request. A body that does not fit warehouse_event.v1 is ignored with
    the reasons (they are kept on the inbox item); retrying it would not help."""
    try:
        event = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _ignored("warehouse", "body is not JSON")
    topic = f"warehouse.{event.get('type')}" if isinstance(event, dict) else "warehouse"
    errors = schema_errors(event)
    if errors:
        return _ignored(topic, "does not fit warehouse_event.v1: " + "; ".join(errors[:10]), event)
    return [InboundEvent(kind="warehouse", external_id=delivery_ref_key(event["delivery_ref"]), payload=event,
                         topic=topic, occurred_at=_occurred_at(event))]
