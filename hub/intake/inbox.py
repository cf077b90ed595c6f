"""The inbox: every inbound request stored raw, before anything is done with it, once per sender id."""

from __future__ import annotations

import functools
import hashlib
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, make_transient_to_detached

from hub.db.engine import upsert_for
from hub.db.models import InboxItem
from hub.outbox.rows import add_outbox
from hub.plugins.values import Headers, InboundRequest

# Headers worth keeping for verification and debugging; cookies and auth never are.
DROPPED_HEADERS = {"authorization", "cookie", "proxy-authorization"}
# What can become of a stored request ("rejected": stored unverified, never processed).
STATES = ("pending", "processed", "skipped", "failed", "rejected")


def schedule_ingest(session: Session, item: InboxItem) -> None:
    """The work row that turns the stored request into deliveries (hub/jobs/ingest.py), in the same transaction."""
    add_outbox(session, tenant_id=item.tenant_id, kind="ingest", payload={"inbox_id": item.id})


def store(
    session: Session,
    *,
    tenant_id: str,
    source_key: str,
    dedupe_key: str | None,
    body: bytes,
    headers: list[tuple[str, str]],
    installation_id: str | None = None,
    method: str = "POST",
    path: str = "",
    verified: bool = True,
    verification: str = "",
    delivery_id: str | None = None,
    schedule: bool = True,
) -> tuple[InboxItem, bool]:
    """Store the request; returns (item, duplicate). A duplicate returns the first item, unchanged.
    `schedule=False` when the caller processes the item itself, in this transaction."""
    key = dedupe_key or "sha256:" + hashlib.sha256(body).hexdigest()
    # One statement: stored unless the sender's id is already there (two identical webhooks racing: the second
    # finds the first). Looking first, then inserting under a savepoint, took four round trips per request.
    row = session.execute(_store_statement(session.get_bind().dialect.name), {
        "p_tenant_id": tenant_id, "p_installation_id": installation_id, "p_source_key": source_key, "p_dedupe_key": key,
        "p_method": method, "p_path": path,
        "p_headers": [[k, v] for k, v in headers if k.lower() not in DROPPED_HEADERS], "p_body": body,
        "p_verified": verified, "p_verification": verification, "p_delivery_id": delivery_id,
        "p_state": "pending" if verified else "rejected",
    }).first()
    if row is None:
        return find(session, source_key, key), True  # type: ignore[return-value]
    item = InboxItem(**row._mapping)  # the row as stored, now in the session as if read (changes are UPDATEs)
    make_transient_to_detached(item)
    session.add(item)
    if verified and schedule:
        schedule_ingest(session, item)
    return item, False


_STORED = ("tenant_id", "installation_id", "source_key", "dedupe_key", "method", "path", "headers", "body", "verified",
           "verification", "delivery_id", "state")


@functools.cache
def _store_statement(dialect: str) -> Any:
    """Built once, the request's values as parameters (p_: the columns' own names are reserved): built with its
    values, the statement's cache key was worked out again for every request, a tenth of a submission's CPU. On the
    table, not the mapped class: the ORM's bulk-insert path that loads the returned row took as long again."""
    table = InboxItem.__table__
    return (upsert_for(dialect)(table).values({name: bindparam(f"p_{name}") for name in _STORED})
            .on_conflict_do_nothing(index_elements=[table.c.source_key, table.c.dedupe_key]).returning(*table.c))


def find(session: Session, source_key: str, dedupe_key: str) -> InboxItem | None:
    return session.execute(
        select(InboxItem).where(InboxItem.source_key == source_key, InboxItem.dedupe_key == dedupe_key)
    ).scalar_one_or_none()


def as_request(item: InboxItem) -> InboundRequest:
    received = item.received_at if item.received_at.tzinfo else item.received_at.replace(tzinfo=timezone.utc)
    return InboundRequest(
        method=item.method, path=item.path, headers=Headers([(k, v) for k, v in item.headers]),
        body=item.body, query={}, remote_addr=None, received_at=received,
    )


def outcome(state: str, **details: Any) -> dict[str, Any]:
    return {"state": state, **details, "at": datetime.now(timezone.utc).isoformat()}


def failures_since(session: Session, installation_id: str, window: timedelta, now: datetime) -> int:
    """How many of the installation's requests failed after they were accepted, received within `window`."""
    return session.execute(select(func.count()).select_from(InboxItem).where(
        InboxItem.installation_id == installation_id, InboxItem.state == "failed",
        InboxItem.received_at >= now - window)).scalar_one()
