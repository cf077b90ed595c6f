"""Pick-by times to the warehouse: once a delivery's route is planned, every warehouse installation of the
tenant that takes pick-by messages learns when the goods must be ready (the route's departure minus a
staging margin). Rides the outbox; an unreachable warehouse gets it later."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from hub.canonical.fields import parse_aware_timestamp
from hub.canonical.statuses import TERMINAL
from hub.db.engine import transaction
from hub.db.models import Delivery, DeliveryEvent, Installation, OutboxItem
from hub.ledger.events import append_event
from hub.ledger.installations import connector_for
from hub.plugins.capabilities import require, supports
from hub.runtime import Runtime

# Loading a van at the depot takes about this long; the goods must be at the dock before it.
STAGING_MARGIN = timedelta(minutes=30)


def pick_by_time(route_event_data: dict) -> datetime | None:  # type: ignore[type-arg]
    starts_at = route_event_data.get("starts_at")
    if not starts_at:
        return None
    moment = parse_aware_timestamp(starts_at)
    return moment - STAGING_MARGIN if moment else None


def send_pick_by(runtime: Runtime, item_id: int) -> None:
    with runtime.sessions() as session:
        item = session.get(OutboxItem, item_id)
        event = session.get(DeliveryEvent, item.event_id)
        delivery = session.get(Delivery, event.delivery_id)
        pick_by = pick_by_time(event.data)
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
