"""The connector's value tables (YAML beside this module), loaded and checked once at import.

A malformed table fails the import, which the hub's registry reports (``hub connectors``, ``/healthz``)
instead of mapping orders with a half-read table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

SERVICE_LEVELS = frozenset({"same_day", "next_day", "scheduled", "express", "economy", "unknown"})
ORDER_STATUS_ACTIONS = frozenset({"deliver", "awaiting_payment", "cancel"})
WRITEBACK_ACTIONS = frozenset({"complete", "customer_note", "private_note", "none"})
CANONICAL_STATUSES = frozenset({
    "received", "needs_attention", "assigned", "planned", "dispatched", "picked_up", "in_transit",
    "arriving", "delivered", "failed_attempt", "rescheduled", "returned", "cancelled",
})
TEMPLATE_FIELDS = frozenset({"tracking_url", "reason", "status", "delivery_id"})


class TableError(ValueError):
    """A value table is malformed."""


def _load(name: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath("tables").joinpath(name).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise TableError(f"tables/{name}: expected a mapping at the top level")
    return data


def _str_map(name: str, data: Any, allowed: frozenset[str]) -> dict[str, str]:
    if not isinstance(data, dict) or not data:
        raise TableError(f"tables/{name}: expected a non-empty mapping")
    out: dict[str, str] = {}
    for key, value in data.items():
        if not isinstance(key, str) or value not in allowed:
            raise TableError(f"tables/{name}: {key!r}: {value!r} is not one of {sorted(allowed)}")
        out[key] = value
    return out


def _str_list(name: str, data: Any) -> tuple[str, ...]:
    if not isinstance(data, list) or not all(isinstance(v, str) and v for v in data):
        raise TableError(f"tables/{name}: expected a list of non-empty strings")
    return tuple(data)


@dataclass(frozen=True)
class WriteBackRule:
    """What a canonical status writes back to the order."""

    action: str
    template: str = ""
    after_dispatch_only: bool = False


def _writeback(name: str, data: Any) -> dict[str, WriteBackRule]:
    if not isinstance(data, dict):
        raise TableError(f"tables/{name}: 'actions' must be a mapping")
    rules: dict[str, WriteBackRule] = {}
    for status, rule in data.items():
        if status not in CANONICAL_STATUSES or not isinstance(rule, dict):
            raise TableError(f"tables/{name}: {status!r} is not a canonical status with a rule")
        action, template = rule.get("action"), rule.get("template", "")
        if action not in WRITEBACK_ACTIONS:
            raise TableError(f"tables/{name}: {status}: action {action!r} not in {sorted(WRITEBACK_ACTIONS)}")
        if action.endswith("_note") and not template:
            raise TableError(f"tables/{name}: {status}: a note needs a template")
        used = set(re.findall(r"{(\w+)}", str(template)))
        if used - TEMPLATE_FIELDS:
            raise TableError(f"tables/{name}: {status}: unknown template fields {sorted(used - TEMPLATE_FIELDS)}")
        rules[status] = WriteBackRule(action, str(template), bool(rule.get("after_dispatch_only", False)))
    missing = CANONICAL_STATUSES - set(rules)
    if missing:
        raise TableError(f"tables/{name}: no rule for {sorted(missing)}")
    return rules


def _units(name: str, data: Any) -> dict[str, float]:
    if not isinstance(data, dict) or not data:
        raise TableError(f"tables/{name}: 'grams_per_unit' must be a non-empty mapping")
    out = {}
    for unit, grams in data.items():
        if not isinstance(grams, (int, float)) or grams <= 0:
            raise TableError(f"tables/{name}: {unit!r}: {grams!r} is not a positive number")
        out[str(unit)] = float(grams)
    return out


_levels = _load("service_levels.yaml")
SERVICE_LEVEL_TABLE: dict[str, str] = _str_map("service_levels.yaml", _levels.get("service_levels"), SERVICE_LEVELS)
PICKUP_METHODS: frozenset[str] = frozenset(_str_list("service_levels.yaml", _levels.get("pickup_methods")))
ORDER_STATUS_TABLE: dict[str, str] = _str_map(
    "order_statuses.yaml", _load("order_statuses.yaml").get("statuses"), ORDER_STATUS_ACTIONS)
_keywords = _load("address_keywords.yaml")
UNIT_WORDS: tuple[str, ...] = _str_list("address_keywords.yaml", _keywords.get("unit"))
FLOOR_WORDS: tuple[str, ...] = _str_list("address_keywords.yaml", _keywords.get("floor"))
_weights = _load("weight_units.yaml")
GRAMS_PER_UNIT: dict[str, float] = _units("weight_units.yaml", _weights.get("grams_per_unit"))
WEIGHT_META_KEYS: tuple[str, ...] = _str_list("weight_units.yaml", _weights.get("weight_meta_keys"))
WRITEBACK_RULES: dict[str, WriteBackRule] = _writeback("writeback.yaml", _load("writeback.yaml").get("actions"))
