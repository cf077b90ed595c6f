"""Build inbound requests for tests, and the tampered variants a verifier must refuse."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from hub.plugins.values import Headers, InboundRequest
from hub.testing.golden import FIXED_NOW

__all__ = ["flip_byte", "make_request", "with_setting"]


def make_request(
    body: bytes | str | Mapping[str, Any] | list[Any],
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    *,
    method: str = "POST",
    path: str = "/hooks/inst_test",
    query: Mapping[str, str] | None = None,
    remote_addr: str | None = "203.0.113.7",
    received_at: datetime = FIXED_NOW,
) -> InboundRequest:
    """An InboundRequest as the hub would hand it to ``verify``/``parse``. A dict or list body is
    serialised compactly as JSON; sign the resulting ``request.body``, not your own serialisation."""
    if isinstance(body, (Mapping, list)):
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    elif isinstance(body, str):
        raw = body.encode("utf-8")
    else:
        raw = body
    return InboundRequest(
        method=method,
        path=path,
        headers=Headers(headers),
        body=raw,
        query=dict(query or {}),
        remote_addr=remote_addr,
        received_at=received_at,
    )


def flip_byte(body: bytes, index: int | None = None) -> bytes:
    """``body`` with one byte changed (the middle one by default): a signature over it must fail."""
    if not body:
        raise ValueError("cannot tamper with an empty body")
    at = len(body) // 2 if index is None else index
    changed = bytearray(body)
    changed[at] = changed[at] ^ 0x01
    return bytes(changed)


def with_setting(settings: Mapping[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """A deep-ish copy of ``settings`` with the field at ``dotted`` set to ``value``."""
    out: dict[str, Any] = dict(settings)
    head, _, rest = dotted.partition(".")
    if rest:
        out[head] = with_setting(dict(out.get(head) or {}), rest, value)
    else:
        out[head] = value
    return out
