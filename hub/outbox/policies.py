"""Named retry policies: every kind of work picks one by name, so retry behaviour is declared in one place.

A failed try moves the work row's `due_at` by the next interval (hub/outbox/relay.py); when the retries are
used up the row is dead, with its reason, in the dead-letter view. `timeout_s` is how long one try may take
(the bell's RQ timeout allows for the slowest kind of its lane).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    retries: int
    intervals_s: tuple[int, ...]
    timeout_s: int

    def delay_after(self, tries: int) -> float | None:
        """Seconds to wait after the `tries`-th failed try, or None when no retry is left."""
        if tries > self.retries:
            return None
        return float(self.intervals_s[min(tries, len(self.intervals_s)) - 1])


POLICIES: dict[str, RetryPolicy] = {
    # Ingest reads only our own database and connector code: a few quick retries cover lock contention.
    "ingest": RetryPolicy(retries=5, intervals_s=(2, 10, 30, 120, 600), timeout_s=120),
    # Assignment may call carriers for live quotes: back off over minutes, not hours.
    "assign": RetryPolicy(retries=5, intervals_s=(5, 30, 120, 300, 900), timeout_s=300),
    # Route planning is CPU-bound and bounded by its own time limit; a retry helps only after a crash.
    "route": RetryPolicy(retries=2, intervals_s=(30, 300), timeout_s=900),
    # Outside APIs (stores, carriers) recover within hours; keep trying for about a day.
    "external": RetryPolicy(retries=10, intervals_s=(10, 30, 60, 300, 900, 1800, 3600, 7200, 14400, 28800), timeout_s=120),
    # Housekeeping jobs run again on their own schedule; never retry them.
    "periodic": RetryPolicy(retries=0, intervals_s=(), timeout_s=300),
}


def policy(name: str) -> RetryPolicy:
    try:
        return POLICIES[name]
    except KeyError:
        raise ValueError(f"unknown retry policy {name!r}; known: {', '.join(sorted(POLICIES))}") from None
