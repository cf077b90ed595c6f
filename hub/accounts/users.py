"""Operator accounts: add, list, remove, and sign in by email and password.

Roles say what a person may do in the console: a viewer sees, a dispatcher also acts on deliveries and
routes, an admin also manages people and API keys. Each person belongs to one tenant and sees nothing else.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.accounts.passwords import hash_password, needs_rehash, verify_password
from hub.canonical.ids import sortable_id
from hub.db.models import Tenant, utcnow
from hub.db.models.accounts import OperatorUser

ROLES = ("admin", "dispatcher", "viewer")
# What each role may do, checked by the console on every action (a missing button is a courtesy, not the rule).
ABILITIES: dict[str, frozenset[str]] = {
    "viewer": frozenset({"see"}),
    "dispatcher": frozenset({"see", "act"}),
    "admin": frozenset({"see", "act", "manage"}),
}
# Enough to catch a typo (no @, spaces, no dot in the domain); the mailbox itself is the person's business.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(ValueError):
    """A request about an account that cannot be done; the message says why."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def can(role: str, ability: str) -> bool:
    return ability in ABILITIES.get(role, frozenset())


def find_user(session: Session, email: str) -> OperatorUser | None:
    return session.execute(select(OperatorUser).where(OperatorUser.email == normalize_email(email))).scalar_one_or_none()


def add_user(session: Session, email: str, tenant_name: str, role: str, password: str) -> OperatorUser:
    address = normalize_email(email)
    if not EMAIL.match(address):
        raise AccountError(f"{email!r} is not an email address")
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    tenant = session.execute(select(Tenant).where(Tenant.name == tenant_name)).scalar_one_or_none()
    if tenant is None:
        raise AccountError(f"no tenant named {tenant_name!r}; create it with: hub init --tenant {tenant_name}")
    if find_user(session, address) is not None:
        raise AccountError(f"an account for {address} exists already")
    user = OperatorUser(id=sortable_id("usr_"), tenant_id=tenant.id, email=address, role=role,
                        password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def list_users(session: Session, tenant_name: str | None = None) -> list[tuple[OperatorUser, str]]:
    """(user, tenant name), by tenant then email."""
    query = select(OperatorUser, Tenant.name).join(Tenant, Tenant.id == OperatorUser.tenant_id)
    if tenant_name is not None:
        query = query.where(Tenant.name == tenant_name)
    return [(row[0], row[1]) for row in session.execute(query.order_by(Tenant.name, OperatorUser.email)).all()]


def remove_user(session: Session, email: str, *, tenant_id: str | None = None) -> OperatorUser:
    """Remove an account (within `tenant_id` when given: an admin removes only their own tenant's people).
    Their signed-in sessions end with it: the console loads the account on every request."""
    user = find_user(session, email)
    if user is None or (tenant_id is not None and user.tenant_id != tenant_id):
        raise AccountError(f"no account for {normalize_email(email)}")
    session.delete(user)
    session.flush()
    return user


def sign_in(session: Session, email: str, password: str, *, now: datetime | None = None) -> OperatorUser | None:
    """The account whose password this is, or None (unknown email or wrong password: the same answer)."""
    user = find_user(session, email)
    if not verify_password(user.password_hash if user else None, password) or user is None:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_sign_in_at = now or utcnow()
    session.flush()
    return user


def describe(user: OperatorUser, tenant_name: str | None = None) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "role": user.role, "tenant_id": user.tenant_id,
            **({"tenant": tenant_name} if tenant_name is not None else {}),
            "created_at": user.created_at.isoformat() if user.created_at else None,
            "last_sign_in_at": user.last_sign_in_at.isoformat() if user.last_sign_in_at else None}


def operator_actor(user: OperatorUser) -> dict[str, str]:
    """Who acted, as events record it (schemas/events/envelope.v1.json actor)."""
    return {"kind": "operator", "id": user.id, "email": user.email}
