"""A message's life as rows: planned (rendered, due now or when quiet hours end, with its send job), sent (the
provider's id), receipts (delivery status from the provider), and each step on the delivery's timeline as an
event (`delivery.message_sent`, `delivery.message_status`). Everything writes in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.canonical.ids import sortable_id
from hub.db.models import Delivery
from hub.db.models.notify import CustomerMessage
from hub.ledger.events import append_event
from hub.notify.context import Links, language_for, recipient, template_context
from hub.notify.optout import is_opted_out
from hub.notify.quiet import customer_zone, quiet_until
from hub.notify.settings import channel_ready, template_overrides
from hub.notify.templates import render
from hub.notify.triggers import ARRIVING_SOON_STALE
from hub.outbox.rows import add_outbox

SEND_KIND = "notify.send"
NOTIFIER = {"kind": "system", "id": "notify"}
# How far along a message is, by its receipt; a late "sent" never undoes a "delivered".
RECEIPT_RANK = {"pending": 0, "queued": 1, "sent": 2, "delivered": 3, "undelivered": 3, "failed": 3, "dead": 3}


def _expiry(trigger: str, delivery: Delivery, eta: datetime | None) -> datetime | None:
    """After this the message says something no longer true: it is not sent late (held by quiet hours)."""
    if trigger == "arriving_soon" and eta is not None:
        return eta + ARRIVING_SOON_STALE
    return None


def plan_message(session: Session, links: Links, settings: dict[str, Any], delivery: Delivery, *, trigger: str,
                 channel: str, attempt: int, now: datetime, event_id: str | None = None,
                 eta: datetime | None = None) -> CustomerMessage | None:
    """The message for (delivery, trigger, channel, attempt), rendered and queued; None when the channel is not
    set up, the customer has no address for it, or the message exists already (the unique constraint decides,
    so two workers planning it at once still make one)."""
    if not channel_ready(settings, channel):
        return None
    address = recipient(channel, delivery.document)
    if address is None:
        return None
    language = language_for(settings, delivery.document)
    minutes = int(((settings.get("triggers") or {}).get("arriving_soon") or {}).get("minutes", 15))
    context = template_context(session, links, settings, delivery, language=language, channel=channel,
                               address=address, now=now, eta=eta, minutes=minutes)
    rendered = render(trigger, language, channel, context, template_overrides(settings, trigger, language))
    opted_out = is_opted_out(session, delivery.tenant_id, channel, address)
    bypass = trigger in ((settings.get("quiet_hours") or {}).get("bypass") or [])
    held = None if bypass else quiet_until(now, customer_zone(settings, delivery.document), settings.get("quiet_hours"))
    message = CustomerMessage(
        id=sortable_id("cmsg_"), tenant_id=delivery.tenant_id, delivery_id=delivery.id, trigger=trigger,
        channel=channel, attempt=attempt, language=language, recipient=address, subject=rendered.subject,
        body_text=rendered.text, body_html=rendered.html, state="opted_out" if opted_out else "pending",
        event_id=event_id, due_at=held or now, expires_at=_expiry(trigger, delivery, eta), created_at=now,
        receipt={})
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        return None  # planned before: once per trigger, delivery, channel and attempt
    if not opted_out:
        add_outbox(session, tenant_id=delivery.tenant_id, kind=SEND_KIND, payload={"message_id": message.id},
                   due_at=message.due_at)
    return message


def record_sent(session: Session, message: CustomerMessage, *, provider: str, provider_message_id: str,
                status: str, provider_status: str, now: datetime) -> None:
    message.state = status if RECEIPT_RANK.get(status, 0) >= RECEIPT_RANK["sent"] else "sent"
    message.provider, message.provider_message_id = provider, provider_message_id
    message.provider_status, message.sent_at, message.error = provider_status, now, None
    delivery = session.get(Delivery, message.delivery_id)
    append_event(session, delivery, "delivery.message_sent", {
        "message_id": message.id, "trigger": message.trigger, "channel": message.channel,
        "language": message.language, "provider": provider, "provider_message_id": provider_message_id,
        "status": message.state}, actor=NOTIFIER, occurred_at=now)


def record_receipt(session: Session, message: CustomerMessage, *, status: str, provider_status: str,
                   error_code: str | None, details: dict[str, Any], now: datetime) -> bool:
    """Apply a delivery receipt; False when it says nothing new (a repeat, or older than what is known)."""
    if message.provider_status == provider_status or RECEIPT_RANK.get(status, 0) < RECEIPT_RANK.get(message.state, 0):
        return False
    message.state, message.provider_status, message.receipt_at = status, provider_status, now
    message.receipt = {"status": status, "provider_status": provider_status,
                       **({"error_code": error_code} if error_code else {}), **details}
    data = {"message_id": message.id, "trigger": message.trigger, "channel": message.channel,
            "provider": message.provider or "", "provider_message_id": message.provider_message_id or "",
            "status": status, "provider_status": provider_status}
    if error_code:
        data["error_code"] = error_code
    append_event(session, session.get(Delivery, message.delivery_id), "delivery.message_status", data,
                 actor=NOTIFIER, occurred_at=now)
    return True


def record_failure(session: Session, message: CustomerMessage, reason: str, now: datetime) -> None:
    """The send failed for good (retries used up, or a permanent answer): recorded on the message and timeline."""
    if message.state not in ("pending",):
        return
    message.state, message.error = "dead", reason[:2000]
    append_event(session, session.get(Delivery, message.delivery_id), "delivery.message_status", {
        "message_id": message.id, "trigger": message.trigger, "channel": message.channel,
        "provider": message.provider or "", "provider_message_id": message.provider_message_id or "",
        "status": "failed", "provider_status": "not_sent", "error": reason[:500]}, actor=NOTIFIER, occurred_at=now)


def find_by_provider_id(session: Session, tenant_id: str, provider: str, provider_message_id: str) -> CustomerMessage | None:
    return session.execute(select(CustomerMessage).where(
        CustomerMessage.tenant_id == tenant_id, CustomerMessage.provider == provider,
        CustomerMessage.provider_message_id == provider_message_id)).scalar_one_or_none()


def messages_of(session: Session, delivery_id: str) -> list[CustomerMessage]:
    return list(session.execute(select(CustomerMessage).where(CustomerMessage.delivery_id == delivery_id)
                                .order_by(CustomerMessage.created_at, CustomerMessage.id)).scalars())


def preview(session: Session, links: Links, settings: dict[str, Any], delivery: Delivery, *, trigger: str,
            channel: str, language: str | None, now: datetime, eta: datetime | None) -> Any:
    """The message a trigger would send now for this delivery, rendered and not stored (`hub notify preview`)."""
    language = language or language_for(settings, delivery.document)
    address = recipient(channel, delivery.document) or ("customer@example.com" if channel == "email" else "")
    minutes = int(((settings.get("triggers") or {}).get("arriving_soon") or {}).get("minutes", 15))
    context = template_context(session, links, settings, delivery, language=language, channel=channel,
                               address=address, now=now, eta=eta, minutes=minutes)
    return render(trigger, language, channel, context, template_overrides(settings, trigger, language))
