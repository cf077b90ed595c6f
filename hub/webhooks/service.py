"""Subscriptions and the delivery rows behind them: validation, fan-out rows, replay. No HTTP here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.canonical import EVENT_TYPES
from hub.canonical.ids import sortable_id
from hub.db.models import DeliveryEvent, utcnow
from hub.db.models.webhooks import DEAD, OPEN_STATES, PENDING, WebhookDelivery, WebhookSubscription
from hub.ledger.envelope import iso
from hub.ledger.subscribers import ensure_delivery, matching_types, queue_delivery, subscribes_to
from hub.webhooks.signing import ROTATION_OVERLAP, new_secret
from hub.egress.targets import TargetRefused, check_target

FANOUT_KIND = "webhooks.fanout"
PATTERN = re.compile(r"^[a-z_*]+(\.[a-z_*]+)*$")
# One replay request re-sends at most this many events; ask again with a later `since` for more.
REPLAY_LIMIT = 5000


@dataclass
class Invalid(Exception):
    message: str
    details: list[dict[str, str]]


def validate_patterns(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise Invalid("event_types must be a non-empty list of event types or patterns",
                      [{"path": "$.event_types", "message": "a non-empty list of strings, e.g. [\"delivery.*\"]"}])
    problems = []
    for i, pattern in enumerate(value):
        if not isinstance(pattern, str) or not PATTERN.match(pattern) or not matching_types([pattern]):
            problems.append({"path": f"$.event_types[{i}]",
                             "message": f"{pattern!r} names no known event type; known: {', '.join(EVENT_TYPES)}"})
    if problems:
        raise Invalid("unknown event types", problems)
    return list(dict.fromkeys(value))


def validate_url(value: Any, *, allow_private: bool) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid("url is required", [{"path": "$.url", "message": "an https:// URL"}])
    try:
        check_target(value.strip(), allow_private=allow_private)
    except TargetRefused as exc:
        raise Invalid(f"this URL cannot receive webhooks: {exc}", [{"path": "$.url", "message": str(exc)}]) from None
    return value.strip()


def apply_changes(subscription: WebhookSubscription, body: dict[str, Any], *, allow_private: bool,
                  creating: bool = False) -> None:
    if creating or "url" in body:
        subscription.url = validate_url(body.get("url"), allow_private=allow_private)
    if creating or "event_types" in body:
        subscription.event_types = validate_patterns(body.get("event_types"))
    if "description" in body:
        if not isinstance(body["description"], str):
            raise Invalid("description must be a string", [{"path": "$.description", "message": "a string"}])
        subscription.description = body["description"][:500]
    if "enabled" in body:
        if not isinstance(body["enabled"], bool):
            raise Invalid("enabled must be true or false", [{"path": "$.enabled", "message": "a boolean"}])
        if body["enabled"] and not subscription.enabled:  # an owner turns it back on: start counting afresh
            subscription.disabled_reason, subscription.disabled_at = None, None
            subscription.consecutive_failures, subscription.failing_since = 0, None
        elif not body["enabled"] and subscription.enabled:
            subscription.disabled_reason, subscription.disabled_at = "disabled by an operator", utcnow()
        subscription.enabled = body["enabled"]


def create_subscription(session: Session, tenant_id: str, body: dict[str, Any], *,
                        allow_private: bool) -> tuple[WebhookSubscription, str]:
    secret = new_secret()
    subscription = WebhookSubscription(id=sortable_id("sub_"), tenant_id=tenant_id, secret=secret, enabled=True,
                                       description="", consecutive_failures=0)
    apply_changes(subscription, body, allow_private=allow_private, creating=True)
    session.add(subscription)
    session.flush()
    return subscription, secret


def rotate_secret(subscription: WebhookSubscription, now: datetime | None = None) -> str:
    now = now or utcnow()
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_expires_at = now + ROTATION_OVERLAP
    subscription.secret = new_secret()
    return subscription.secret


def disable(session: Session, subscription: WebhookSubscription, reason: str, now: datetime) -> None:
    """Turn the endpoint off and close its open deliveries as dead (a replay sends them later)."""
    subscription.enabled, subscription.disabled_reason, subscription.disabled_at = False, reason, now
    for row in session.execute(select(WebhookDelivery).where(
            WebhookDelivery.subscription_id == subscription.id, WebhookDelivery.state.in_(OPEN_STATES))).scalars():
        row.state, row.completed_at, row.next_attempt_at = DEAD, now, None
        row.last_error = f"not sent: the subscription was disabled ({reason})"


def describe(subscription: WebhookSubscription) -> dict[str, Any]:
    """The subscription as the API shows it: never the secret."""
    expires = subscription.previous_secret_expires_at
    return {
        "id": subscription.id, "url": subscription.url, "event_types": list(subscription.event_types),
        "description": subscription.description, "enabled": subscription.enabled,
        "disabled_reason": subscription.disabled_reason,
        "disabled_at": iso(subscription.disabled_at) if subscription.disabled_at else None,
        "consecutive_failures": subscription.consecutive_failures,
        "failing_since": iso(subscription.failing_since) if subscription.failing_since else None,
        "previous_secret_expires_at": iso(expires) if expires and subscription.previous_secret else None,
        "created_at": iso(subscription.created_at), "updated_at": iso(subscription.updated_at),
    }


def replay(session: Session, subscription: WebhookSubscription, events: list[DeliveryEvent],
           now: datetime) -> list[str]:
    """Send these events again with their original webhook-id; rows still open are left as they are."""
    replayed = []
    for event in sorted(events, key=lambda e: (e.delivery_id or "", e.sequence)):
        if not subscribes_to(subscription, event.type):
            continue
        row, new = ensure_delivery(session, subscription, event, now)
        if not new and row.state not in OPEN_STATES:
            row.state, row.attempts, row.first_attempted_at, row.next_attempt_at = PENDING, 0, None, now
            row.completed_at, row.last_error = None, None
            queue_delivery(session, row)
        replayed.append(row.id)
    return replayed


def events_since(session: Session, tenant_id: str, since: datetime) -> list[DeliveryEvent]:
    return list(session.execute(select(DeliveryEvent).where(
        DeliveryEvent.tenant_id == tenant_id, DeliveryEvent.recorded_at >= since,
        DeliveryEvent.type.in_(EVENT_TYPES)).order_by(DeliveryEvent.recorded_at, DeliveryEvent.id)
        .limit(REPLAY_LIMIT)).scalars().all())
