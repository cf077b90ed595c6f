"""Delivery-slot tables: holds on a 2-hour window (reservations) and the publishable keys a shop's public
page uses to read windows and hold one (hub/slots)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models import Base, utcnow
from hub.db.types import UtcDateTime

RESERVATION_STATES = ("held", "confirmed", "released")


class SlotReservation(Base):
    """A window held for one order: it counts as a planned stop of its depot's day until it expires
    (`held` past `expires_at`), is released, or is confirmed by the delivery that carries its id."""

    __tablename__ = "slot_reservations"
    __table_args__ = (Index("ix_slot_reservations_day", "tenant_id", "depot_id", "plan_date", "state"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    depot_id: Mapped[str] = mapped_column(ForeignKey("depots.id", ondelete="CASCADE"))
    plan_date: Mapped[date] = mapped_column(Date)  # the depot's local day
    window_start: Mapped[datetime] = mapped_column(UtcDateTime())
    window_end: Mapped[datetime] = mapped_column(UtcDateTime())
    utc_offset_min: Mapped[int] = mapped_column(Integer, default=0)  # the depot's, to write the window back locally
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    weight_g: Mapped[int] = mapped_column(Integer, default=0)
    volume_cm3: Mapped[int] = mapped_column(Integer, default=0)
    parcels: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(12), default="held")  # one of RESERVATION_STATES
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    delivery_id: Mapped[str | None] = mapped_column(ForeignKey("deliveries.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = mapped_column(String(20), default="api")  # api | picker | shopify
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class PublishableKey(Base):
    """A key a public shop page may show: it reads slots and holds them, nothing else. Only its SHA-256 is
    stored; `allowed_origins` (empty: any) are the shop pages whose browsers may call the hub with it."""

    __tablename__ = "publishable_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    allowed_origins: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class KnownAddress(Base):
    """An address the tenant has delivered to before, with the coordinates its orders carried: the slot query
    locates a street address without a geocoder (hub/intake/known_addresses.py). Keyed by the normalised address
    (country, postal code or city, street line); one row per key, the newest coordinates win."""

    __tablename__ = "known_addresses"
    __table_args__ = (Index("ux_known_addresses_key", "tenant_id", "key", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(300))
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    seen: Mapped[int] = mapped_column(Integer, default=1)  # ingested orders (and updates) that carried it
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
