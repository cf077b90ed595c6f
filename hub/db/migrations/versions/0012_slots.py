"""slots: holds on delivery windows (slot_reservations) and publishable keys for shop pages

Revision ID: 0012_slots
Revises: 0011_operator_accounts (after 0003_capacity: slot_reservations points at depots)
Create Date: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012_slots"
down_revision = "0011_operator_accounts"
branch_labels = None
depends_on = "0003_capacity"  # slot_reservations points at depots, on any upgrade path

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "slot_reservations",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("tenant_id", sa.String(40), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("depot_id", sa.String(40), sa.ForeignKey("depots.id", ondelete="CASCADE"), nullable=False),
        sa.Column("plan_date", sa.Date(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("utc_offset_min", sa.Integer(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("postal_code", sa.String(20), nullable=False),
        sa.Column("weight_g", sa.Integer(), nullable=False),
        sa.Column("volume_cm3", sa.Integer(), nullable=False),
        sa.Column("parcels", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivery_id", sa.String(40), sa.ForeignKey("deliveries.id", ondelete="SET NULL"), nullable=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_slot_reservations_day", "slot_reservations", ["tenant_id", "depot_id", "plan_date", "state"])
    op.create_index("ix_slot_reservations_delivery_id", "slot_reservations", ["delivery_id"])
    op.create_table(
        "publishable_keys",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("tenant_id", sa.String(40), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("label", sa.String(120), nullable=False),
        sa.Column("allowed_origins", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_index("ix_publishable_keys_tenant_id", "publishable_keys", ["tenant_id"])


def downgrade() -> None:
    op.drop_index("ix_publishable_keys_tenant_id", "publishable_keys")
    op.drop_table("publishable_keys")
    op.drop_index("ix_slot_reservations_delivery_id", "slot_reservations")
    op.drop_index("ix_slot_reservations_day", "slot_reservations")
    op.drop_table("slot_reservations")
