"""Write-back: status changes go back to the store the order came from (fulfilment, tracking, notes).

Rides the outbox, so a store that is down gets its update later, in order: a delivery's write-backs
run one after another (a fulfilment must exist before its in-transit event is pushed to it).
"""

from __future__ import annotations

from typing import Any

import requests
from sqlalchemy import select

from hub.db.engine import transaction
from hub.db.models import Delivery, DeliveryEvent, Installation, OutboxItem
from hub.errors import TransientError, classify_exception, retry_after_s
from hub.ledger.events import append_event, envelope
from hub.ledger.installations import connector_for
from hub.outbox.relay import Deferred
from hub.plugins.capabilities import require, supports
from hub.runtime import Runtime

WRITTEN_BACK = "delivery.written_back"
# A write-back waiting for an earlier one of its delivery looks again this often; waiting is not a failed try.
ORDER_RECHECK_S = 15.0


def _earlier_open(session: Any, item: OutboxItem, delivery_id: str) -> bool:
    return session.execute(
        select(OutboxItem.id).join(DeliveryEvent, DeliveryEvent.id == OutboxItem.event_id)
        .where(OutboxItem.kind == "writeback", OutboxItem.id < item.id, OutboxItem.processed_at.is_(None),
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


def push_to_source(runtime: Runtime, item_id: int) -> None:
    with runtime.sessions() as session:
        item = session.get(OutboxItem, item_id)
        event = session.get(DeliveryEvent, item.event_id)
        delivery = session.get(Delivery, event.delivery_id)
        if delivery.installation_id is None:
            return
        installation = session.get(Installation, delivery.installation_id)
        if installation is None:
            return
        if _earlier_open(session, item, delivery.id):  # the store sees a delivery's statuses in order
            raise Deferred(ORDER_RECHECK_S, "an earlier write-back for this delivery is still open")
        connector = connector_for(runtime.registry, installation)
        if not supports(connector, "push_fulfillment"):
            return
        payload = {**envelope(event), "writeback": last_reference(session, delivery.id),
                   "tracking_url": f"{runtime.config.public_url}/track/{delivery.id}"}
        document = dict(delivery.document)
    try:
        result = require(connector, "push_fulfillment").push_status(document, payload)
    except requests.HTTPError as exc:
        if exc.response is not None and exc.response.status_code == 429:
            raise Deferred(retry_after_s(exc.response.headers) or 60, "the store asked us to slow down") from exc
        _give_up_unless_transient(runtime, exc, installation.id, delivery.id, event)
        return
    except TransientError as exc:
        if exc.retry_after_s is not None:
            raise Deferred(exc.retry_after_s, str(exc)) from exc
        raise
    except Exception as exc:
        _give_up_unless_transient(runtime, exc, installation.id, delivery.id, event)
        return
    _record(runtime, delivery.id, {
        "connector": installation.connector, "for_event": event.id, "status": event.data.get("status"),
        "ok": result.ok, "external_ref": result.external_ref, "detail": result.detail,
    })


def _record(runtime: Runtime, delivery_id: str, data: dict[str, Any]) -> None:
    with transaction(runtime.sessions) as session:
        append_event(session, session.get(Delivery, delivery_id), WRITTEN_BACK, data)


def _give_up_unless_transient(runtime: Runtime, exc: Exception, installation_id: str, delivery_id: str,
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
    _record(runtime, delivery_id, {"connector": "", "for_event": event.id, "status": event.data.get("status"),
                                   "ok": False, "error_kind": kind, "detail": reason})

