"""The doorbell: how work reaches RQ. The work itself is a row in the database (hub/outbox/rows.py); a job on a
lane's queue only tells a worker "there may be work in this lane", and the worker claims rows until none is
due (hub/outbox/relay.py). A lost, doubled or late bell loses nothing: the sweeper rings again while due work
waits, and a bell that finds nothing costs one query.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from hub.outbox.policies import policy
from hub.outbox.kinds import HANDLERS

if TYPE_CHECKING:
    from hub.runtime import Runtime

DRAIN_FUNC = "hub.outbox.relay.drain"
# A bell waiting in a lane's queue is enough to wake one worker; a few let several workers drain one lane
# at once (claims never overlap). More would only be bells that find nothing.
BELLS_PER_LANE = 4
# A drain runs rows one after another for about this long, then rings again and returns, so a long lane
# (a burst of 500 orders) does not keep a worker from the other lanes.
DRAIN_BUDGET_S = 2.0
# Finished bells carry no result worth keeping; failed ones stay a day for whoever looks at RQ directly.
FAILURE_TTL_S = 24 * 3600


def lane_timeout_s(lane: str) -> int:
    """A drain may run its budget and then one more row of the slowest kind in its lane."""
    slowest = max((policy(h.policy).timeout_s for h in HANDLERS.values() if h.queue == lane), default=120)
    return int(slowest + DRAIN_BUDGET_S + 60)


def ring(runtime: "Runtime", lanes: Iterable[str]) -> list[str]:
    """Ring the bell of each lane, unless enough bells already wait there. Returns the lanes rung."""
    rung = []
    for lane in sorted(set(lanes)):
        queue = runtime.queue(lane)
        if queue.count >= BELLS_PER_LANE:
            continue  # bells popped after our commit will see our rows
        queue.enqueue_call(DRAIN_FUNC, args=[lane], timeout=lane_timeout_s(lane), result_ttl=0,
                           failure_ttl=FAILURE_TTL_S)
        rung.append(lane)
    return rung
