"""analytics read model: one fact row per delivery and one per route-day, folded from the ledger

Adds analytics_delivery_facts and analytics_route_facts. Both are derived data: `hub analytics rebuild`
fills them from delivery_events, so deliveries that exist before this migration are counted after a rebuild.

Revision ID: 0014_analytics
Revises: 0013_customer_messages
Create Date: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_analytics"
down_revision = "0013_customer_messages"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "analytics_delivery_facts",
        sa.Column("delivery_id", sa.String(40), sa.ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("tenant_id", sa.String(40), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        _at("created_at"),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("service_level", sa.String(20), nullable=False),
        sa.Column("connector", sa.String(64), nullable=False),
        sa.Column("capacity", sa.String(12)),
        sa.Column("depot_id", sa.String(40)),
        sa.Column("carrier_id", sa.String(40)),
        sa.Column("driver_id", sa.String(40)),
        sa.Column("vehicle_id", sa.String(40)),
        sa.Column("route_key", sa.String(160)),
        sa.Column("postal_area", sa.String(20)),
        sa.Column("stop_type", sa.String(20), nullable=False),
        sa.Column("lat", sa.Float()),
        sa.Column("lng", sa.Float()),
        _at("window_start"),
        _at("window_end"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_attempt_ok", sa.Boolean()),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("failure_reason", sa.String(60)),
        _at("failed_at"),
        _at("delivered_at"),
        sa.Column("on_time", sa.Boolean()),
        _at("departed_at"),
        _at("arrived_at"),
        _at("completed_at"),
        sa.Column("dwell_s", sa.Float()),
        sa.Column("planned_position", sa.Integer()),
        _at("planned_eta"),
        sa.Column("eta_delta_s", sa.Float()),
        sa.Column("route_planned_distance_m", sa.Integer()),
        sa.Column("route_planned_duration_s", sa.Integer()),
        _at("route_planned_at"),
        sa.Column("exceptions", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer()),
        sa.Column("cost", sa.Float()),
        sa.Column("cost_source", sa.String(20)),
        sa.Column("fee", sa.Float()),
        sa.Column("events", sa.Integer(), nullable=False),
        _at("refreshed_at", nullable=False),
    )
    op.create_index("ix_adf_tenant_day", "analytics_delivery_facts", ["tenant_id", "day"])
    op.create_index("ix_adf_tenant_week", "analytics_delivery_facts", ["tenant_id", "week"])
    op.create_index("ix_adf_route", "analytics_delivery_facts", ["route_key"])
    op.create_index("ix_adf_failed", "analytics_delivery_facts", ["tenant_id", "day"],
                    postgresql_where=sa.text("failed_attempts > 0"), sqlite_where=sa.text("failed_attempts > 0"))
    op.create_table(
        "analytics_route_facts",
        sa.Column("route_key", sa.String(160), primary_key=True),
        sa.Column("tenant_id", sa.String(40), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("depot_id", sa.String(40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("vehicle_id", sa.String(40), nullable=False),
        sa.Column("driver_id", sa.String(40)),
        sa.Column("stops", sa.Integer(), nullable=False),
        sa.Column("stops_done", sa.Integer(), nullable=False),
        sa.Column("stops_in_planned_order", sa.Integer(), nullable=False),
        sa.Column("planned_distance_m", sa.Integer()),
        sa.Column("planned_duration_s", sa.Integer()),
        sa.Column("actual_distance_m", sa.Integer()),
        sa.Column("actual_duration_s", sa.Integer()),
        _at("started_at"),
        _at("ended_at"),
        sa.Column("eta_abs_delta_s", sa.Float()),
        sa.Column("cost", sa.Float()),
        sa.Column("fees", sa.Float(), nullable=False),
        _at("refreshed_at", nullable=False),
    )
    op.create_index("ix_arf_tenant_day", "analytics_route_facts", ["tenant_id", "day"])


def downgrade() -> None:
    op.drop_index("ix_arf_tenant_day", "analytics_route_facts")
    op.drop_table("analytics_route_facts")
    op.drop_index("ix_adf_failed", "analytics_delivery_facts")
    op.drop_index("ix_adf_route", "analytics_delivery_facts")
    op.drop_index("ix_adf_tenant_week", "analytics_delivery_facts")
    op.drop_index("ix_adf_tenant_day", "analytics_delivery_facts")
    op.drop_table("analytics_delivery_facts")
