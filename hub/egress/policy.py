"""Whether the hub may connect to non-public addresses, one answer per process.

`HUB_ALLOW_PRIVATE_WEBHOOK_TARGETS` (the name predates the guard covering more than webhooks) lets tests and
`hub demo` reach their stand-ins on 127.0.0.1. The runtime binds the configured answer when it is built;
connectors never read the environment, they ask the guard (`hub.plugins.http_session`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

ENV_NAME = "HUB_ALLOW_PRIVATE_WEBHOOK_TARGETS"
_bound: bool | None = None


def bind(allow_private: bool | None) -> None:
    """Set the process's answer (None: read the environment again on every question)."""
    global _bound
    _bound = allow_private


def allows_private() -> bool:
    if _bound is not None:
        return _bound
    return (os.environ.get(ENV_NAME) or "").strip().lower() in {"1", "true", "yes", "on"}


@contextmanager
def bound(allow_private: bool) -> Iterator[None]:
    """The answer for the duration of a block (tests that check the refusal), then the previous one."""
    previous = _bound
    bind(allow_private)
    try:
        yield
    finally:
        bind(previous)
