"""operator accounts: the people who sign in to the console

Adds operator_users (id, tenant_id, email unique, role, password_hash, created_at, last_sign_in_at).

Revision ID: 0011_operator_accounts
Revises: 0010_tracking_links
Create Date: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_operator_accounts"
down_revision = "0010_tracking_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operator_users",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("tenant_id", sa.String(40), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("email"),
    )
    op.create_index("ix_operator_users_tenant_id", "operator_users", ["tenant_id"])


def downgrade() -> None:
    op.drop_index("ix_operator_users_tenant_id", "operator_users")
    op.drop_table("operator_users")
