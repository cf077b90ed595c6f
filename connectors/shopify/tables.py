"""Value tables (YAML beside this module), loaded and checked once at import."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from hub.canonical import SERVICE_LEVELS, STATUSES

#: Shopify's fulfillment event statuses (REST FulfillmentEvent), per the ShopifyAPI library's own list.
SHOPIFY_EVENT_STATUSES = frozenset({
    "label_printed", "label_purchased", "attempted_delivery", "ready_for_pickup", "picked_up", "confirmed",
    "in_transit", "out_for_delivery", "delivered", "failure",
})


class TableError(ValueError):
    """A value table file is malformed (raised at import, so a bad edit never reaches an order)."""


@dataclass(frozen=True)
class ServiceLevelTable:
    exact: Mapping[str, str]
    patterns: tuple[tuple[re.Pattern[str], str], ...]
    pickup: tuple[re.Pattern[str], ...]

    def lookup(self, texts: list[str], overrides: Mapping[str, str]) -> str | None:
        """The service level for the first text that matches (owner overrides first), or None."""
        folded = {str(k).strip().casefold(): v for k, v in overrides.items()}
        for table in (folded, self.exact):
            for text in texts:
                if text.casefold() in table:
                    return table[text.casefold()]
        for text in texts:
            for pattern, level in self.patterns:
                if pattern.search(text):
                    return level
        return None

    def is_pickup(self, texts: list[str]) -> bool:
        return any(p.search(text) for p in self.pickup for text in texts)


def _read(name: str) -> Any:
    with resources.files(__package__).joinpath(name).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _level(where: str, value: Any) -> str:
    if value not in SERVICE_LEVELS:
        raise TableError(f"{where}: {value!r} is not a canonical service level ({', '.join(SERVICE_LEVELS)})")
    return str(value)


def _compile(where: str, text: Any) -> re.Pattern[str]:
    try:
        return re.compile(str(text), re.IGNORECASE)
    except re.error as exc:
        raise TableError(f"{where}: bad regular expression {text!r}: {exc}") from None


def load_service_levels(name: str = "service_levels.yaml") -> ServiceLevelTable:
    data = _read(name) or {}
    if not isinstance(data, dict) or set(data) - {"exact", "patterns", "pickup"}:
        raise TableError(f"{name}: expected the keys exact, patterns, pickup")
    exact = {str(k).strip().casefold(): _level(f"{name} exact[{k!r}]", v) for k, v in (data.get("exact") or {}).items()}
    patterns = tuple(
        (_compile(f"{name} patterns[{i}]", row.get("match")), _level(f"{name} patterns[{i}]", row.get("service_level")))
        for i, row in enumerate(data.get("patterns") or [])
    )
    pickup = tuple(_compile(f"{name} pickup[{i}]", p) for i, p in enumerate(data.get("pickup") or []))
    return ServiceLevelTable(exact=exact, patterns=patterns, pickup=pickup)


def load_fulfillment_events(name: str = "fulfillment_events.yaml") -> dict[str, str]:
    data = _read(name) or {}
    if not isinstance(data, dict):
        raise TableError(f"{name}: expected a mapping of hub status -> Shopify event status")
    for status, event in data.items():
        if status not in STATUSES:
            raise TableError(f"{name}: {status!r} is not a hub delivery status")
        if event not in SHOPIFY_EVENT_STATUSES:
            raise TableError(f"{name}: {event!r} is not a Shopify fulfillment event status")
    return {str(k): str(v) for k, v in data.items()}


SERVICE_LEVEL_TABLE = load_service_levels()
FULFILLMENT_EVENTS = load_fulfillment_events()
