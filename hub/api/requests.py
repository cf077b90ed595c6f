"""Reading request bodies and query strings with errors that say what is wrong and where."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime
from typing import Any

from flask import Flask, request

from hub.api.errors import ApiError, field_errors
from hub.canonical.validation import validate_document

# No document the hub takes nests deeper than a dozen levels; 64 leaves room and keeps every recursive
# reader after the parse (schema validation, JMESPath overrides) far from Python's recursion limit.
MAX_JSON_DEPTH = 64
# Row ids are 64-bit signed integers (BigId): a larger number names no row, and SQLite refuses to bind it.
MAX_ROW_ID = 2**63 - 1


def json_depth(value: Any) -> int:
    """How deeply objects and arrays nest, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def nul_path(value: Any) -> str | None:
    """The JSON path of the first string (or key) holding a NUL character, else None. PostgreSQL stores no
    NUL in text or JSONB, so the hub takes none anywhere: one rule on both databases."""
    stack: list[tuple[Any, str]] = [(value, "$")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if "\x00" in node:
                return path
        elif isinstance(node, dict):
            for key, child in node.items():
                if "\x00" in key:
                    return path
                stack.append((child, f"{path}.{key}"))
        elif isinstance(node, list):
            stack.extend((child, f"{path}[{i}]") for i, child in enumerate(node))
    return None


def too_deep(limit: int = MAX_JSON_DEPTH) -> ApiError:
    return ApiError(422, "json_too_deep", f"the JSON body nests deeper than {limit} levels",
                    [{"path": "$", "message": f"at most {limit} levels of objects and arrays"}])


def json_body() -> tuple[Any, bytes]:
    raw = request.get_data(cache=True)
    try:
        doc = json.loads(raw)
    except RecursionError:  # the parser itself gave up (about 1,000 levels)
        raise too_deep() from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f" at line {exc.lineno}, column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise ApiError(400, "malformed_json", f"the request body is not valid JSON{where}: {exc}") from None
    if json_depth(doc) > MAX_JSON_DEPTH:
        raise too_deep()
    if (where := nul_path(doc)) is not None:
        raise ApiError(422, "nul_character", f"{where} holds a NUL character (\\u0000), which the hub does not store",
                       [{"path": where, "message": "no NUL characters"}])
    return doc, raw


def register_nul_guard(app: Flask) -> None:
    """A NUL in the URL's path names nothing (404); in the query string it is a bad query (400): answered
    before any view reads the database, which would refuse it."""

    @app.before_request
    def _refuse_nul() -> None:
        if "\x00" in request.path:
            raise ApiError(404, "not_found", "nothing is found at a path holding a NUL character")
        for name, value in request.args.items(multi=True):
            if "\x00" in name or "\x00" in value:
                raise ApiError(400, "bad_query", f"the query parameter {name!r} holds a NUL character",
                               [{"path": f"query.{name}", "message": "no NUL characters"}])


def validated(schema: str, doc: Any) -> Any:
    errors = validate_document(schema, doc)
    if errors:
        raise ApiError(422, "validation_failed", f"the document does not match {schema}", field_errors(errors))
    return doc


def timestamp_arg(name: str) -> datetime | None:
    value = request.args.get(name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, "bad_query", f"{name} must be an ISO 8601 date-time",
                       [{"path": f"query.{name}", "message": f"not a date-time: {value!r}"}]) from None
    if moment.tzinfo is None:
        raise ApiError(400, "bad_query", f"{name} needs a timezone (e.g. 2026-11-25T08:00:00Z)",
                       [{"path": f"query.{name}", "message": "timezone missing"}])
    return moment


def date_arg(name: str = "date") -> date | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, "bad_query", f"{name} must be YYYY-MM-DD",
                       [{"path": f"query.{name}", "message": f"not a date: {value!r}"}]) from None


def limit_arg(default: int = 50, maximum: int = 500) -> int:
    value = request.args.get("limit", str(default))
    if not value.isdigit() or not 1 <= int(value) <= maximum:
        raise ApiError(400, "bad_query", f"limit must be a whole number from 1 to {maximum}",
                       [{"path": "query.limit", "message": f"got {value!r}"}])
    return int(value)


# Unpadded URL-safe base64 of any length that decodes: a query schema declares cursors with it.
CURSOR_PATTERN = r"^([A-Za-z0-9_-]{4})*([A-Za-z0-9_-]{2,3})?$"


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        # Any bytes are a bound to page after; undecodable ones just sort somewhere, as a hand-made cursor would.
        # A NUL is one too (PostgreSQL takes none in a parameter, and no id holds one).
        bound = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8", errors="replace")
        return bound.replace("\x00", "\ufffd")
    except ValueError:
        raise ApiError(400, "bad_query", "the cursor is not one this API gave out",
                       [{"path": "query.cursor", "message": "unreadable cursor"}]) from None
