"""Bearer keys: each belongs to one tenant and one role. Another tenant's things are invisible (404)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Any, Callable

from flask import current_app, g, request
from sqlalchemy.orm import Session

from hub.api.errors import ApiError
from hub.api.limits import failed_authentication
from hub.db.engine import keep_loaded, lone_reads, transaction
from hub.ledger.keys import record_use, use_due
from hub.ledger.subscribers import note_subscriptions
from hub.ledger.tenants import KEY_TENANT, TENANT_HAS_SUBSCRIPTIONS, authenticate
from hub.runtime import get_runtime


@dataclass(frozen=True)
class Caller:
    tenant_id: str
    role: str
    key_id: str
    subject_id: str | None


# How a key's role appears as the actor of the events it causes (schemas/events/envelope.v1.json).
ACTOR_KIND = {"admin": "operator", "integration": "integration", "carrier": "carrier", "driver": "driver"}


def actor() -> dict[str, str]:
    caller = current()
    return {"kind": ACTOR_KIND[caller.role], "id": caller.subject_id or caller.key_id}


def current() -> Caller:
    return g.caller  # type: ignore[no-any-return]


def with_callers_tenant(session: Session) -> None:
    """Put the caller's tenant, as read with its key a moment ago, in `session` (no query): a submission reads the
    tenant's settings (whether it sends customer messages) and its subscriptions (for the event's webhooks), and
    would ask the database for both again."""
    keep_loaded(session, session.merge(g.caller_tenant, load=False))
    note_subscriptions(session, g.caller.tenant_id, g.caller_tenant_has_subscriptions)


def require_role(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise failed_authentication(current_app) or ApiError(
                    401, "unauthorized", "send your API key as 'Authorization: Bearer <key>'")
            with lone_reads(get_runtime().sessions) as session:
                key = authenticate(session, token.strip())
                if key is None:  # counted per address: past the limit, a 429 instead (hub/api/limits.py)
                    raise failed_authentication(current_app) or ApiError(
                        401, "unauthorized", "this API key is not valid (unknown or revoked)")
                g.caller = Caller(key.tenant_id, key.role, key.id, key.subject_id)
                g.caller_tenant = session.info[KEY_TENANT]  # read with the key
                g.caller_tenant_has_subscriptions = session.info[TENANT_HAS_SUBSCRIPTIONS]
                due = use_due(key)
            if due:  # at most once a minute per key, so reads stay reads (no write lock per request on SQLite)
                with transaction(get_runtime().sessions) as session:
                    record_use(session, key.id)
            if roles and g.caller.role not in roles:
                raise ApiError(403, "forbidden", f"this needs a key with role {' or '.join(roles)}; yours is {g.caller.role}")
            return view(*args, **kwargs)

        return wrapper

    return decorate
