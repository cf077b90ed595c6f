"""Validate documents against the canonical JSON Schemas in ``schemas/``.

``validate_document(name, doc)`` returns one ``FieldError`` per problem, each with a JSON path such as
``$.dropoff.address.line1``; the API turns them into a 422. Schemas refer to each other by relative
``$ref`` (``../delivery.v1.json#/$defs/Address``); a ``referencing.Registry`` holds them all by ``$id``.

Most documents are valid, and asking "is it valid?" of jsonschema-rs (Rust) costs about a hundredth of walking
the schema in Python: a delivery's body took 1.2 ms per POST, and every carrier job as much (bench/validation.py). Only a document it
refuses is walked by ``jsonschema``, which stays the judge and names the problems. The Rust check is at least
as strict (its email and URI formats are checked, Python's are looser, and its ``$`` does not match before a
final newline), so a document it passes has no problems to name.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from hub.paths import SCHEMAS_DIR

# RFC 3339 date-time with a mandatory offset; the jsonschema "date-time" check needs an extra package.
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

FORMAT_CHECKER = FormatChecker()


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def is_rfc3339(value: object) -> bool:
    """True for an RFC 3339 date-time with a timezone offset that names a real instant."""
    if not isinstance(value, str):
        return True
    if not RFC3339.match(value):
        return False
    datetime.fromisoformat(value.replace("Z", "+00:00"))  # rejects 2025-02-30 and 25:00
    return True


@dataclass(frozen=True, order=True)
class FieldError:
    """One problem in a document: where (a JSON path like ``$.parcels[0].quantity``) and what."""

    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


def schema_name(name: str) -> str:
    """Normalize ``delivery.v1``, ``delivery.v1.json`` or ``events/envelope.v1`` to a file path under schemas/."""
    name = name.removeprefix("schemas/")
    return name if name.endswith(".json") else name + ".json"


def _schema_files() -> Iterable[Path]:
    for path in sorted(SCHEMAS_DIR.rglob("*.json")):
        if "examples" not in path.relative_to(SCHEMAS_DIR).parts:
            yield path


@cache
def _resources() -> list[tuple[str, Any]]:
    return [(contents["$id"], contents) for contents in
            (json.loads(path.read_text(encoding="utf-8")) for path in _schema_files())]


@cache
def registry() -> Registry:
    """Every canonical schema, registered under its ``$id``."""
    return Registry().with_resources(
        (uri, Resource.from_contents(contents, default_specification=DRAFT202012)) for uri, contents in _resources()
    ).crawl()


@cache
def load_schema(name: str) -> Mapping[str, Any]:
    """The schema ``name`` (e.g. ``"delivery.v1"``, ``"events/envelope.v1"``) as a dict. Do not mutate it."""
    path = SCHEMAS_DIR / schema_name(name)
    if not path.is_file():
        raise KeyError(f"no canonical schema named {name!r} (looked for {path})")
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def validator(name: str) -> Draft202012Validator:
    """A cached Draft 2020-12 validator for ``name``, with $refs and formats (date-time, email) checked."""
    return Draft202012Validator(load_schema(name), registry=registry(), format_checker=FORMAT_CHECKER)


def _rfc3339_or_false(value: str) -> bool:
    try:
        return is_rfc3339(value)
    except ValueError:
        return False


@cache
def fast_validator(name: str) -> jsonschema_rs.Validator:
    """The quick yes/no of the module docstring, with the same schemas and the same date-time rule."""
    return jsonschema_rs.validator_for(load_schema(name), registry=jsonschema_rs.Registry(_resources()),
                                       formats={"date-time": _rfc3339_or_false}, validate_formats=True)


def json_path(parts: Iterable[str | int]) -> str:
    """``["parcels", 0, "quantity"]`` -> ``$.parcels[0].quantity``."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif IDENTIFIER.match(part):
            out += f".{part}"
        else:
            out += "[" + json.dumps(part, ensure_ascii=False) + "]"
    return out


def _extra_properties(error: ValidationError) -> list[str]:
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    known = set(schema.get("properties", {}))
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    return [key for key in instance if key not in known and not any(p.search(key) for p in patterns)]


def _field_errors(error: ValidationError) -> list[FieldError]:
    """Turn one jsonschema error into field errors that point at the field itself."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        # e.g. "a delivery id or null": report the non-null branch that got furthest, not "not valid under any".
        branches = [e for e in error.context if not (e.validator == "type" and e.validator_value == "null")]
        return _field_errors(best_match(branches or error.context))
    parts = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if error.validator == "required":
        instance = error.instance if isinstance(error.instance, Mapping) else {}
        missing = [p for p in error.validator_value if p not in instance and error.message.startswith(repr(p))]
        name = missing[0] if missing else None
        if name is not None:
            return [FieldError(json_path([*parts, name]), f"'{name}' is a required property")]
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        extras = _extra_properties(error)
        if extras:
            return [FieldError(json_path([*parts, key]), f"'{key}' is not an allowed property here") for key in extras]
    if error.validator in ("pattern", "format") and "x-hint" in schema:
        return [FieldError(json_path(parts), f"{error.instance!r} is not valid: expected {schema['x-hint']}")]
    if error.validator == "format":
        return [FieldError(json_path(parts), f"{error.instance!r} is not a valid {error.validator_value}")]
    return [FieldError(json_path(parts), error.message)]


def validate_document(name: str, doc: Any) -> list[FieldError]:
    """Every problem in ``doc`` against schema ``name``, sorted by path; an empty list means valid."""
    if fast_validator(name).is_valid(doc):
        return []
    errors: set[FieldError] = set()
    for error in validator(name).iter_errors(doc):
        errors.update(_field_errors(error))
    return sorted(errors)


def is_valid(name: str, doc: Any) -> bool:
    """True when ``doc`` validates against schema ``name``."""
    return fast_validator(name).is_valid(doc) or validator(name).is_valid(doc)


def marshmallow_field_errors(messages: Mapping[str | int, Any] | list[Any], prefix: Iterable[str | int] = ()) -> list[FieldError]:
    """Flatten a marshmallow ``ValidationError.messages`` dict into sorted ``FieldError``s with JSON paths."""
    out: list[FieldError] = []
    base = list(prefix)
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if key == "_schema":
                out.extend(marshmallow_field_errors(value, base))
            else:
                out.extend(marshmallow_field_errors(value, [*base, key]))
    elif isinstance(messages, list):
        for message in messages:
            if isinstance(message, (Mapping, list)):
                out.extend(marshmallow_field_errors(message, base))
            else:
                out.append(FieldError(json_path(base), str(message)))
    else:
        out.append(FieldError(json_path(base), str(messages)))
    return sorted(set(out))
