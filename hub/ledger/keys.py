"""API keys as an admin manages them: mint one bound to its subject, list, revoke, and when each was last used.

A carrier key speaks for one carrier, a driver key for one driver: the subject must exist in the key's tenant
when the key is minted, so a key never names somebody else's carrier or a typo. Admin and integration keys
speak for the tenant and take no subject. The plaintext is returned once, by `mint_key`; the hub keeps its
SHA-256 (hub.ledger.tenants.issue_key). Revoking is for good: the row stays, so the listing shows it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from hub.db.models import ApiKey, Tenant, utcnow
from hub.db.models.fleet import Carrier, Driver
from hub.ledger.tenants import ROLES, TenantError, issue_key

# The roles whose keys speak for one subject, and the table it must be found in.
SUBJECTS: dict[str, Any] = {"carrier": Carrier, "driver": Driver}
# Last use is written at most this often per key: enough to tell a live key from a dead one, without a
# database write on every request.
LAST_USE_RESOLUTION = timedelta(minutes=1)


class KeyRefused(TenantError):
    """A key that cannot be minted or revoked as asked; the message says why."""


def mint_key(session: Session, tenant: Tenant, role: str, *, subject_id: str | None = None,
             label: str = "") -> tuple[ApiKey, str]:
    """A new key for `role`, bound to its subject (checked to exist in the tenant); returns the row and the
    plaintext, which is shown once and never stored."""
    if role not in ROLES:
        raise KeyRefused(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    table = SUBJECTS.get(role)
    if table is None and subject_id:
        raise KeyRefused(f"a {role} key speaks for the whole tenant and takes no subject")
    if table is not None:
        if not subject_id:
            raise KeyRefused(f"a {role} key speaks for one {role}: give its id as the subject")
        subject = session.get(table, subject_id)
        if subject is None or subject.tenant_id != tenant.id:
            raise KeyRefused(f"no {role} {subject_id!r} in tenant {tenant.name!r}")
    return issue_key(session, tenant, role, label=label, subject_id=subject_id)


def list_keys(session: Session, tenant_id: str, *, include_revoked: bool = True) -> list[ApiKey]:
    query = select(ApiKey).where(ApiKey.tenant_id == tenant_id)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    return list(session.execute(query.order_by(ApiKey.created_at, ApiKey.id)).scalars())


def revoke_key(session: Session, tenant_id: str, key_id: str, *, now: datetime | None = None) -> ApiKey:
    """Revoke a key of this tenant (again is a no-op that keeps the first time). Refuses the tenant's last
    admin key: nobody could manage the tenant's keys after it (`hub init --new-admin-key` mints another)."""
    key = session.get(ApiKey, key_id)
    if key is None or key.tenant_id != tenant_id:
        raise KeyRefused(f"no key {key_id!r} in this tenant")
    if key.revoked_at is not None:
        return key
    if key.role == "admin":
        admins = [k for k in list_keys(session, tenant_id, include_revoked=False) if k.role == "admin"]
        if len(admins) <= 1:
            raise KeyRefused("this is the tenant's last admin key; mint another first (hub init --new-admin-key "
                            "or POST /api/v1/keys with role admin)")
    key.revoked_at = now or utcnow()
    session.flush()
    return key


def use_due(key: ApiKey, *, now: datetime | None = None) -> bool:
    """True when the key's last use is unknown or older than LAST_USE_RESOLUTION: time to write it again."""
    return key.last_used_at is None or (now or utcnow()) - key.last_used_at >= LAST_USE_RESOLUTION


def record_use(session: Session, key_id: str, *, now: datetime | None = None) -> None:
    """Note that the key was just used (a conditional UPDATE: concurrent requests write it once)."""
    now = now or utcnow()
    session.execute(update(ApiKey).where(ApiKey.id == key_id, or_(
        ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= now - LAST_USE_RESOLUTION)).values(last_used_at=now))


def describe(key: ApiKey) -> dict[str, Any]:
    """A key as listings show it: never the key itself, only its first characters."""
    def when(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {"id": key.id, "role": key.role, "subject_id": key.subject_id, "label": key.label, "prefix": key.prefix,
            "created_at": when(key.created_at), "last_used_at": when(key.last_used_at),
            "revoked_at": when(key.revoked_at), "active": key.revoked_at is None}
