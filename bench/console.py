"""Timing pages of the operator console in-process, for the benchmarks: a person of the tenant signed in through
the real sign-in form, and the p50 / p95 of repeated GETs. Used by bench/analytics.py (pages over a long history)
and bench/slots.py (a planned day's routes and live map)."""

from __future__ import annotations

import re
import statistics
import time
import uuid
from typing import Any, Callable

from hub.accounts.users import add_user
from hub.db.engine import transaction
from hub.db.models import Tenant
from hub.runtime import get_runtime

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')  # the sign-in form's token
PASSWORD = "bench operator password 1"


def signed_in(app: Any, tenant_id: str, role: str = "dispatcher") -> Any:
    """A test client of `app` signed in as a new person of the tenant."""
    email = f"bench-{uuid.uuid4().hex[:6]}@example.com"
    with transaction(get_runtime().sessions) as session:
        add_user(session, email, session.get(Tenant, tenant_id).name, role, PASSWORD)
    client = app.test_client()
    token = CSRF.search(client.get("/console/login").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    answer = client.post("/console/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    return client


def timed(get: Callable[..., Any], path: str, query: dict[str, Any], requests: int,
          before: Callable[[], None] | None = None) -> tuple[float, float, Any]:
    """p50 and p95 in ms of `requests` GETs (each after `before()`, untimed), and the last answer."""
    times, answer = [], None
    for _ in range(requests):
        if before is not None:
            before()
        started = time.perf_counter()
        answer = get(path, query_string=query)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (path, answer.get_data(as_text=True)[:300])
    ordered = sorted(times)
    return statistics.median(ordered), ordered[max(0, int(round(0.95 * len(ordered))) - 1)], answer
