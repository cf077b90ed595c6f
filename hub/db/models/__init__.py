"""The hub's tables. The database is the one source of truth; Redis only carries work.

Every state change of a delivery is a row in `delivery_events` written in the same transaction
as the change itself and as its `outbox` rows, so nothing a job or a receiver needs is lost
when a worker dies or Redis restarts.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hub.db.encryption import EncryptedJSON
from hub.db.types import UtcDateTime

# JSONB on PostgreSQL (indexable, compact); plain JSON text on SQLite.
Json = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: Json, list[Any]: Json}


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ApiKey(Base):
    """Only the SHA-256 of a key is stored; the key itself is shown once, when created."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # admin | integration | carrier | driver
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # shown in listings so people can tell keys apart
    label: Mapped[str] = mapped_column(String(120), default="")
    subject_id: Mapped[str | None] = mapped_column(String(40))  # the carrier or driver a key speaks for
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # hub.ledger.keys.record_use


class Installation(Base):
    __tablename__ = "installations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    connector: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(120), default="")
    # Both hold secrets (store API credentials, webhook signing secrets): encrypted at rest, never dumped as is.
    settings: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON(), default=dict)
    overrides: Mapped[dict[str, Any]] = mapped_column(default=dict)  # canonical path -> JMESPath
    state: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON(), default=dict)  # registered hooks, generated secrets
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | paused
    paused_reason: Mapped[str | None] = mapped_column(Text)
    bookmark: Mapped[str | None] = mapped_column(String(200))  # polling connectors: where the last batch ended
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class InboxItem(Base):
    """A raw inbound request, kept byte for byte; unique per source and delivery id so repeats are no-ops."""

    __tablename__ = "inbox"
    __table_args__ = (UniqueConstraint("source_key", "dedupe_key", name="uq_inbox_dedupe"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    installation_id: Mapped[str | None] = mapped_column(ForeignKey("installations.id", ondelete="SET NULL"))
    source_key: Mapped[str] = mapped_column(String(80))  # installation id, or "api:<tenant>"
    dedupe_key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10), default="POST")
    path: Mapped[str] = mapped_column(String(500), default="")
    headers: Mapped[list[Any]] = mapped_column(default=list)  # [[name, value], ...] as received
    body: Mapped[bytes] = mapped_column(LargeBinary)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    verification: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20), default="pending", index=True)  # pending|processed|skipped|failed
    outcome: Mapped[dict[str, Any]] = mapped_column(default=dict)  # what processing did, or why it skipped
    delivery_id: Mapped[str | None] = mapped_column(String(40))  # pre-allocated for API submissions
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Delivery(Base):
    """Indexed columns for querying plus the canonical document; `version` guards concurrent writers."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "source_key", "external_id", name="uq_delivery_source"),
        Index("ix_deliveries_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_deliveries_tenant_status", "tenant_id", "status"),
        Index("ix_deliveries_tenant_window_day", "tenant_id", "window_day"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    installation_id: Mapped[str | None] = mapped_column(ForeignKey("installations.id", ondelete="SET NULL"))
    source_key: Mapped[str] = mapped_column(String(80))
    source_connector: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(30))
    service_level: Mapped[str] = mapped_column(String(20), default="unknown")
    document: Mapped[dict[str, Any]] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # The day the customer expects it: the date its first promised window starts on (in the window's own offset),
    # else the day it was created (hub.ledger.deliveries.window_day). The console's day lists read it.
    window_day: Mapped[date | None] = mapped_column(Date)
    # The newest event's sequence and hash, written with every event (hub.ledger.events.append_event): events cut
    # off the end of the chain no longer verify. None only while the delivery has no event yet.
    events_head_sequence: Mapped[int | None] = mapped_column(Integer)
    events_head_hash: Mapped[str | None] = mapped_column(String(64))

    __mapper_args__ = {"version_id_col": version}


class DeliveryEvent(Base):
    """Append-only. `hash` = SHA-256(previous hash + this event's canonical JSON): edits are detectable, and
    the delivery row names the newest one (`events_head_*`), so removals at the end are too."""

    __tablename__ = "delivery_events"
    __table_args__ = (UniqueConstraint("delivery_id", "sequence", name="uq_event_sequence"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(60))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[dict[str, Any]] = mapped_column()
    data: Mapped[dict[str, Any]] = mapped_column()
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class OutboxItem(Base):
    """A piece of work, committed with the change that causes it: the ledger of work (Redis is only the doorbell).

    A worker claims a row atomically (`claimed_by`, `lease_until`) before acting on it, so two workers never
    act on one row at once; a row whose lease ran out (its worker died) can be claimed again. Retries and
    scheduled work are `due_at` times here, never jobs parked in Redis, so a wiped Redis delays nothing.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_claimable", "state", "lane", "due_at"),
        Index("ix_outbox_dedupe", "dedupe_key", "state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(60))  # a registered handler, e.g. "assign" (hub/outbox/kinds.py)
    lane: Mapped[str] = mapped_column(String(20), default="ingest")  # the RQ queue whose workers run it
    event_id: Mapped[str | None] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(10), default="pending")  # pending | done | dead
    dedupe_key: Mapped[str | None] = mapped_column(String(200))  # scheduled singletons: one pending row per key
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)  # not before (backoff, Retry-After)
    claimed_by: Mapped[str | None] = mapped_column(String(120))  # the worker acting on it now
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())  # its claim ends then unless renewed
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # when it ended (done or dead)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class WorkerBeat(Base):
    """A live worker says so here every few seconds; `hub status` counts the ones heard from lately."""

    __tablename__ = "hub_workers"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Lease(Base):
    """A named role one process holds at a time (the sweeper), until `until` unless its holder renews it."""

    __tablename__ = "hub_leases"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    until: Mapped[datetime] = mapped_column(UtcDateTime())


# The other rooms' tables live in this package's submodules; importing them here puts every table on
# Base.metadata, so Alembic and create_all see the whole schema from `import hub.db.models`.
from hub.db.models import accounts, analytics, customer, execution, fleet, notify, planning, slots, webhooks  # noqa: E402,F401
