"""Byte-stable JSON for hashing (the event chain) and a helper to drop unknown (None) values."""

from __future__ import annotations

import json
from typing import Any


def canonical_json(obj: Any) -> bytes:
    """``obj`` as UTF-8 JSON with sorted keys and no whitespace; equal documents give equal bytes.

    Pass JSON-shaped data (a schema's ``dump``), not datetimes or Decimals: those raise TypeError.
    NaN and infinity are rejected because JSON has no spelling for them.
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def drop_none(obj: Any) -> Any:
    """A copy of ``obj`` without None values or the dicts that become empty; the schemas omit unknowns."""
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            value = drop_none(value)
            if value is None or (isinstance(value, dict) and not value):
                continue
            out[key] = value
        return out
    if isinstance(obj, list):
        return [drop_none(item) for item in obj if item is not None]
    return obj
