"""Outbox handlers of tracking (hub/tracking/service.py): "track" on every delivery.status_changed (acts on
arriving, delivered and failed_attempt), and "track_ping" on a driver's position.

Idempotent: one outbox row runs once (hub/outbox/relay.py), everything of one run commits together, and a run
retried after a crash finds its own exception / recovery events and does not write them again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hub.db.engine import transaction
from hub.db.models import Delivery
from hub.outbox.running import event_of, payload_of
from hub.runtime import Runtime
from hub.tracking import service


def on_event(runtime: Runtime, item_id: int) -> None:
    with transaction(runtime.sessions) as session:
        event = event_of(session, item_id)
        if event is None or event.type != "delivery.status_changed":
            return
        # Lock the delivery: a recovery decision and an operator's must not both apply.
        session.execute(select(Delivery.id).where(Delivery.id == event.delivery_id).with_for_update())
        service.on_status_event(session, event)


def on_ping(runtime: Runtime, tenant_id: str, driver_id: str, ping: dict[str, Any]) -> None:
    """Recompute the driver's route from a position {"lat", "lng", "recorded_at"} in a transaction of its own.
    Call it after the pings are committed (or use hub.tracking.pings.enqueue_ping inside the request's)."""
    with transaction(runtime.sessions) as session:
        service.on_ping(session, tenant_id, driver_id, ping)


def on_ping_item(runtime: Runtime, item_id: int) -> None:
    p = payload_of(runtime, item_id)
    if not p:
        return
    with transaction(runtime.sessions) as session:
        service.on_ping(session, p["tenant_id"], p["driver_id"], p)
