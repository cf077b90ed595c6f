"""Which published event types a subscription's patterns match ("delivery.*", "route.planned")."""

from __future__ import annotations

import fnmatch

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.canonical import EVENT_TYPES
from hub.webhooks.models import WebhookSubscription


def matching_types(patterns: list[str]) -> list[str]:
    return [t for t in EVENT_TYPES if any(fnmatch.fnmatchcase(t, p) for p in patterns)]


def subscribes_to(subscription: WebhookSubscription, event_type: str) -> bool:
    return event_type in EVENT_TYPES and any(fnmatch.fnmatchcase(event_type, p) for p in subscription.event_types)


def anyone_subscribed(session: Session, tenant_id: str, event_type: str) -> bool:
    """Whether an enabled subscription of the tenant wants this type: without one, an event needs no fan-out."""
    if event_type not in EVENT_TYPES:  # internal bookkeeping events (written_back, ...) are never published
        return False
    subscriptions = session.execute(select(WebhookSubscription).where(
        WebhookSubscription.tenant_id == tenant_id, WebhookSubscription.enabled.is_(True))).scalars()
    return any(subscribes_to(s, event_type) for s in subscriptions)
