"""Fleet tables: the tenant's own fleet (depots, vehicles, drivers), its carriers, its assignment policies, and
every assignment decision with its explanation. Money is stored as decimal strings, like the canonical model."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models import Base, BigId, utcnow
from hub.db.types import UtcDateTime


class Depot(Base):
    __tablename__ = "depots"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[dict[str, Any]] = mapped_column(default=dict)  # canonical Address
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    utc_offset_min: Mapped[int] = mapped_column(Integer, default=0)  # local time = UTC + this
    coverage: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"postal_prefixes": [...], "polygons": [...]}
    service_levels: Mapped[list[Any]] = mapped_column(default=list)  # empty: all
    cutoff_time: Mapped[str | None] = mapped_column(String(5))  # "HH:MM" local, for same-day / express
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Vehicle(Base):
    __tablename__ = "vehicles"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    depot_id: Mapped[str] = mapped_column(ForeignKey("depots.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    capacity_weight_g: Mapped[int | None] = mapped_column(Integer)
    capacity_volume_cm3: Mapped[int | None] = mapped_column(Integer)
    capacity_parcels: Mapped[int | None] = mapped_column(Integer)
    features: Mapped[list[Any]] = mapped_column(default=list)  # e.g. ["cold_chain", "tail_lift"]
    cost_per_km: Mapped[str] = mapped_column(String(20), default="0")
    cost_per_hour: Mapped[str] = mapped_column(String(20), default="0")
    speed_kmh: Mapped[float] = mapped_column(Float, default=30.0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Driver(Base):
    __tablename__ = "drivers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    depot_id: Mapped[str] = mapped_column(ForeignKey("depots.id", ondelete="CASCADE"), index=True)
    vehicle_id: Mapped[str | None] = mapped_column(ForeignKey("vehicles.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(120))
    shift_start: Mapped[str] = mapped_column(String(5), default="08:00")  # "HH:MM" depot local time
    shift_end: Mapped[str] = mapped_column(String(5), default="17:00")
    max_hours: Mapped[float] = mapped_column(Float, default=8.0)
    zones: Mapped[list[Any]] = mapped_column(default=list)  # postal prefixes; empty: the depot's whole area
    skills: Mapped[list[Any]] = mapped_column(default=list)
    rating: Mapped[float] = mapped_column(Float, default=4.0)
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Carrier(Base):
    __tablename__ = "carriers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10))  # 3pl | crowd
    installation_id: Mapped[str | None] = mapped_column(ForeignKey("installations.id", ondelete="SET NULL"))
    coverage: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"postal_prefixes": [...], "polygons": [...]}
    origin: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"lat", "lng"} of its hub, for distance
    utc_offset_min: Mapped[int] = mapped_column(Integer, default=0)
    service_levels: Mapped[list[Any]] = mapped_column(default=list)
    features: Mapped[list[Any]] = mapped_column(default=list)
    cutoff_time: Mapped[str | None] = mapped_column(String(5))
    daily_capacity: Mapped[int | None] = mapped_column(Integer)  # deliveries per day
    max_order_value: Mapped[str | None] = mapped_column(String(20))
    price_card: Mapped[dict[str, Any]] = mapped_column(default=dict)  # currency, base, per_km, per_kg, surcharges
    live_quote: Mapped[bool] = mapped_column(Boolean, default=False)  # ask the connector's quote() instead
    speed_kmh: Mapped[float] = mapped_column(Float, default=25.0)
    rating: Mapped[float] = mapped_column(Float, default=4.0)
    quality: Mapped[dict[str, Any]] = mapped_column(default=dict)  # failed_attempt_rate, avg_delay_min, ...
    acceptance_timeout_s: Mapped[int] = mapped_column(Integer, default=30)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class AssignmentPolicyRow(Base):
    """Versioned: saving a policy adds a row with the next version; the newest one is in force."""

    __tablename__ = "assignment_policies"
    __table_args__ = (UniqueConstraint("tenant_id", "version", name="uq_policy_version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column()
    created_by: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Assignment(Base):
    """One decision for one delivery (attempt 1, 2, ... after rejections), with the engine's explanation."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("delivery_id", "attempt", name="uq_assignment_attempt"),
        Index("ix_assignments_capacity", "tenant_id", "day", "candidate_id", "state"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    delivery_id: Mapped[str] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)  # the UTC day it counts against capacity
    candidate_id: Mapped[str | None] = mapped_column(String(40))  # depot or carrier id; None: nobody
    capacity: Mapped[str] = mapped_column(String(12))  # own_fleet | carrier | none
    depot_id: Mapped[str | None] = mapped_column(String(40))
    carrier_id: Mapped[str | None] = mapped_column(String(40))
    # proposed -> dispatched (waiting) -> accepted | rejected | timed_out; own_fleet; none; superseded
    state: Mapped[str] = mapped_column(String(12))
    job_id: Mapped[str | None] = mapped_column(String(40), unique=True)  # the carrier job's id
    external_ref: Mapped[str | None] = mapped_column(String(200))  # the carrier's reference
    parcels: Mapped[int] = mapped_column(Integer, default=1)
    weight_g: Mapped[int] = mapped_column(Integer, default=0)
    volume_cm3: Mapped[int] = mapped_column(Integer, default=0)
    policy_version: Mapped[int] = mapped_column(Integer, default=0)
    decision: Mapped[dict[str, Any]] = mapped_column()
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
