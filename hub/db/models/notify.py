"""Messages to customers (hub/notify): each email or SMS with what was sent and what became of it, the
addresses that opted out, and each tenant's provider secrets (encrypted at rest)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.encryption import EncryptedJSON
from hub.db.models import Base, utcnow
from hub.db.types import UtcDateTime


class CustomerMessage(Base):
    """One message to a delivery's customer on one channel. The unique constraint is the "once per trigger"
    rule itself: a second "arriving soon" for the same delivery, channel and attempt cannot be inserted, however
    many re-planned ETAs ask for it, and whichever worker asks."""

    __tablename__ = "customer_messages"
    __table_args__ = (
        UniqueConstraint("delivery_id", "trigger", "channel", "attempt", name="uq_customer_message_once"),
        Index("ix_customer_messages_provider_id", "provider", "provider_message_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # cmsg_<ulid>
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    trigger: Mapped[str] = mapped_column(String(40))  # order_confirmed, arriving_soon, ...
    channel: Mapped[str] = mapped_column(String(10))  # email | sms
    attempt: Mapped[int] = mapped_column(Integer, default=0)  # failed attempts before it: a new attempt, new messages
    language: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(320))  # email address or E.164 phone
    subject: Mapped[str | None] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    # pending (waiting to go, maybe for quiet hours to end) | sent | delivered | undelivered | failed |
    # opted_out (not sent: the address opted out) | expired (held past the moment it was about) | dead
    state: Mapped[str] = mapped_column(String(20), default="pending")
    provider: Mapped[str | None] = mapped_column(String(40))  # smtp, twilio, ...
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    provider_status: Mapped[str | None] = mapped_column(String(40))  # the provider's own word for the receipt
    error: Mapped[str | None] = mapped_column(Text)
    event_id: Mapped[str | None] = mapped_column(String(40))  # the event that caused it
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())  # after quiet hours, when held
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # not worth sending after this
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    receipt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # the provider's latest delivery receipt
    receipt: Mapped[dict[str, Any]] = mapped_column(default=dict)  # that receipt's fields, as the provider said


class OptOut(Base):
    """An address that asked for no more messages from this tenant on this channel (an SMS "STOP", an email's
    unsubscribe link). Addresses are kept normalised: lower-case email, E.164 phone."""

    __tablename__ = "notify_opt_outs"
    __table_args__ = (UniqueConstraint("tenant_id", "channel", "address", name="uq_notify_opt_out"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(320))
    source: Mapped[str] = mapped_column(String(40))  # sms_stop | email_link | email_one_click
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class NotifySecrets(Base):
    """A tenant's provider secrets (SMTP password, the SMS provider's secret settings), encrypted like
    installation settings; the rest of the notification settings live in tenants.settings["notifications"]."""

    __tablename__ = "notify_secrets"

    id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)  # the tenant
    secrets: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON(), default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
