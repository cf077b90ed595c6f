"""Inbound side. Magento Open Source sends no webhooks: every order arrives by polling.

The hub's generic poll job (``hub/jobs/pull.py``) stores each pulled order in the inbox like a
webhook body, marked with the header ``X-Hub-Pulled: 1``, and the ingest job hands it to ``parse``
like any other stored request. So one path (inbox → ingest → parse → map) serves pushed and pulled
sources alike, with the same dedupe, retries and replay.

``verify`` refuses every request that comes in over HTTP (``POST /hooks/<id>``): nothing legitimate
is ever sent there for Magento, and refusing it means nobody outside can pose as a pulled order.
Pulled items never go through ``verify``: the hub writes them to the inbox itself. Pure.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from hub.plugins import InboundEvent, InboundRequest, Verification

from connectors.magento.mapping import cancelled, order_state
from connectors.magento.polling import MAGENTO_TIME

PULLED_HEADER = "X-Hub-Pulled"  # set by the hub's poll job on the inbox items it stores
TOPIC = "orders.pulled"


def verify(request: InboundRequest) -> Verification:
    """Always refuses: Magento Open Source has no webhooks; the hub polls ``GET /V1/orders`` instead."""
    return Verification(ok=False, reason="Magento sends no webhooks to the hub: orders are polled, so inbound "
                                         "requests are refused")


def occurred_at(order: Mapping[str, Any]) -> datetime | None:
    """Magento's ``updated_at`` is UTC written without a zone ("2017-08-21 22:22:20")."""
    try:
        return datetime.strptime(str(order.get("updated_at", ""))[:19], MAGENTO_TIME).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def parse(request: InboundRequest) -> list[InboundEvent]:
    """A stored pulled order → ``order.cancel`` (canceled/closed at the store) or ``order.upsert``."""
    if request.headers.get(PULLED_HEADER, "") != "1":
        return [InboundEvent(kind="ignored", external_id=None, payload={}, topic="",
                             reason="not a pulled Magento order (Magento sends no webhooks)")]
    try:
        order = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return [InboundEvent(kind="ignored", external_id=None, payload={}, topic=TOPIC, reason="body is not JSON")]
    if not isinstance(order, dict) or order.get("entity_id") is None:
        return [InboundEvent(kind="ignored", external_id=None, payload={}, topic=TOPIC, reason="not a Magento order")]
    external_id = str(order["entity_id"])
    if cancelled(order):
        return [InboundEvent(kind="order.cancel", external_id=external_id, payload=order, topic=TOPIC,
                             occurred_at=occurred_at(order), reason=f"order {order_state(order)} at the store")]
    return [InboundEvent(kind="order.upsert", external_id=external_id, payload=order, topic=TOPIC,
                         occurred_at=occurred_at(order))]
