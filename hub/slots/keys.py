"""Publishable keys: the credential a public shop page may hold. It reads a tenant's open windows and holds
one, nothing else (every other endpoint refuses it: it is not an API key). Only its SHA-256 is stored; it
is shown once. `allowed_origins` limits which shop pages' browsers may use it (CORS); empty allows any.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.canonical.ids import sortable_id
from hub.db.models.slots import PublishableKey
from hub.ledger.tenants import hash_key

PREFIX = "pk_"
# scheme://host[:port]: no path, no whitespace or control character (written so Python's and JavaScript's
# regular expressions agree on it: the API documents it as the field's pattern).
ORIGIN_PATTERN = r"^https?://[^/\s\x00-\x20\x7f-\x9f\ufeff]+$"
ORIGIN = re.compile(ORIGIN_PATTERN)


class PublishableKeyRefused(ValueError):
    pass


def mint(session: Session, tenant_id: str, *, label: str = "", allowed_origins: list[str] | None = None) -> tuple[PublishableKey, str]:
    origins = [o.rstrip("/") for o in allowed_origins or []]
    bad = [o for o in origins if not ORIGIN.fullmatch(o)]
    if bad:
        raise PublishableKeyRefused(f"allowed_origins must be scheme://host[:port] with nothing after it: {', '.join(bad)}")
    plaintext = PREFIX + secrets.token_urlsafe(24)
    row = PublishableKey(id=sortable_id("pkk_"), tenant_id=tenant_id, key_hash=hash_key(plaintext), label=label,
                         allowed_origins=origins)
    session.add(row)
    session.flush()
    return row, plaintext


def find(session: Session, plaintext: str) -> PublishableKey | None:
    if not plaintext.startswith(PREFIX):
        return None
    row = session.execute(select(PublishableKey).where(PublishableKey.key_hash == hash_key(plaintext))).scalar_one_or_none()
    return row if row is not None and row.revoked_at is None else None


def allows_origin(row: PublishableKey, origin: str | None) -> bool:
    return not row.allowed_origins or (origin or "").rstrip("/") in row.allowed_origins


def revoke(session: Session, tenant_id: str, key_id: str, now: datetime) -> PublishableKey | None:
    row = session.get(PublishableKey, key_id)
    if row is None or row.tenant_id != tenant_id:
        return None
    row.revoked_at = row.revoked_at or now
    return row


def describe(row: PublishableKey) -> dict[str, Any]:
    return {"id": row.id, "label": row.label, "allowed_origins": list(row.allowed_origins or []),
            "created_at": row.created_at.isoformat() if row.created_at else None,
            "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None}
