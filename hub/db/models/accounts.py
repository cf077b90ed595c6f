"""Operator accounts: the people who sign in to the console (/console/), one tenant and one role each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models import Base, utcnow
from hub.db.types import UtcDateTime


class OperatorUser(Base):
    """A person who signs in with email and password. Only the argon2id hash of the password is stored
    (hub/accounts/passwords.py). An email names one person in the whole hub, so sign-in needs no tenant."""

    __tablename__ = "operator_users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lowercased
    role: Mapped[str] = mapped_column(String(20))  # admin | dispatcher | viewer
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
