"""Stored route plans: one row per version of a depot's day, and one row per stop of that version.

A plan is never edited after it is written: re-planning writes version N+1 and marks N superseded. The
plan (RoutePlan.to_dict()) and the problem it was solved on (without matrices, which are recomputed from
the stored points) are kept as JSON, so any version can be shown, drawn, or re-planned from later.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models import Base, BigId, utcnow
from hub.db.types import UtcDateTime

STOP_STATES = ("pending", "arrived", "completed", "failed", "cancelled")


class RoutePlanRow(Base):
    __tablename__ = "route_plans"
    # One row per version: two planners racing for the same version cannot both commit.
    __table_args__ = (UniqueConstraint("tenant_id", "depot_id", "plan_date", "version", name="uq_route_plan_version"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    depot_id: Mapped[str] = mapped_column(ForeignKey("depots.id", ondelete="CASCADE"))
    plan_date: Mapped[date] = mapped_column(Date)  # the depot's local day
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | superseded
    trigger: Mapped[str] = mapped_column(String(60), default="")  # what asked for this version
    backend: Mapped[str] = mapped_column(String(40))
    objective: Mapped[float] = mapped_column(Float, default=0.0)
    time_limit_s: Mapped[float] = mapped_column(Float)
    vehicles_used: Mapped[int] = mapped_column(Integer, default=0)
    stops_planned: Mapped[int] = mapped_column(Integer, default=0)
    unassigned: Mapped[int] = mapped_column(Integer, default=0)
    distance_m: Mapped[int] = mapped_column(Integer, default=0)
    duration_s: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    plan: Mapped[dict[str, Any]] = mapped_column()  # RoutePlan.to_dict()
    problem: Mapped[dict[str, Any]] = mapped_column()  # hub.planning.codec.problem_to_dict()
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class RouteStopRow(Base):
    __tablename__ = "route_stops"
    __table_args__ = (
        UniqueConstraint("plan_id", "delivery_id", name="uq_route_stop_delivery"),
        Index("ix_route_stops_delivery", "delivery_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("route_plans.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    delivery_id: Mapped[str] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"))
    vehicle_id: Mapped[str] = mapped_column(String(40))
    driver_id: Mapped[str | None] = mapped_column(String(40))
    sequence: Mapped[int] = mapped_column(Integer)  # 1-based position on the vehicle's route
    eta: Mapped[datetime] = mapped_column(UtcDateTime())  # planned arrival
    service_start: Mapped[datetime] = mapped_column(UtcDateTime())
    departure: Mapped[datetime] = mapped_column(UtcDateTime())
    arrived_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # what really happened
    departed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Dispatcher locks: the stop stays on lock_vehicle_id (None: not locked), at lock_position among that
    # vehicle's remaining stops when set (0 = next).
    lock_vehicle_id: Mapped[str | None] = mapped_column(String(40))
    lock_position: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(12), default="pending")  # one of STOP_STATES
    eta_sent_window: Mapped[dict[str, Any] | None] = mapped_column()  # {"start", "end"} ISO, once told to the customer
    note: Mapped[str] = mapped_column(Text, default="")
