"""How a drain paces itself: when it yields to more urgent lanes, and how many rows share a transaction."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from redis.exceptions import RedisError

from hub.runtime import Runtime

# How often a drain looks for bells in more urgent lanes: looking after every row ended a burst's assign drains
# after a row or two, each restart an RQ job with its own Redis bookkeeping (a quarter of the workers' CPU).
YIELD_LOOK_S = 0.25
# Rows whose handlers share their transaction run several to one (each commit was a BEGIN, a COMMIT with its WAL
# flush and a new session, and the transaction's memos were read again); writes are visible at most BATCH_S later.
BATCH_ROWS = 20
BATCH_S = 0.1

_served: tuple[str, ...] = ()  # the lanes this process's worker serves, most urgent first (hub/worker.py)


def set_served_lanes(lanes: tuple[str, ...]) -> None:
    global _served
    _served = tuple(lanes)


def _outranked(runtime: Runtime, lane: str) -> bool:
    """Whether a bell waits in a lane this worker serves before `lane` (dispatch before assign before ingest):
    then the drain yields after the row in hand, so work in flight is not kept waiting for a whole budget."""
    higher = _served[:_served.index(lane)] if lane in _served else ()
    if not higher:
        return False
    try:
        with runtime.redis.pipeline(transaction=False) as pipe:
            for other in higher:
                pipe.llen(runtime.queue(other).key)
            return any(pipe.execute())
    except RedisError:  # no Redis, no bells to yield to
        return False


@dataclass
class Pace:
    """Whether a drain goes on: within its budget, and while no more urgent lane has a bell waiting."""

    budget_s: float | None
    batch_rows: int = field(default_factory=lambda: BATCH_ROWS)  # 1 after a batch was rolled back
    started: float = field(default_factory=time.monotonic)
    looked: float = 0.0  # when it last looked for bells in more urgent lanes

    def __post_init__(self) -> None:
        self.looked = self.started  # popping this drain's own bell was a look

    def goes_on(self, runtime: Runtime, lane: str) -> bool:
        if self.budget_s is None:
            return True
        now = time.monotonic()
        if now - self.started > self.budget_s:
            return False
        if now - self.looked >= YIELD_LOOK_S:
            self.looked = now
            return not _outranked(runtime, lane)
        return True
