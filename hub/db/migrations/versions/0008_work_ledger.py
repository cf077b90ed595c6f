"""work ledger: outbox rows carry their own state, due time and lease; worker heartbeats; named leases

The database becomes the ledger of all pending work (Redis only rings the bell): every outbox row gets a
`state` (pending | done | dead), the `lane` (RQ queue) that runs it, a `due_at` (backoff and scheduled work;
replaces `retry_at`), a lease (`claimed_by`, `lease_until`) and an optional `dedupe_key` for scheduled
singletons (a depot's debounced plan, an installation's poll). Inbox items still pending get the "ingest"
row that now carries their processing.

Revision ID: 0008_work_ledger
Revises: 0007_events_head
Create Date: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008_work_ledger"
down_revision = "0007_events_head"
branch_labels = None
depends_on = None  # it touches only outbox and inbox (0001), and adds tables of its own

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
# The lane each outbox kind ran in when this migration was written (hub/outbox/kinds.py HANDLERS then).
LANES = {"writeback": "webhooks", "pick_by": "webhooks", "webhooks.fanout": "webhooks", "webhooks.deliver": "webhooks",
         "assign": "assign", "dispatch": "dispatch", "carrier_media": "dispatch", "carrier_cancel": "dispatch",
         "plan_routes": "route", "track": "ingest", "track_ping": "ingest"}

outbox = sa.table("outbox", sa.column("id", sa.BigInteger), sa.column("tenant_id", sa.String),
                  sa.column("kind", sa.String), sa.column("lane", sa.String), sa.column("payload", JSON),
                  sa.column("state", sa.String), sa.column("created_at", sa.DateTime(timezone=True)),
                  sa.column("due_at", sa.DateTime(timezone=True)), sa.column("retry_at", sa.DateTime(timezone=True)),
                  sa.column("processed_at", sa.DateTime(timezone=True)), sa.column("attempts", sa.Integer))
inbox = sa.table("inbox", sa.column("id", sa.BigInteger), sa.column("tenant_id", sa.String),
                 sa.column("state", sa.String), sa.column("received_at", sa.DateTime(timezone=True)))


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("lane", sa.String(20), nullable=False, server_default="ingest"))
        batch.add_column(sa.Column("state", sa.String(10), nullable=False, server_default="pending"))
        batch.add_column(sa.Column("dedupe_key", sa.String(200), nullable=True))
        batch.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("claimed_by", sa.String(120), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    bind.execute(outbox.update().values(due_at=sa.func.coalesce(outbox.c.retry_at, outbox.c.created_at)))
    bind.execute(outbox.update().where(outbox.c.processed_at.is_not(None)).values(state="done"))
    for kind, lane in LANES.items():
        bind.execute(outbox.update().where(outbox.c.kind == kind).values(lane=lane))
    pending = bind.execute(sa.select(inbox.c.id, inbox.c.tenant_id, inbox.c.received_at)
                           .where(inbox.c.state == "pending")).all()
    if pending:
        bind.execute(outbox.insert(), [
            {"tenant_id": tenant, "kind": "ingest", "lane": "ingest", "payload": {"inbox_id": item_id},
             "state": "pending", "created_at": received, "due_at": received, "attempts": 0}
            for item_id, tenant, received in pending])
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("due_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch.drop_index("ix_outbox_pending")
        batch.drop_column("retry_at")
        batch.create_index("ix_outbox_claimable", ["state", "lane", "due_at"], unique=False)
        batch.create_index("ix_outbox_dedupe", ["dedupe_key", "state"], unique=False)

    op.create_table(
        "hub_workers",
        sa.Column("id", sa.String(120), primary_key=True),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "hub_leases",
        sa.Column("name", sa.String(60), primary_key=True),
        sa.Column("holder", sa.String(120), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("hub_leases")
    op.drop_table("hub_workers")
    bind = op.get_bind()
    bind.execute(outbox.delete().where(outbox.c.kind == "ingest"))
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_dedupe")
        batch.drop_index("ix_outbox_claimable")
        batch.add_column(sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))
    bind.execute(outbox.update().where(outbox.c.state == "pending").values(retry_at=outbox.c.due_at))
    with op.batch_alter_table("outbox") as batch:
        batch.create_index("ix_outbox_pending", ["processed_at", "created_at"], unique=False)
        for column in ("lease_until", "claimed_by", "due_at", "dedupe_key", "state", "lane"):
            batch.drop_column(column)
