"""What one HTTP answer (or failure to get one) means for a webhook delivery: pure functions, no I/O."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Literal, Mapping

from hub.errors import retry_after_s

Action = Literal["ok", "retry", "dead", "disable"]

# First retry after 10 s, then x3 each time: a blip is retried at once, an outage is not hammered.
BACKOFF_BASE_S = 10.0
BACKOFF_FACTOR = 3.0
# No wait longer than 6 h between tries, so a receiver that comes back is served the same working day.
BACKOFF_CAP_S = 6 * 3600.0
# Up to +25 % random spread, so endpoints that failed together do not all come back at the same second.
JITTER = 0.25
# Keep trying for at least a day: the schedule (10 s … 6 h) makes about 9 tries in that time.
GIVE_UP_AFTER = timedelta(hours=24)
# A receiver cannot park a delivery for longer than this with Retry-After (it would never be retried).
MAX_RETRY_AFTER_S = 24 * 3600.0
# Disable an endpoint only when both hold: time alone would disable a quiet endpoint on its first
# failure after a lull, a count alone would disable a busy one during a ten-minute deploy.
DISABLE_AFTER = timedelta(days=3)
DISABLE_AFTER_FAILURES = 20


@dataclass(frozen=True)
class Verdict:
    action: Action
    reason: str
    retry_after_s: float | None = None  # what the receiver asked for, if it did


def classify(status: int | None, *, error: str | None = None, transient_error: bool = True,
             headers: Mapping[str, str] | None = None, now: datetime | None = None) -> Verdict:
    """`status` None means no answer: `error` says why, `transient_error` whether it can pass (timeouts,
    refused connections) or not (an invalid URL, a refused target)."""
    if status is None:
        return Verdict("retry" if transient_error else "dead", error or "no response")
    if 200 <= status < 300:
        return Verdict("ok", f"{status}")
    if status == 410:
        return Verdict("disable", "the endpoint answered 410 Gone: it asked not to receive webhooks any more")
    if status in (408, 429) or status >= 500:
        return Verdict("retry", f"the endpoint answered {status}", retry_after_s(headers or {}, now))
    if 300 <= status < 400:
        return Verdict("dead", f"the endpoint answered {status} (a redirect); webhooks do not follow redirects, "
                               "update the subscription's URL")
    return Verdict("dead", f"the endpoint answered {status}; the hub does not retry other 4xx answers")


def backoff_s(attempt: int, rand: Callable[[], float] = random.random) -> float:
    """Wait after the `attempt`-th failed try (1-based): exponential, capped, with jitter."""
    base = min(BACKOFF_CAP_S, BACKOFF_BASE_S * BACKOFF_FACTOR ** max(0, attempt - 1))
    return base * (1 + JITTER * rand())


def next_delay_s(verdict: Verdict, attempt: int, rand: Callable[[], float] = random.random) -> float:
    """The backoff, or the receiver's Retry-After when that is longer (capped)."""
    delay = backoff_s(attempt, rand)
    if verdict.retry_after_s is not None:
        delay = max(delay, min(verdict.retry_after_s, MAX_RETRY_AFTER_S))
    return delay


def gives_up(first_attempted_at: datetime, now: datetime) -> bool:
    return now - first_attempted_at >= GIVE_UP_AFTER


def endpoint_is_dead(consecutive_failures: int, failing_since: datetime | None, now: datetime) -> bool:
    return (failing_since is not None and consecutive_failures >= DISABLE_AFTER_FAILURES
            and now - failing_since >= DISABLE_AFTER)
