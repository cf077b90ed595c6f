"""Per-installation field overrides: JMESPath expressions keyed by a canonical field path.

A store owner whose delivery date lives in a custom order attribute sets, on their installation::

    {"promised_window.start": "note_attributes[?name=='Delivery date'].value | [0]"}

The expression runs against the *raw* payload the connector received; its result replaces the field
in the mapped delivery. Overrides are validated when saved (:func:`validate_overrides`): the
expression must compile and the target must be a field of the canonical delivery input
(``schemas/delivery_input.v1.json``). At ingest, after ``to_delivery``, the hub calls
:func:`apply_overrides`; an expression that finds nothing leaves the mapped value alone and says so
in a warning. JMESPath is a standard (https://jmespath.org), not a language of ours.

The same object may patch the connector's value tables under the reserved key ``tables`` (never a
canonical field): ``{"tables": {"shopify/service_levels": {"codes": {"Courier Express": "same_day"}}}}``.
Each patch is a JSON merge patch of a table the connector declares (``ConnectorSpec.tables``); the
patched table must still pass ``mappings/table.schema.json``, checked when saved like the fields.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from hub.paths import SCHEMAS_DIR
from hub.plugins.tables import Table, TableError, dotted
from hub.plugins.values import MappingWarning

__all__ = [
    "TABLES_KEY",
    "OverrideError",
    "apply_overrides",
    "canonical_paths",
    "field_overrides",
    "table_overrides",
    "validate_overrides",
]

#: The key of an installation's overrides that holds table patches instead of a field expression.
TABLES_KEY = "tables"

INPUT_SCHEMA = "delivery_input.v1.json"
#: An expression longer than this is a program, not a field pick; refuse it so a stored override
#: stays reviewable and cheap to evaluate on every order.
MAX_EXPRESSION_LENGTH = 1000
#: Fields the hub owns (identity and mapping output): an owner must not rewrite the upsert key.
_NOT_OVERRIDABLE = frozenset(
    {"data_quality_flags", "source", "source.connector", "source.installation_id", "source.external_id"}
)


@dataclass(frozen=True)
class OverrideError:
    """One problem with a stored override: ``path`` is the override's target key."""

    path: str
    message: str


def _resolve(ref: str, doc: Mapping[str, Any], schemas_dir: Path) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """Follow a ``$ref`` (same document or a sibling file); returns (target, its document)."""
    file_part, _, pointer = ref.partition("#")
    target_doc = _load_schema(str(schemas_dir / file_part)) if file_part else doc
    node: Any = target_doc
    for token in filter(None, pointer.split("/")):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node, target_doc


@lru_cache(maxsize=8)
def _load_schema(path: str) -> Mapping[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)  # type: ignore[no-any-return]


def _collect(node: Mapping[str, Any], doc: Mapping[str, Any], prefix: str, out: set[str],
             schemas_dir: Path, depth: int = 0) -> None:
    if depth > 12:  # deeper than any canonical object; stops a recursive $ref from looping
        return
    while "$ref" in node:
        node, doc = _resolve(node["$ref"], doc, schemas_dir)
    for combinator in ("allOf", "anyOf", "oneOf"):
        for option in node.get(combinator, []):
            _collect(option, doc, prefix, out, schemas_dir, depth + 1)
    for name, sub in node.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        out.add(path)
        _collect(sub, doc, path, out, schemas_dir, depth + 1)


@lru_cache(maxsize=4)
def canonical_paths(schemas_dir: Path = SCHEMAS_DIR) -> frozenset[str]:
    """Every dotted path of the canonical delivery input an override may target (objects are
    descended into; arrays such as ``parcels`` are replaced whole)."""
    schema_file = schemas_dir / INPUT_SCHEMA
    if not schema_file.exists():
        raise FileNotFoundError(f"canonical schema {schema_file} is missing")
    doc = _load_schema(str(schema_file))
    out: set[str] = set()
    _collect(doc, doc, "", out, schemas_dir)
    return frozenset(out - _NOT_OVERRIDABLE)


def field_overrides(overrides: Mapping[str, Any]) -> dict[str, str]:
    """The field overrides (canonical path → JMESPath) of an installation's overrides."""
    return {k: v for k, v in (overrides or {}).items() if k != TABLES_KEY}


def table_overrides(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The table patches (table name → JSON merge patch) of an installation's overrides."""
    tables = (overrides or {}).get(TABLES_KEY)
    return dict(tables) if isinstance(tables, Mapping) else {}


def _validate_tables(patches: Any, tables: tuple[Table, ...]) -> list[OverrideError]:
    if not isinstance(patches, Mapping):
        return [OverrideError(TABLES_KEY, "must be an object of table name → patch")]
    known = {t.name: t for t in tables}
    errors: list[OverrideError] = []
    for name, patch in patches.items():
        if name not in known:
            hint = f"; this connector's tables: {', '.join(sorted(known))}" if known else "; this connector has none"
            errors.append(OverrideError(f"{TABLES_KEY}.{name}", f"not a table of this connector{hint}"))
            continue
        try:
            known[name].patched(patch)
        except TableError as exc:
            where = f"{TABLES_KEY}.{name}" + (f".{dotted(exc.path)}" if exc.path else "")
            errors.append(OverrideError(where, exc.problem))
    return errors


def validate_overrides(
    overrides: Mapping[str, Any], *, tables: tuple[Table, ...] = (), schemas_dir: Path = SCHEMAS_DIR
) -> list[OverrideError]:
    """Check overrides before saving them; an empty list means they are all good. ``tables`` are the
    connector's declared tables, the only ones a ``tables`` patch may name."""
    if not isinstance(overrides, Mapping):
        return [OverrideError("", "overrides must be an object of canonical path → JMESPath expression")]
    known = canonical_paths(schemas_dir)
    errors: list[OverrideError] = []
    if TABLES_KEY in overrides:
        errors.extend(_validate_tables(overrides[TABLES_KEY], tables))
    for path, expression in field_overrides(overrides).items():
        if not isinstance(path, str) or path not in known:
            hint = sorted(p for p in known if isinstance(path, str) and p.split(".")[0] == path.split(".")[0])
            more = f"; fields under it: {', '.join(hint[:12])}" if hint else ""
            errors.append(OverrideError(str(path), f"not a canonical delivery field{more}"))
            continue
        if not isinstance(expression, str) or not expression.strip():
            errors.append(OverrideError(path, "expression must be a non-empty string"))
            continue
        if len(expression) > MAX_EXPRESSION_LENGTH:
            errors.append(OverrideError(path, f"expression longer than {MAX_EXPRESSION_LENGTH} characters"))
            continue
        try:
            jmespath.compile(expression)
        except JMESPathError as exc:
            errors.append(OverrideError(path, f"invalid JMESPath: {exc}"))
    return errors


def _json_path(dotted: str) -> str:
    """``dropoff.address.unit`` → ``$.dropoff.address.unit`` (the form data-quality flags use)."""
    return "$." + dotted


def value_at(document: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path (``dropoff.address.unit``), or None where the path leads nowhere."""
    node: Any = document
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _set_path(target: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = target
    for key in parents:
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    node[leaf] = value


def apply_overrides(
    delivery: Mapping[str, Any], raw: Mapping[str, Any], overrides: Mapping[str, str]
) -> tuple[dict[str, Any], list[MappingWarning]]:
    """Evaluate each override against ``raw`` and write its result into a copy of ``delivery``.

    Never raises on data: an expression that fails or finds nothing (``null``) leaves the mapped
    value in place and adds a ``MappingWarning`` (``override_failed`` / ``override_no_value``).
    Overrides are applied in sorted path order, so a parent and its child apply deterministically.
    The caller validates the result against the canonical schema as usual.
    """
    result: dict[str, Any] = copy.deepcopy(dict(delivery))
    warnings: list[MappingWarning] = []
    overrides = field_overrides(overrides)
    for path in sorted(overrides):
        expression = overrides[path]
        try:
            value = jmespath.search(expression, raw)
        except (JMESPathError, TypeError, ValueError) as exc:
            warnings.append(MappingWarning("override_failed", f"override {expression!r} failed: {exc}", _json_path(path)))
            continue
        if value is None:
            warnings.append(MappingWarning("override_no_value", f"override {expression!r} found no value", _json_path(path), "info"))
            continue
        _set_path(result, path, copy.deepcopy(value))
    return result, warnings
