"""The connector's value tables (YAML beside this module), loaded once and checked at load."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from connectors.magento.settings import SERVICE_LEVELS


class TableError(ValueError):
    """A value table does not have the expected shape or uses an unknown value."""


@dataclass(frozen=True)
class ServiceLevelTable:
    methods: dict[str, str]
    keywords: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class OrderStateTable:
    deliverable: frozenset[str]
    cancel: frozenset[str]
    not_yet: dict[str, str]


def _load(name: str) -> Any:
    with resources.files("connectors.magento").joinpath(name).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _level(name: str, where: str, level: Any) -> str:
    if level not in SERVICE_LEVELS or level == "unknown":
        raise TableError(f"{name}: {where}: {level!r} is not a canonical service level")
    return str(level)


@cache
def service_levels() -> ServiceLevelTable:
    raw = _load("service_levels.yaml")
    if not isinstance(raw, dict) or not isinstance(raw.get("methods"), dict) or not isinstance(raw.get("keywords"), list):
        raise TableError("service_levels.yaml: needs a 'methods' mapping and a 'keywords' list")
    methods = {str(code): _level("service_levels.yaml", f"methods.{code}", level) for code, level in raw["methods"].items()}
    keywords = []
    for index, entry in enumerate(raw["keywords"]):
        if not isinstance(entry, dict) or not str(entry.get("match") or "").strip():
            raise TableError(f"service_levels.yaml: keywords[{index}] needs 'match' and 'level'")
        keywords.append((str(entry["match"]).lower(), _level("service_levels.yaml", f"keywords[{index}]", entry.get("level"))))
    return ServiceLevelTable(methods=methods, keywords=tuple(keywords))


@cache
def order_states() -> OrderStateTable:
    raw = _load("order_states.yaml")
    if not isinstance(raw, dict) or {"deliverable", "cancel", "not_yet"} - set(raw):
        raise TableError("order_states.yaml: needs 'deliverable', 'cancel' and 'not_yet'")
    deliverable, cancel = frozenset(map(str, raw["deliverable"])), frozenset(map(str, raw["cancel"]))
    not_yet = {str(k): str(v) for k, v in (raw["not_yet"] or {}).items()}
    overlap = (deliverable & cancel) | (deliverable & set(not_yet)) | (cancel & set(not_yet))
    if overlap:
        raise TableError(f"order_states.yaml: states listed twice: {sorted(overlap)}")
    return OrderStateTable(deliverable=deliverable, cancel=cancel, not_yet=not_yet)
