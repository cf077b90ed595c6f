"""events head: the delivery row names its newest event (sequence and hash)

Adds deliveries.events_head_sequence and deliveries.events_head_hash, which hub.ledger.events.append_event writes
with every event, so events removed from the end of a delivery's hash chain are caught (hub.ledger.events.verify_chain).
Backfilled from the newest stored event of each delivery: whatever was removed before this migration ran is
not caught by it. Deliveries without events keep NULL.

Revision ID: 0007_events_head
Revises: 0005_execution
Create Date: 2026-11-26
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_events_head"
down_revision = "0005_execution"  # custody verification lives in the execution branch; deliveries come from 0001
branch_labels = None
depends_on = None

deliveries = sa.table("deliveries", sa.column("id", sa.String), sa.column("events_head_sequence", sa.Integer),
                      sa.column("events_head_hash", sa.String))
events = sa.table("delivery_events", sa.column("delivery_id", sa.String), sa.column("sequence", sa.Integer),
                  sa.column("hash", sa.String))


def backfill(bind: sa.Connection) -> None:
    """One UPDATE: every delivery's head is its newest event (correlated subqueries, on SQLite and PostgreSQL)."""
    def newest(column: sa.ColumnClause[object]) -> sa.ScalarSelect[object]:
        return (sa.select(column).where(events.c.delivery_id == deliveries.c.id)
                .order_by(events.c.sequence.desc()).limit(1).scalar_subquery())

    bind.execute(deliveries.update().values(events_head_sequence=newest(events.c.sequence),
                                            events_head_hash=newest(events.c.hash)))


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("events_head_sequence", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("events_head_hash", sa.String(length=64), nullable=True))
    backfill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("events_head_hash")
        batch.drop_column("events_head_sequence")
