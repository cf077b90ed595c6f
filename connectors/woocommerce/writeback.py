"""What a delivery status change writes back to the WooCommerce order. Pure planning; the connector
does the I/O through the client. The rules are data: tables/writeback.yaml."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.woocommerce.tables import WRITEBACK_RULES

STATUS_CHANGED = "delivery.status_changed"
#: Statuses after which the goods have left: a cancellation from one of these is worth telling the shop.
DISPATCHED_OR_LATER = frozenset({"dispatched", "picked_up", "in_transit", "arriving", "failed_attempt", "rescheduled"})


@dataclass(frozen=True)
class Plan:
    """One write-back: ``complete`` the order, or add a ``customer_note``/``private_note`` with ``note``."""

    action: str
    order_id: str
    note: str = ""


def plan(delivery: Mapping[str, Any], event: Mapping[str, Any]) -> Plan | str:
    """The write-back for ``event``, or why there is none."""
    if event.get("type", STATUS_CHANGED) != STATUS_CHANGED:
        return f"event {event.get('type')!r} is not a status change"
    data = event.get("data") if isinstance(event.get("data"), Mapping) else {}
    status = str(data.get("status") or "")
    rule = WRITEBACK_RULES.get(status)
    if rule is None or rule.action == "none":
        return f"nothing to write back for status {status!r}"
    if rule.after_dispatch_only and data.get("previous_status") not in DISPATCHED_OR_LATER:
        return f"nothing to write back: {status} before dispatch"
    source = delivery.get("source") if isinstance(delivery.get("source"), Mapping) else {}
    order_id = str(source.get("external_id") or "").strip()
    if not order_id:
        return "the delivery has no WooCommerce order id"
    if rule.action == "complete":
        return Plan("complete", order_id)
    reason = str(data.get("reason") or "").strip() or str(data.get("reason_code") or "").strip() or "no reason given"
    note = rule.template.format(
        tracking_url=str(event.get("tracking_url") or "(no tracking link yet)"),
        reason=reason, status=status, delivery_id=str(event.get("delivery_id") or delivery.get("id") or ""),
    )
    return Plan(rule.action, order_id, note)
