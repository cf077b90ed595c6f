"""Customer-facing tables: the private link each delivery's customer follows to its tracking page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models import Base, utcnow
from hub.db.types import UtcDateTime


class TrackingLink(Base):
    """The token in a customer's tracking URL (`/t/<token>`): 256 random bits, separate from the delivery id,
    so knowing an order or delivery id never opens someone's page. One per delivery, made when it is created."""

    __tablename__ = "tracking_links"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), unique=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
