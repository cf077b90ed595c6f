"""known addresses: street addresses the tenant delivered to, with their coordinates, for the slot query

Adds known_addresses (one row per tenant and normalised address, unique). Filled as deliveries with
coordinates are ingested; deliveries ingested before this migration are not read back into it.

Revision ID: 0016_known_addresses
Revises: 0015_analytics_rollup
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_known_addresses"
down_revision = "0015_analytics_rollup"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "known_addresses",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("tenant_id", sa.String(40), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("seen", sa.Integer(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ux_known_addresses_key", "known_addresses", ["tenant_id", "key"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_known_addresses_key", table_name="known_addresses")
    op.drop_table("known_addresses")
