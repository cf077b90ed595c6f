"""Subscribers of an event: which subscriptions want it, and their webhook rows, written with the event.

Every published event gets, in its own transaction, one stored payload (the envelope, serialized once) and one
delivery row per enabled subscription of the tenant that wants its type ("delivery.*", "route.planned"), each
with an outbox item. hub/webhooks sends them (delivery.py) and manages subscriptions (service.py).
"""

from __future__ import annotations

import fnmatch
import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.canonical import EVENT_TYPES, webhook_payload
from hub.canonical.ids import sortable_id
from hub.db.engine import transaction_memo
from hub.db.models import DeliveryEvent
from hub.db.models.webhooks import PENDING, WebhookDelivery, WebhookPayload, WebhookSubscription
from hub.ledger.envelope import envelope
from hub.outbox.rows import add_outbox

DELIVER_KIND = "webhooks.deliver"


def matching_types(patterns: list[str]) -> list[str]:
    return [t for t in EVENT_TYPES if any(fnmatch.fnmatchcase(t, p) for p in patterns)]


def subscribes_to(subscription: WebhookSubscription, event_type: str) -> bool:
    return event_type in EVENT_TYPES and any(fnmatch.fnmatchcase(event_type, p) for p in subscription.event_types)


ENABLED = "enabled subscriptions"  # transaction memo: tenant id -> its enabled subscriptions


def has_subscriptions(tenant_id: Any) -> Any:
    """A column for a statement that reads a tenant's row of work anyway: whether it has an enabled subscription."""
    return exists().where(WebhookSubscription.tenant_id == tenant_id,
                          WebhookSubscription.enabled.is_(True)).label("has_subscriptions")


def note_subscriptions(session: Session, tenant_id: str, has_any: bool) -> None:
    """What `has_subscriptions` said: a tenant without any needs no query when this transaction's events fan out
    (most tenants have none; the read was one of an assignment's and a submission's statements)."""
    if not has_any:
        transaction_memo(session, ENABLED).setdefault(tenant_id, [])


def subscriptions_wanting(session: Session, tenant_id: str, event_type: str,
                          created_by: datetime | None = None) -> list[WebhookSubscription]:
    """The tenant's enabled subscriptions that want this type (and, with `created_by`, existed by then). Read once
    per transaction: an assignment writes two events, a dispatch three."""
    if event_type not in EVENT_TYPES:  # internal bookkeeping events (written_back, ...) are never published
        return []
    enabled = transaction_memo(session, ENABLED)
    if tenant_id not in enabled:
        # No autoflush: the event's own writes wait for the next flush, where the delivery's UPDATE can carry the
        # head of a following event too (hub/ledger/events.py); subscriptions are not created with events.
        with session.no_autoflush:
            enabled[tenant_id] = session.execute(select(WebhookSubscription).where(
                WebhookSubscription.tenant_id == tenant_id, WebhookSubscription.enabled.is_(True))).scalars().all()
    return [s for s in enabled[tenant_id] if subscribes_to(s, event_type)
            and (created_by is None or _aware(s.created_at) <= _aware(created_by))]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)  # SQLite hands back naive UTC


def payload_for(session: Session, event: DeliveryEvent) -> WebhookPayload:
    """The body for an event, serialized the first time it is needed and reused after."""
    stored = session.get(WebhookPayload, event.id)
    if stored is None:
        body = json.dumps(webhook_payload(envelope(event)), separators=(",", ":"), ensure_ascii=False)
        stored = WebhookPayload(event_id=event.id, tenant_id=event.tenant_id, event_type=event.type, body=body)
        try:
            with session.begin_nested():
                session.add(stored)
        except IntegrityError:  # a concurrent fan-out stored it first: same bytes, use theirs
            stored = session.get(WebhookPayload, event.id)
    return stored


def queue_delivery(session: Session, row: WebhookDelivery) -> None:
    """Give the row an outbox item: the relay hands it to RQ after commit; the sweeper if that is lost."""
    item = add_outbox(session, tenant_id=row.tenant_id, kind=DELIVER_KIND, event_id=row.event_id,
                      payload={"webhook_delivery_id": row.id})
    row.outbox_id = item.id


def ensure_delivery(session: Session, subscription: WebhookSubscription, event: DeliveryEvent,
                    now: datetime) -> tuple[WebhookDelivery, bool]:
    """The row for (event, subscription), created and queued if missing. True when it is new."""
    row = session.execute(select(WebhookDelivery).where(
        WebhookDelivery.event_id == event.id, WebhookDelivery.subscription_id == subscription.id)).scalar_one_or_none()
    if row is not None:
        return row, False
    payload_for(session, event)
    row = WebhookDelivery(
        id=sortable_id("msg_"), tenant_id=event.tenant_id, subscription_id=subscription.id, event_id=event.id,
        event_type=event.type, delivery_id=event.delivery_id, sequence=event.sequence, state=PENDING,
        attempts=0, next_attempt_at=now, created_at=now)
    session.add(row)
    session.flush()
    queue_delivery(session, row)
    return row, True


def fan_out_event(session: Session, event: DeliveryEvent, now: datetime) -> list[str]:
    """One row per enabled subscription of the tenant that wants this type and existed when it happened."""
    created = []
    for subscription in subscriptions_wanting(session, event.tenant_id, event.type, created_by=event.recorded_at):
        row, new = ensure_delivery(session, subscription, event, now)
        if new:
            created.append(row.id)
    return created
