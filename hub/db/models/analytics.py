"""Analytics read model: facts folded from the ledger (hub/analytics/facts.py), one row per delivery and one per
route-day. Nothing here is a source of truth: `hub analytics rebuild` recomputes every row from delivery_events
(and the assignment decisions, route plans and pings they name), and the outbox feed keeps them current."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models import Base, utcnow
from hub.db.types import UtcDateTime


class DeliveryFact(Base):
    """What happened to one delivery, as the figures count it. `day` is the UTC day of the first promised
    window's start (the day the customer expected it), else of its creation; `week` the Monday of that day."""

    __tablename__ = "analytics_delivery_facts"
    __table_args__ = (
        # Every figure filters one tenant and a range of days (or weeks), then groups by one dimension.
        Index("ix_adf_tenant_day", "tenant_id", "day"),
        Index("ix_adf_tenant_week", "tenant_id", "week"),
        Index("ix_adf_route", "route_key"),
        # The heatmap and the failed drill read the few failed deliveries of a range, not all of them.
        Index("ix_adf_failed", "tenant_id", "day", postgresql_where=text("failed_attempts > 0"),
              sqlite_where=text("failed_attempts > 0")),
    )

    delivery_id: Mapped[str] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    week: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(30))
    service_level: Mapped[str] = mapped_column(String(20), default="unknown")
    connector: Mapped[str] = mapped_column(String(64), default="")
    capacity: Mapped[str | None] = mapped_column(String(12))  # own_fleet | carrier | None (not assigned)
    depot_id: Mapped[str | None] = mapped_column(String(40))
    carrier_id: Mapped[str | None] = mapped_column(String(40))
    driver_id: Mapped[str | None] = mapped_column(String(40))
    vehicle_id: Mapped[str | None] = mapped_column(String(40))
    route_key: Mapped[str | None] = mapped_column(String(160))  # RouteDayFact.route_key
    postal_area: Mapped[str | None] = mapped_column(String(20))
    stop_type: Mapped[str] = mapped_column(String(20), default="residential")
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    window_start: Mapped[datetime | None] = mapped_column(UtcDateTime())
    window_end: Mapped[datetime | None] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # delivered + failed_attempt moves
    first_attempt_ok: Mapped[bool | None] = mapped_column(Boolean)  # None: not attempted yet
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    failure_reason: Mapped[str | None] = mapped_column(String(60))  # reason_code of the first failed attempt
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    on_time: Mapped[bool | None] = mapped_column(Boolean)  # None: not delivered, or no promised window
    departed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # first on the road (route started)
    arrived_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # arrival of the last attempt
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # its delivery or failure
    dwell_s: Mapped[float | None] = mapped_column(Float)
    planned_position: Mapped[int | None] = mapped_column(Integer)
    planned_eta: Mapped[datetime | None] = mapped_column(UtcDateTime())
    eta_delta_s: Mapped[float | None] = mapped_column(Float)  # arrival minus planned ETA
    # The whole route's plan as the newest route event told it (the route-day fact takes the newest of its stops).
    route_planned_distance_m: Mapped[int | None] = mapped_column(Integer)
    route_planned_duration_s: Mapped[int | None] = mapped_column(Integer)
    route_planned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    exceptions: Mapped[int] = mapped_column(Integer, default=0)
    rating: Mapped[int | None] = mapped_column(Integer)  # 1..5, from the newest delivery.rated event
    cost: Mapped[float | None] = mapped_column(Float)
    cost_source: Mapped[str | None] = mapped_column(String(20))  # carrier_quote | own_fleet
    fee: Mapped[float | None] = mapped_column(Float)
    events: Mapped[int] = mapped_column(Integer, default=0)  # how many events were folded
    refreshed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class RouteDayFact(Base):
    """One vehicle's route on one depot day: plan against what happened. Keyed by depot, day and vehicle
    (not plan version: re-plans of the day are the same route)."""

    __tablename__ = "analytics_route_facts"
    __table_args__ = (Index("ix_arf_tenant_day", "tenant_id", "day"),)

    route_key: Mapped[str] = mapped_column(String(160), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    depot_id: Mapped[str] = mapped_column(String(40))
    day: Mapped[date] = mapped_column(Date)
    week: Mapped[date] = mapped_column(Date)
    vehicle_id: Mapped[str] = mapped_column(String(40))
    driver_id: Mapped[str | None] = mapped_column(String(40))
    stops: Mapped[int] = mapped_column(Integer, default=0)
    stops_done: Mapped[int] = mapped_column(Integer, default=0)  # delivered or failed
    stops_in_planned_order: Mapped[int] = mapped_column(Integer, default=0)
    planned_distance_m: Mapped[int | None] = mapped_column(Integer)
    planned_duration_s: Mapped[int | None] = mapped_column(Integer)
    actual_distance_m: Mapped[int | None] = mapped_column(Integer)  # from the driver's pings, when there are some
    actual_duration_s: Mapped[int | None] = mapped_column(Integer)  # first departure to last stop completed
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    eta_abs_delta_s: Mapped[float | None] = mapped_column(Float)  # mean |arrival - planned ETA|
    cost: Mapped[float | None] = mapped_column(Float)
    fees: Mapped[float] = mapped_column(Float, default=0.0)
    refreshed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class DailyRollup(Base):
    """The figures' measures summed per tenant, day, depot and one dimension's key: what `figures` reads instead of
    aggregating a range's facts on every request (90 days of 2,000 deliveries: 1,890 rows instead of 180,000).
    Derived from the delivery facts by hub/analytics/rollup.py; '' stands for no depot or no key."""

    __tablename__ = "analytics_daily"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(20), primary_key=True)  # tenant | depot | carrier | driver | ...
    depot_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    week: Mapped[date] = mapped_column(Date)
    deliveries: Mapped[int] = mapped_column(Integer)
    delivered: Mapped[int] = mapped_column(Integer)
    on_time_counted: Mapped[int] = mapped_column(Integer)
    on_time: Mapped[int] = mapped_column(Integer)
    attempted: Mapped[int] = mapped_column(Integer)
    first_attempt_ok: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    costed: Mapped[int] = mapped_column(Integer)
    cost_total: Mapped[float | None] = mapped_column(Float)
    rated: Mapped[int] = mapped_column(Integer)
    satisfied: Mapped[int] = mapped_column(Integer)
    rating_total: Mapped[int | None] = mapped_column(Integer)
    exceptions: Mapped[int] = mapped_column(Integer)


class RollupDay(Base):
    """Whether a tenant's day of rollups is current: every write to a fact of the day counts a change; the rollup
    records how many changes it has seen. Days with `rolled` < `changes` are summed again when next read."""

    __tablename__ = "analytics_rollup_days"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    changes: Mapped[int] = mapped_column(Integer, default=0)
    rolled: Mapped[int] = mapped_column(Integer, default=0)
