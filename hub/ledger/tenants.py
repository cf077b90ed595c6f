"""Tenants and their API keys. A key is shown once; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import re
import secrets

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hub.canonical.ids import sortable_id
from hub.db.models import ApiKey, Tenant
from hub.ledger.subscribers import has_subscriptions

ROLES = ("admin", "integration", "carrier", "driver")
TENANT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class TenantError(ValueError):
    pass


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def get_tenant_by_name(session: Session, name: str) -> Tenant | None:
    return session.execute(select(Tenant).where(Tenant.name == name)).scalar_one_or_none()


def create_tenant(session: Session, name: str) -> Tenant:
    if not TENANT_NAME.match(name):
        raise TenantError(
            f"tenant name {name!r} is not valid: use 1-63 lowercase letters, digits, '-' or '_', starting with a letter or digit"
        )
    if get_tenant_by_name(session, name):
        raise TenantError(f"a tenant named {name!r} already exists")
    tenant = Tenant(id=sortable_id("ten_"), name=name)
    session.add(tenant)
    session.flush()
    return tenant


def issue_key(
    session: Session, tenant: Tenant, role: str, *, label: str = "", subject_id: str | None = None
) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the plaintext key, which is never stored."""
    if role not in ROLES:
        raise TenantError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    plaintext = f"hub_{role[:3]}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        id=sortable_id("key_"), tenant_id=tenant.id, role=role, key_hash=hash_key(plaintext),
        prefix=plaintext[:12], label=label, subject_id=subject_id,
    )
    session.add(key)
    session.flush()
    return key, plaintext


KEY_TENANT, TENANT_HAS_SUBSCRIPTIONS = "key's tenant", "tenant has subscriptions"
# Built once: every API request looks its key up, and building the statement cost as much as running it. The tenant
# comes with it, into the session's identity map (`session.get(Tenant, ...)` then needs no query).
_KEY_BY_HASH = (select(ApiKey, Tenant, has_subscriptions(ApiKey.tenant_id)).join(Tenant, Tenant.id == ApiKey.tenant_id)
                .where(ApiKey.key_hash == bindparam("key_hash")))


def authenticate(session: Session, plaintext: str) -> ApiKey | None:
    """The key, unless unknown or revoked. The session's info also holds its tenant (KEY_TENANT) and whether the
    tenant has webhook subscriptions (TENANT_HAS_SUBSCRIPTIONS)."""
    found = session.execute(_KEY_BY_HASH, {"key_hash": hash_key(plaintext)}).first()
    key = found.ApiKey if found is not None else None
    if found is not None:
        session.info[KEY_TENANT], session.info[TENANT_HAS_SUBSCRIPTIONS] = found.Tenant, found.has_subscriptions
    if key is None or key.revoked_at is not None:
        return None
    return key
