"""analytics daily rollup: the figures' measures per tenant, day, depot and dimension key

Adds analytics_daily (the sums `figures` reads) and analytics_rollup_days (whether a day's sums are current).
Every day that already has facts is marked changed, so its sums are made the first time a figure reads it.

Revision ID: 0015_analytics_rollup
Revises: 0014_analytics
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_analytics_rollup"
down_revision = "0014_analytics"
branch_labels = None
depends_on = None

COUNTS = ("deliveries", "delivered", "on_time_counted", "on_time", "attempted", "first_attempt_ok", "failed",
          "costed", "rated", "satisfied", "exceptions")


def _tenant() -> sa.Column:
    return sa.Column("tenant_id", sa.String(40), sa.ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)


def upgrade() -> None:
    op.create_table(
        "analytics_daily",
        _tenant(),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("dimension", sa.String(20), primary_key=True),
        sa.Column("depot_id", sa.String(40), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("week", sa.Date(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.Column("cost_total", sa.Float(), nullable=True),
        sa.Column("rating_total", sa.Integer(), nullable=True),
    )
    op.create_table(
        "analytics_rollup_days",
        _tenant(),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("rolled", sa.Integer(), nullable=False),
    )
    op.execute("INSERT INTO analytics_rollup_days (tenant_id, day, changes, rolled) "
               "SELECT DISTINCT tenant_id, day, 1, 0 FROM analytics_delivery_facts")


def downgrade() -> None:
    op.drop_table("analytics_rollup_days")
    op.drop_table("analytics_daily")
