"""The call each capability's methods must accept, as the hub makes it: a connector that declares a capability
with a method the hub could not call fails the kit with the method's signature in the message."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from hub.plugins import capabilities as caps
from hub.testing.golden import FIXED_NOW

# For each capability: (method, positional args, keyword args) it must accept.
CALL_SHAPES: Mapping[str, list[tuple[str, tuple[Any, ...], dict[str, Any]]]] = {
    caps.RECEIVE_WEBHOOK: [("verify", (None,), {}), ("parse", (None,), {})],
    caps.MAP_DELIVERY: [("to_delivery", ({}, None), {})],
    caps.REGISTER_WEBHOOKS: [("register_webhooks", ("https://hub.example/hooks/x",), {})],
    caps.UNREGISTER_WEBHOOKS: [("unregister_webhooks", ([],), {})],
    caps.FETCH_ORDER: [("fetch_order", ("1001",), {})],
    caps.PULL_ORDERS: [("pull", (None,), {"limit": 1})],
    caps.PUSH_FULFILLMENT: [("push_status", ({}, {}), {})],
    caps.PUSH_NOTE: [("push_note", ({}, "a note"), {})],
    caps.DISPATCH_JOB: [("dispatch", ({},), {})],
    caps.QUOTE: [("quote", ({},), {})],
    caps.CANCEL_JOB: [("cancel", ("ref", "reason"), {})],
    caps.PUSH_PICK_BY: [("send_pick_by", ({}, FIXED_NOW), {})],
}


def signature_problems(connector: Any, capability: str) -> list[str]:
    """One line per method of the capability that cannot be called the way the hub calls it."""
    problems = []
    for method, args, kwargs in CALL_SHAPES[capability]:
        try:
            inspect.signature(getattr(connector, method)).bind(*args, **kwargs)
        except TypeError as exc:
            problems.append(f"{capability}: {method}{inspect.signature(getattr(connector, method))} {exc}")
    return problems
