"""What a delivery status change writes back to the WooCommerce order. Pure planning; the connector
does the I/O through the client. The rules are data: mappings/woocommerce/writeback.yaml."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hub.plugins import MAPPINGS_DIR, STATUSES, Table, load_table

ACTIONS = frozenset({"complete", "customer_note", "private_note", "none"})
TEMPLATE_FIELDS = frozenset({"tracking_url", "reason", "status", "delivery_id"})


@dataclass(frozen=True)
class WriteBackRule:
    """What a canonical status writes back to the order."""

    action: str
    template: str = ""
    after_dispatch_only: bool = False


def rules_of(table: Table) -> dict[str, WriteBackRule]:
    """The table's rules, with the checks the schema cannot make: every status has a rule, the
    actions are WooCommerce's, a note has a template and the template names only known fields."""
    rules: dict[str, WriteBackRule] = {}
    for status, rule in table["statuses"].items():
        rule = rule if isinstance(rule, Mapping) else {"action": rule}
        action, template = rule["action"], str(rule.get("template", ""))
        where = ("statuses", status)
        if action not in ACTIONS:
            raise table.error(where + ("action",), f"action {action!r} is not one of {sorted(ACTIONS)}")
        if action.endswith("_note") and not template:
            raise table.error(where, "a note needs a template")
        if unknown := set(re.findall(r"{(\w+)}", template)) - TEMPLATE_FIELDS:
            raise table.error(where + ("template",), f"unknown template fields {sorted(unknown)}")
        rules[status] = WriteBackRule(action, template, bool(rule.get("after_dispatch_only", False)))
    if missing := set(STATUSES) - set(rules):
        raise table.error(("statuses",), f"no rule for {sorted(missing)}")
    return rules


WRITEBACK = load_table(MAPPINGS_DIR / "woocommerce", "writeback")
WRITEBACK_RULES = rules_of(WRITEBACK)

STATUS_CHANGED = "delivery.status_changed"
#: Statuses after which the goods have left: a cancellation from one of these is worth telling the shop.
DISPATCHED_OR_LATER = frozenset({"dispatched", "picked_up", "in_transit", "arriving", "failed_attempt", "rescheduled"})


@dataclass(frozen=True)
class Plan:
    """One write-back: ``complete`` the order, or add a ``customer_note``/``private_note`` with ``note``."""

    action: str
    order_id: str
    note: str = ""


def _without_link(template: str) -> str:
    """The template without its sentences that show the tracking link: no link is better than a dead one."""
    sentences = re.split(r"(?<=[.!?])\s+", template.strip())
    return " ".join(s for s in sentences if "{tracking_url}" not in s)


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
    url = str(event.get("tracking_url") or "")
    note = (rule.template if url else _without_link(rule.template)).format(
        tracking_url=url,
        reason=reason, status=status, delivery_id=str(event.get("delivery_id") or delivery.get("id") or ""),
    )
    return Plan(rule.action, order_id, note)
