"""routes: versioned route plans of a depot's day, and their stops

Revision ID: 0004_routes
Revises: 0001 (after 0003_capacity: route_plans points at depots)
Create Date: 2026-11-25
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004_routes"
down_revision = "0001"
branch_labels = None
depends_on = "0003_capacity"  # route_plans points at depots

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "route_plans",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("depot_id", sa.String(length=40), nullable=False),
        sa.Column("plan_date", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("trigger", sa.String(length=60), nullable=False),
        sa.Column("backend", sa.String(length=40), nullable=False),
        sa.Column("objective", sa.Float(), nullable=False),
        sa.Column("time_limit_s", sa.Float(), nullable=False),
        sa.Column("vehicles_used", sa.Integer(), nullable=False),
        sa.Column("stops_planned", sa.Integer(), nullable=False),
        sa.Column("unassigned", sa.Integer(), nullable=False),
        sa.Column("distance_m", sa.Integer(), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.Column("plan", JSON, nullable=False),
        sa.Column("problem", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["depot_id"], ["depots.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "depot_id", "plan_date", "version", name="uq_route_plan_version"),
    )
    op.create_index(op.f("ix_route_plans_tenant_id"), "route_plans", ["tenant_id"], unique=False)
    op.create_table(
        "route_stops",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.String(length=40), nullable=False),
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("delivery_id", sa.String(length=40), nullable=False),
        sa.Column("vehicle_id", sa.String(length=40), nullable=False),
        sa.Column("driver_id", sa.String(length=40), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("eta", sa.DateTime(timezone=True), nullable=False),
        sa.Column("service_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("departure", sa.DateTime(timezone=True), nullable=False),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("departed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lock_vehicle_id", sa.String(length=40), nullable=True),
        sa.Column("lock_position", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("eta_sent_window", JSON, nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["delivery_id"], ["deliveries.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["plan_id"], ["route_plans.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "delivery_id", name="uq_route_stop_delivery"),
    )
    op.create_index("ix_route_stops_delivery", "route_stops", ["delivery_id"], unique=False)
    op.create_index(op.f("ix_route_stops_plan_id"), "route_stops", ["plan_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_route_stops_plan_id"), table_name="route_stops")
    op.drop_index("ix_route_stops_delivery", table_name="route_stops")
    op.drop_table("route_stops")
    op.drop_index(op.f("ix_route_plans_tenant_id"), table_name="route_plans")
    op.drop_table("route_plans")
