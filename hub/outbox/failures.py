"""Dead letters: work that failed for good, read from the database (it answers without Redis).

A work row is dead when its handler raised a permanent error, or when its retry policy ran out
(hub/outbox/relay.py); the row keeps its last error as the reason. Replaying means adding a new row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from hub.db.models import OutboxItem
from hub.outbox.kinds import HANDLERS

if TYPE_CHECKING:
    from hub.runtime import Runtime


@dataclass(frozen=True)
class DeadJob:
    id: str
    queue: str
    func: str
    kind: str
    tenant_id: str
    args: list[Any]
    reason: str
    attempts: int
    failed_at: datetime | None


def dead_letters(runtime: "Runtime", tenant_id: str | None = None, limit: int = 100) -> list[DeadJob]:
    """Work that failed for good, newest first, with the reason each failed; one tenant's when given."""
    query = select(OutboxItem).where(OutboxItem.state == "dead")
    if tenant_id is not None:
        query = query.where(OutboxItem.tenant_id == tenant_id)
    with runtime.sessions() as session:
        rows = session.execute(query.order_by(OutboxItem.processed_at.desc(), OutboxItem.id.desc())
                               .limit(limit)).scalars().all()
    return [DeadJob(id=f"work-{row.id}", queue=row.lane, kind=row.kind, tenant_id=row.tenant_id,
                    func=HANDLERS[row.kind].func if row.kind in HANDLERS else row.kind, args=[row.payload],
                    reason=row.last_error or "unknown", attempts=row.attempts, failed_at=row.processed_at)
            for row in rows]
