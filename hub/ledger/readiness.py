"""When a delivery's goods can leave the building: read from its document and its warehouse events.

A source may give a ready time; a warehouse that reports on a delivery (hub/intake/warehouse.py) sets it when
it says ready_for_dispatch. Own-fleet dispatch holds a stop while a warehouse is still working on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.canonical.fields import parse_aware_timestamp
from hub.db.models import Delivery, DeliveryEvent

WAREHOUSE_EVENT = "delivery.warehouse"


def is_ready(delivery_document: Mapping[str, Any], now: datetime | None = None) -> bool:
    """True when the goods can be collected: ``pickup.ready_at`` is set (a warehouse said
    ready_for_dispatch, or the source gave a ready time) and, when ``now`` is given, has passed.

    A delivery without ``pickup.ready_at`` is not ready: nobody has said when its goods can leave.
    The route dispatcher holds own-fleet routes until every stop's delivery is ready.
    """
    ready_at = parse_aware_timestamp(((delivery_document.get("pickup") or {}).get("ready_at")))
    if ready_at is None:
        return False
    return now is None or ready_at <= now


def warehouse_history(session: Session, delivery: Delivery) -> list[DeliveryEvent]:
    return list(session.execute(
        select(DeliveryEvent).where(DeliveryEvent.delivery_id == delivery.id, DeliveryEvent.type == WAREHOUSE_EVENT)
        .order_by(DeliveryEvent.sequence)
    ).scalars())


def awaiting_warehouse(session: Session, delivery: Delivery, now: datetime | None = None) -> bool:
    """True while a warehouse is working on the delivery (it has reported on it) but has not said it is
    ready: own-fleet dispatch holds such a stop. Deliveries no warehouse reports on are never held."""
    return bool(warehouse_history(session, delivery)) and not is_ready(delivery.document, now)
