"""customer messages: emails and SMS to delivery customers, opt-outs, provider secrets

Adds customer_messages (unique per delivery, trigger, channel and attempt: the "once per trigger" rule as a
constraint), notify_opt_outs (unique per tenant, channel and address) and notify_secrets (a tenant's provider
secrets, encrypted at rest like installation settings).

Revision ID: 0013_customer_messages
Revises: 0012_slots
Create Date: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0013_customer_messages"
down_revision = "0012_slots"
branch_labels = None
depends_on = None

JSON_TYPE = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "customer_messages",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("tenant_id", sa.String(40), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("delivery_id", sa.String(40), sa.ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False),
        sa.Column("trigger", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(10), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("subject", sa.Text()),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text()),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("provider", sa.String(40)),
        sa.Column("provider_message_id", sa.String(200)),
        sa.Column("provider_status", sa.String(40)),
        sa.Column("error", sa.Text()),
        sa.Column("event_id", sa.String(40)),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("receipt_at", sa.DateTime(timezone=True)),
        sa.Column("receipt", JSON_TYPE, nullable=False),
        sa.UniqueConstraint("delivery_id", "trigger", "channel", "attempt", name="uq_customer_message_once"),
    )
    op.create_index("ix_customer_messages_tenant_id", "customer_messages", ["tenant_id"])
    op.create_index("ix_customer_messages_delivery_id", "customer_messages", ["delivery_id"])
    op.create_index("ix_customer_messages_provider_id", "customer_messages", ["provider", "provider_message_id"])
    op.create_table(
        "notify_opt_outs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("tenant_id", sa.String(40), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("tenant_id", "channel", "address", name="uq_notify_opt_out"),
    )
    op.create_table(
        "notify_secrets",
        sa.Column("id", sa.String(40), sa.ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("secrets", JSON_TYPE, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("notify_secrets")
    op.drop_table("notify_opt_outs")
    op.drop_index("ix_customer_messages_provider_id", "customer_messages")
    op.drop_index("ix_customer_messages_delivery_id", "customer_messages")
    op.drop_index("ix_customer_messages_tenant_id", "customer_messages")
    op.drop_table("customer_messages")
