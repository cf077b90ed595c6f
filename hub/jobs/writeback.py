"""Outbox handlers of write-back: "writeback" (a status change to the store the order came from) and "pick_by"
(a planned route's departure to the tenant's warehouses). What is sent and recorded is hub/writeback."""

from __future__ import annotations

from typing import Callable

import requests
from sqlalchemy import select

from hub.canonical.statuses import TERMINAL
from hub.db.engine import transaction
from hub.db.models import Delivery, DeliveryEvent, Installation
from hub.errors import TransientError, retry_after_s
from hub.ledger.events import append_event, envelope
from hub.ledger.installations import connector_for
from hub.ledger.tracking_links import tracking_token, tracking_url
from hub.outbox.relay import Deferred
from hub.outbox.running import event_of
from hub.plugins.capabilities import require, supports
from hub.plugins.values import WriteBackResult
from hub.runtime import Runtime
from hub.writeback.choices import choice_note
from hub.writeback.pick_by import pick_by_time
from hub.writeback.stores import ORDER_RECHECK_S, earlier_open, give_up_unless_transient, last_reference, record


def _to_store(runtime: Runtime, installation_id: str, delivery_id: str, event: DeliveryEvent,
              call: Callable[[], WriteBackResult]) -> WriteBackResult | None:
    """Make one call to the store. The store asking us to wait defers the row (not a failed try); a transient
    error is retried by the policy; anything else is recorded as a failed write-back (None: nothing to record)."""
    try:
        return call()
    except requests.HTTPError as exc:
        if exc.response is not None and exc.response.status_code == 429:
            raise Deferred(retry_after_s(exc.response.headers) or 60, "the store asked us to slow down") from exc
        give_up_unless_transient(runtime, exc, installation_id, delivery_id, event)
    except TransientError as exc:
        if exc.retry_after_s is not None:
            raise Deferred(exc.retry_after_s, str(exc)) from exc
        raise
    except Exception as exc:
        give_up_unless_transient(runtime, exc, installation_id, delivery_id, event)
    return None


def push_to_source(runtime: Runtime, item_id: int) -> None:
    with runtime.sessions() as session:
        event = event_of(session, item_id)
        delivery = session.get(Delivery, event.delivery_id) if event is not None else None
        if delivery is None or delivery.installation_id is None:
            return
        installation = session.get(Installation, delivery.installation_id)
        if installation is None:
            return
        if earlier_open(session, item_id, delivery.id):  # the store sees a delivery's statuses in order
            raise Deferred(ORDER_RECHECK_S, "an earlier write-back for this delivery is still open")
        connector = connector_for(runtime.registry, installation)
        if not supports(connector, "push_fulfillment"):
            return
        # The customer's tracking page (hub/customer): the store mails or shows this link to its customer.
        token = tracking_token(session, delivery.id)
        payload = {**envelope(event), "writeback": last_reference(session, delivery.id),
                   "tracking_url": tracking_url(runtime.config.public_url, token) if token else None}
        document = dict(delivery.document)
    result = _to_store(runtime, installation.id, delivery.id, event,
                       lambda: require(connector, "push_fulfillment").push_status(document, payload))
    if result is None:
        return
    record(runtime, delivery.id, {
        "connector": installation.connector, "for_event": event.id, "status": event.data.get("status"),
        "ok": result.ok, "external_ref": result.external_ref, "detail": result.detail,
    })


def push_note_to_source(runtime: Runtime, item_id: int) -> None:
    """Outbox handler "store_note": the recipient's choice for the next attempt, as a note on the store's order,
    when the store's connector takes notes (push_note); recorded on the delivery's timeline like a write-back."""
    with runtime.sessions() as session:
        event = event_of(session, item_id)
        delivery = session.get(Delivery, event.delivery_id) if event is not None else None
        installation = session.get(Installation, delivery.installation_id) if delivery and delivery.installation_id else None
        note = choice_note(event.data or {}, delivery.id) if installation is not None else None
        if installation is None or note is None:
            return
        connector = connector_for(runtime.registry, installation)
        if not supports(connector, "push_note"):
            return
        document = dict(delivery.document)
    result = _to_store(runtime, installation.id, delivery.id, event,
                       lambda: require(connector, "push_note").push_note(document, note))
    if result is None:
        return
    record(runtime, delivery.id, {"connector": installation.connector, "for_event": event.id, "note": note,
                                  "ok": result.ok, "external_ref": result.external_ref, "detail": result.detail})


def send_pick_by(runtime: Runtime, item_id: int) -> None:
    with runtime.sessions() as session:
        event = event_of(session, item_id)
        delivery = session.get(Delivery, event.delivery_id) if event is not None else None
        pick_by = pick_by_time(event.data) if delivery is not None else None
        if pick_by is None or delivery.status in TERMINAL:
            return
        warehouses = session.execute(select(Installation).where(
            Installation.tenant_id == delivery.tenant_id, Installation.status == "active")).scalars().all()
        connectors = [(w.id, connector_for(runtime.registry, w)) for w in warehouses
                      if runtime.registry.get(w.connector).kind == "warehouse"]
        document = dict(delivery.document)
    sent = []
    for installation_id, connector in connectors:
        if supports(connector, "push_pick_by"):
            require(connector, "push_pick_by").send_pick_by(document, pick_by)  # raises: RQ retries
            sent.append(installation_id)
    if sent:
        with transaction(runtime.sessions) as session:
            append_event(session, session.get(Delivery, delivery.id), "delivery.pick_by_sent",
                         {"pick_by": pick_by.isoformat(), "installations": sent, "for_event": event.id})
