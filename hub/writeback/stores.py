"""Write-back: status changes go back to the store the order came from (fulfilment, tracking, notes).

Rides the outbox (the handler is hub/jobs/writeback.py), so a store that is down gets its update later, in
order: a delivery's write-backs run one after another (a fulfilment must exist before its in-transit event).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hub.db.engine import transaction
from hub.db.models import Delivery, DeliveryEvent, Installation, OutboxItem
from hub.errors import classify_exception
from hub.ledger.events import append_event
from hub.runtime import Runtime

WRITTEN_BACK = "delivery.written_back"
# A write-back waiting for an earlier one of its delivery looks again this often; waiting is not a failed try.
ORDER_RECHECK_S = 15.0


def earlier_open(session: Any, item_id: int, delivery_id: str) -> bool:
    """Whether a write-back of the delivery queued before row `item_id` has not ended yet."""
    return session.execute(
        select(OutboxItem.id).join(DeliveryEvent, DeliveryEvent.id == OutboxItem.event_id)
        .where(OutboxItem.kind == "writeback", OutboxItem.id < item_id, OutboxItem.processed_at.is_(None),
               DeliveryEvent.delivery_id == delivery_id).limit(1)
    ).first() is not None


def last_reference(session: Any, delivery_id: str) -> dict[str, Any]:
    """What earlier write-backs created at the store (e.g. a fulfilment id), for the connector to reuse."""
    rows = session.execute(
        select(DeliveryEvent.data).where(DeliveryEvent.delivery_id == delivery_id, DeliveryEvent.type == WRITTEN_BACK)
        .order_by(DeliveryEvent.sequence)
    ).scalars().all()
    refs = [r["external_ref"] for r in rows if r.get("external_ref")]
    return {"external_ref": refs[-1] if refs else None, "refs": refs}


def record(runtime: Runtime, delivery_id: str, data: dict[str, Any]) -> None:
    with transaction(runtime.sessions) as session:
        append_event(session, session.get(Delivery, delivery_id), WRITTEN_BACK, data)


def give_up_unless_transient(runtime: Runtime, exc: Exception, installation_id: str, delivery_id: str,
                              event: DeliveryEvent) -> None:
    """Transient: raise, RQ retries. Permanent: record the failure, no retry. Configuration: also pause
    the installation with the reason, so its owner sees what to fix."""
    kind = classify_exception(exc)
    if kind == "transient":
        raise exc
    reason = f"{type(exc).__name__}: {exc}"[:1000]
    if kind == "configuration":
        with transaction(runtime.sessions) as session:
            installation = session.get(Installation, installation_id)
            installation.status, installation.paused_reason = "paused", f"write-back refused: {reason}"
    record(runtime, delivery_id, {"connector": "", "for_event": event.id, "status": event.data.get("status"),
                                   "ok": False, "error_kind": kind, "detail": reason})

