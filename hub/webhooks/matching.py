"""Which published event types a subscription's patterns match ("delivery.*", "route.planned")."""

from __future__ import annotations

import fnmatch
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.canonical import EVENT_TYPES
from hub.webhooks.models import WebhookSubscription


def matching_types(patterns: list[str]) -> list[str]:
    return [t for t in EVENT_TYPES if any(fnmatch.fnmatchcase(t, p) for p in patterns)]


def subscribes_to(subscription: WebhookSubscription, event_type: str) -> bool:
    return event_type in EVENT_TYPES and any(fnmatch.fnmatchcase(event_type, p) for p in subscription.event_types)


def subscriptions_wanting(session: Session, tenant_id: str, event_type: str,
                          created_by: datetime | None = None) -> list[WebhookSubscription]:
    """The tenant's enabled subscriptions that want this type (and, with `created_by`, existed by then)."""
    if event_type not in EVENT_TYPES:  # internal bookkeeping events (written_back, ...) are never published
        return []
    query = select(WebhookSubscription).where(
        WebhookSubscription.tenant_id == tenant_id, WebhookSubscription.enabled.is_(True))
    if created_by is not None:
        query = query.where(WebhookSubscription.created_at <= created_by)
    return [s for s in session.execute(query).scalars() if subscribes_to(s, event_type)]
