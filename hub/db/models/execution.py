"""Execution tables: the files behind proofs of delivery, and drivers' location pings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models import Base, BigId, utcnow
from hub.db.types import UtcDateTime


class PodMedia(Base):
    """One stored file (signature, photo). The bytes live in a MediaStore; the SHA-256 is fixed at upload and
    also written into the delivery.pod_captured event, so an edited file no longer matches either."""

    __tablename__ = "pod_media"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # signature | photo
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))  # where the MediaStore keeps the bytes
    actor: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class DriverPing(Base):
    """A position a driver's phone reported. Unique per (driver, device time): a re-sent batch adds nothing."""

    __tablename__ = "driver_pings"
    # Also the index for "this driver's recent track".
    __table_args__ = (UniqueConstraint("tenant_id", "driver_id", "recorded_at", name="uq_driver_ping"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    driver_id: Mapped[str] = mapped_column(String(40))
    delivery_id: Mapped[str | None] = mapped_column(String(40))  # the stop being driven to, when the app knows
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    speed_mps: Mapped[float | None] = mapped_column(Float)
    heading_deg: Mapped[float | None] = mapped_column(Float)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())  # the phone's clock
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
