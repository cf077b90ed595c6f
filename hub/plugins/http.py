"""HTTP for connectors: the hub's egress guard, so a connector calls only what an owner may point it at.

A connector never builds its own `requests.Session`: every store and carrier URL comes from an owner's
settings, and an owner could point one at the hub's own network (docs/security.md, "Where the hub connects").
"""

from __future__ import annotations

import requests

from hub.egress import check_target, guarded_session, policy, summary
from hub.egress.session import DEADLINE_S, MAX_ANSWER_BYTES


def http_session(*, deadline_s: float = DEADLINE_S, max_bytes: int = MAX_ANSWER_BYTES) -> requests.Session:
    """A `requests.Session` whose every request and redirect goes only to public addresses (pinned against
    DNS rebinding), ends within `deadline_s` and reads at most `max_bytes` of an answer. A refused URL
    raises ``ConfigurationError`` (the hub pauses the installation and tells its owner)."""
    return guarded_session(deadline_s=deadline_s, max_bytes=max_bytes)


def check_url(url: str) -> None:
    """Raise ``ConfigurationError`` naming why the hub may not call `url`; for libraries that make their
    own connections (check before each call; the guarded session is better where the library takes one)."""
    check_target(url, allow_private=policy.allows_private())


def answer_summary(status: int, reason: object = "") -> str:
    """How a connector quotes a failed answer in its errors: ``HTTP 502 Bad Gateway``, never the body (an
    owner's URL can point at a server whose error page must not reach the hub's answers or records)."""
    return summary(status, reason)
