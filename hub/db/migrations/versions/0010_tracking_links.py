"""tracking links: a private token per delivery for the customer's tracking page

Adds tracking_links (token, delivery_id unique, tenant_id, created_at) and gives every delivery that
exists already a token of its own, so links written back to stores from now on answer for old deliveries too.

Revision ID: 0010_tracking_links
Revises: 0009_key_last_use
Create Date: 2026-12-06
"""
from __future__ import annotations

import secrets
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0010_tracking_links"
down_revision = "0009_key_last_use"
branch_labels = None
depends_on = None


def upgrade() -> None:
    links = op.create_table(
        "tracking_links",
        sa.Column("token", sa.String(64), primary_key=True),
        sa.Column("delivery_id", sa.String(40), sa.ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False),
        sa.Column("tenant_id", sa.String(40), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("delivery_id"),
    )
    op.create_index("ix_tracking_links_tenant_id", "tracking_links", ["tenant_id"])
    existing = op.get_bind().execute(sa.text("SELECT id, tenant_id FROM deliveries")).all()
    now = datetime.now(timezone.utc)
    if existing:
        op.bulk_insert(links, [{"token": secrets.token_urlsafe(32), "delivery_id": row.id, "tenant_id": row.tenant_id,
                                "created_at": now} for row in existing])


def downgrade() -> None:
    op.drop_index("ix_tracking_links_tenant_id", "tracking_links")
    op.drop_table("tracking_links")
