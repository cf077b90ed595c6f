"""Outbox handler of the analytics read model (hub/analytics/feed.py): "analytics" after a delivery's events
that change what the figures count (status moves, re-plans, exceptions, ratings, updated documents).

Idempotent: the handler refolds the delivery's whole history, so running a row twice, or an older row after
a newer one, writes the same fact.
"""

from __future__ import annotations

from sqlalchemy import select

from hub.analytics.feed import refresh_delivery
from hub.db.engine import transaction
from hub.db.models import Delivery
from hub.outbox.running import event_of, payload_of
from hub.runtime import Runtime


def on_event(runtime: Runtime, item_id: int) -> None:
    with transaction(runtime.sessions) as session:
        delivery_id = payload_of(runtime, item_id).get("delivery_id")  # the row names it: the event is not read
        if delivery_id is None:
            event = event_of(session, item_id)
            if event is None:
                return
            delivery_id = event.delivery_id
        # One refresh of a delivery at a time: two rows of one delivery must not interleave their writes.
        tenant_id = session.execute(select(Delivery.tenant_id).where(Delivery.id == delivery_id)
                                    .with_for_update()).scalar_one_or_none()
        if tenant_id is not None:
            refresh_delivery(session, tenant_id, delivery_id)
