"""Drop idempotency_keys: a submission's Idempotency-Key is answered from its inbox row

The inbox row of an API submission sent with an Idempotency-Key has the dedupe key "idem:<key>" and holds the
request as sent and what it did, so a repeat is answered from it (hub/api/deliveries.py). The separate table was
written and read once more per submission, in the API's busiest request; every answer it held is also in the inbox.

Revision ID: 0018_idempotency_in_inbox
Revises: 0017_delivery_window_day
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0018_idempotency_in_inbox"
down_revision = "0017_delivery_window_day"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("idempotency_keys")


def downgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                  nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "key", name="uq_idempotency"),
    )
