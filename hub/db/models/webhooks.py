"""Webhook tables: subscriptions, one payload per event (stored once), one delivery row per
(event, subscription) and one attempt row per try."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.encryption import EncryptedText
from hub.db.models import Base, BigId, utcnow
from hub.db.types import UtcDateTime

# States of a delivery row. Open ones still have work to do.
PENDING, RETRYING, SUCCEEDED, DEAD = "pending", "retrying", "succeeded", "dead"
OPEN_STATES = (PENDING, RETRYING)
STATES = (PENDING, RETRYING, SUCCEEDED, DEAD)


class WebhookSubscription(Base):
    """A subscriber's endpoint. The secret signs every message; it is shown once, when created or rotated."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list[Any]] = mapped_column(default=list)  # patterns: "delivery.*", "route.planned"
    description: Mapped[str] = mapped_column(String(500), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    secret: Mapped[str] = mapped_column(EncryptedText())  # whsec_<base64>; encrypted at rest, in clear to sign
    previous_secret: Mapped[str | None] = mapped_column(EncryptedText())  # still signs until it expires
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[datetime | None] = mapped_column(UtcDateTime())  # first failure after a success
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class WebhookPayload(Base):
    """The exact body sent for an event, serialized once so every subscription, retry and replay signs
    the same bytes."""

    __tablename__ = "webhook_payloads"

    event_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    event_type: Mapped[str] = mapped_column(String(60))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class WebhookDelivery(Base):
    """One event for one subscription. Its id is the webhook-id header: stable across retries and replays."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "subscription_id", name="uq_webhook_delivery_event_subscription"),
        Index("ix_webhook_deliveries_order", "subscription_id", "delivery_id", "sequence"),
        Index("ix_webhook_deliveries_log", "subscription_id", "state", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # msg_<ulid>
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    subscription_id: Mapped[str] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(ForeignKey("webhook_payloads.event_id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(60))
    delivery_id: Mapped[str | None] = mapped_column(String(40))  # the hub delivery the event is about
    sequence: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    first_attempted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    outbox_id: Mapped[int | None] = mapped_column(BigId)  # the outbox row that carries the current try
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class WebhookAttempt(Base):
    """One HTTP try: when, what came back (trimmed), how long it took, and what the hub decided."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    webhook_delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    response_body: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(20))  # ok | retry | dead | disable
