"""Sending one planned message: check it is still wanted (not opted out since, not stale), hand it to the
provider outside any transaction, then record the provider's id and the `delivery.message_sent` event.

A provider that is down raises TransientError: the outbox row is tried again on the "external" policy (about a
day of retries) and nothing is recorded as sent until a try succeeds, so the message goes out once it is back.
A crash between the provider's accept and our commit sends it again on the next try (at least once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.canonical.vocabulary import TERMINAL_STATUSES
from hub.db.models import Delivery
from hub.db.models.notify import CustomerMessage
from hub.notify.email import build_email, send_email
from hub.notify.messages import record_failure, record_sent
from hub.notify.optout import is_opted_out
from hub.notify.settings import channel_ready, load_settings_for
from hub.notify.sms import provider_for, status_path
from hub.plugins.notifiers import SmsMessage


@dataclass(frozen=True)
class Outgoing:
    """What a send needs, read in one transaction and used outside it."""

    message_id: str
    tenant_id: str
    channel: str
    recipient: str
    subject: str | None
    text: str
    html: str | None
    settings: dict[str, Any]


@dataclass(frozen=True)
class Sent:
    provider: str
    provider_message_id: str
    status: str
    provider_status: str


def superseded(trigger: str, status: str) -> bool:
    """A finished delivery makes every message but the one about how it finished old news (an "out for
    delivery" held overnight must not arrive after "delivered")."""
    return status in TERMINAL_STATUSES and trigger != status


def prepare(session: Session, message_id: str, now: datetime) -> Outgoing | None:
    """The message to send, or None when there is nothing to do (sent already, opted out, stale), recording why."""
    message = session.get(CustomerMessage, message_id)
    if message is None or message.state != "pending":
        return None
    if is_opted_out(session, message.tenant_id, message.channel, message.recipient):
        message.state = "opted_out"
        return None
    if message.expires_at is not None and now > message.expires_at:
        message.state = "expired"
        return None
    delivery = session.get(Delivery, message.delivery_id)
    if delivery is not None and superseded(message.trigger, delivery.status):
        message.state = "expired"  # held by quiet hours while the delivery finished: news no longer true
        return None
    settings = load_settings_for(session, message.tenant_id)
    if not channel_ready(settings, message.channel):  # the tenant removed the channel while it waited
        record_failure(session, message, f"the tenant's {message.channel} is no longer set up", now)
        return None
    return Outgoing(message.id, message.tenant_id, message.channel, message.recipient, message.subject,
                    message.body_text, message.body_html, settings)


def _unsubscribe_link(text: str) -> str | None:
    """The signed unsubscribe link the footer carries (the last link of the text part)."""
    for word in reversed(text.split()):
        if "/notify/unsubscribe/" in word:
            return word
    return None


def deliver(outgoing: Outgoing, public_url: str) -> Sent:
    """Hand the message to its provider (I/O, no database); raises the provider's classified errors."""
    if outgoing.channel == "email":
        smtp = outgoing.settings.get("email") or {}
        mail = build_email(smtp, to=outgoing.recipient, subject=outgoing.subject or "", text=outgoing.text,
                           html=outgoing.html, message_id=outgoing.message_id,
                           unsubscribe_url=_unsubscribe_link(outgoing.text))
        return Sent("smtp", send_email(smtp, mail), "sent", "accepted")
    name, provider = provider_for(outgoing.settings)
    sent = provider.send_sms(SmsMessage(to=outgoing.recipient, body=outgoing.text, reference=outgoing.message_id,
                                        status_callback=public_url.rstrip("/") + status_path(outgoing.tenant_id, name)))
    return Sent(name, sent.provider_message_id, sent.status, sent.provider_status)


def record(session: Session, message_id: str, sent: Sent, now: datetime) -> None:
    message = session.get(CustomerMessage, message_id)
    if message is None or message.state != "pending":
        return
    record_sent(session, message, provider=sent.provider, provider_message_id=sent.provider_message_id,
                status=sent.status, provider_status=sent.provider_status, now=now)
