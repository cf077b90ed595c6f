"""Runs work rows: claim one atomically, run its handler, record the end. The database decides, not Redis.

A row is claimed with one UPDATE (on PostgreSQL through `FOR UPDATE SKIP LOCKED`; SQLite serializes writers),
which takes it only while it is pending, due and not held by a live claim. The claim is a lease: the worker's
heartbeat renews it while the handler runs (hub/worker.py), so a worker killed mid-row leaves a lease that runs
out within `LEASE_S`, and any worker may then claim the row again. Ends are recorded only by the claim that
still holds the row (same worker, same try), so a worker that lost its lease cannot overwrite a later try.

A handler may raise `Deferred` (a receiver said Retry-After, an earlier message must go first): the row
stays pending with a later `due_at`, and that try is not counted. Any other exception is a failed try: the
row is due again after the policy's next interval, or dead when the policy has no retry left (or the error
is permanent), with its reason, in the dead-letter view.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from rq.utils import import_attribute
from sqlalchemy import or_, select, update
from sqlalchemy.exc import DBAPIError

from hub.db.engine import transaction
from hub.db.models import OutboxItem, utcnow
from hub.errors import HubError, TransientError
from hub.jobs.enqueue import DRAIN_BUDGET_S, ring
from hub.jobs.policies import policy
from hub.jobs.routes import HANDLERS
from hub.runtime import Runtime, get_runtime

log = logging.getLogger(__name__)

# A claim lasts this long unless its worker's heartbeat (every 5 s) renews it: work of a worker killed
# mid-row is claimable again within 15 s, and a live worker misses three beats before it loses a slow row.
LEASE_S = 15
# A row claimed this many times without ever ending (each run killed its worker: a poison row that crashes or
# exhausts the process) is given up, so it cannot take workers down forever; a policy may allow more tries.
CRASH_LIMIT = 5
# Errors are kept for the dead-letter view and the status page; 2,000 characters show any traceback's gist.
ERROR_KEEP = 2000

PENDING, DONE, DEAD = "pending", "done", "dead"


class Deferred(Exception):
    def __init__(self, retry_after_s: float, reason: str) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Claim:
    id: int
    kind: str
    attempts: int  # this try's number: with the worker id it names the claim
    worker: str


_identity = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
_held: set[int] = set()
_held_lock = threading.Lock()


def identity() -> str:
    """This process's name on the claims it takes."""
    return _identity


def set_identity(name: str) -> None:
    global _identity
    _identity = name


def held() -> list[int]:
    """Rows this process is running now (the heartbeat renews their leases)."""
    with _held_lock:
        return sorted(_held)


def claimable(now: datetime):  # type: ignore[no-untyped-def]
    """Pending rows that are due and held by no live claim."""
    return (OutboxItem.state == PENDING, OutboxItem.due_at <= now,
            or_(OutboxItem.lease_until.is_(None), OutboxItem.lease_until < now))


def claim(runtime: Runtime, lane: str, worker: str | None = None, now: datetime | None = None) -> Claim | None:
    """Take the lane's oldest due row, or None when nothing is due."""
    worker, now = worker or identity(), now or utcnow()
    with transaction(runtime.sessions) as session:
        oldest = (select(OutboxItem.id).where(OutboxItem.lane == lane, *claimable(now))
                  .order_by(OutboxItem.due_at, OutboxItem.id).limit(1))
        if session.get_bind().dialect.name == "postgresql":
            oldest = oldest.with_for_update(skip_locked=True)  # two claimers never wait on, or take, one row
        row = session.execute(
            update(OutboxItem).where(OutboxItem.id == oldest.scalar_subquery(), *claimable(now))
            .values(claimed_by=worker, lease_until=now + timedelta(seconds=LEASE_S), attempts=OutboxItem.attempts + 1)
            .returning(OutboxItem.id, OutboxItem.kind, OutboxItem.attempts)).first()
    return Claim(row.id, row.kind, row.attempts, worker) if row else None


def renew(runtime: Runtime, worker: str, ids: list[int], now: datetime | None = None) -> int:
    """Extend the leases this worker still holds (called by its heartbeat while handlers run)."""
    if not ids:
        return 0
    now = now or utcnow()
    with transaction(runtime.sessions) as session:
        return session.execute(
            update(OutboxItem).where(OutboxItem.id.in_(ids), OutboxItem.claimed_by == worker,
                                     OutboxItem.state == PENDING)
            .values(lease_until=now + timedelta(seconds=LEASE_S))).rowcount


def run(runtime: Runtime, taken: Claim) -> str:
    """Run the claimed row's handler and record how it ended: done, pending again (when due) or dead."""
    handler = HANDLERS.get(taken.kind)
    if handler is None:
        return _end(runtime, taken, DEAD, error=f"no handler for work of kind {taken.kind!r}")
    if taken.attempts > max(policy(handler.policy).retries + 1, CRASH_LIMIT):
        return _end(runtime, taken, DEAD, error=f"claimed {taken.attempts - 1} times before without an end "
                    "(its worker died each time); not run again")
    with _held_lock:
        _held.add(taken.id)
    try:
        import_attribute(handler.func)(runtime, taken.id)
    except Deferred as deferred:
        return _end(runtime, taken, PENDING, error=f"deferred: {deferred}", delay_s=deferred.retry_after_s,
                    counts=False)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        # The hub's own permanent and configuration errors end the row; anything else may pass on a later try.
        final = isinstance(exc, HubError) and exc.kind != "transient"
        delay = None if final else policy(handler.policy).delay_after(taken.attempts)
        if delay is not None and isinstance(exc, TransientError) and exc.retry_after_s:
            delay = max(delay, exc.retry_after_s)  # the other side said when
        if delay is None:
            log.error("work %s (%s) failed for good after %d tries: %s", taken.id, taken.kind, taken.attempts, reason)
            return _end(runtime, taken, DEAD, error=reason)
        log.warning("work %s (%s) failed (try %d), again in %.0f s: %s", taken.id, taken.kind, taken.attempts,
                    delay, reason)
        return _end(runtime, taken, PENDING, error=reason, delay_s=delay)
    finally:
        with _held_lock:
            _held.discard(taken.id)
    return _end(runtime, taken, DONE)


def _end(runtime: Runtime, taken: Claim, state: str, *, error: str | None = None, delay_s: float | None = None,
         counts: bool = True) -> str:
    now = utcnow()
    values: dict[str, object] = {"claimed_by": None, "lease_until": None, "last_error": error[:ERROR_KEEP] if error else None}
    if state == PENDING:
        values["due_at"] = now + timedelta(seconds=delay_s or 0)
        if not counts:
            values["attempts"] = OutboxItem.attempts - 1
    else:
        values.update(state=state, processed_at=now)
    with transaction(runtime.sessions) as session:
        ours = (OutboxItem.id == taken.id, OutboxItem.claimed_by == taken.worker, OutboxItem.attempts == taken.attempts,
                OutboxItem.state == PENDING)
        changed = session.execute(update(OutboxItem).where(*ours).values(**values)).rowcount
        if not changed:
            log.warning("work %s (%s): its claim ran out before it ended; the next claim decides", taken.id, taken.kind)
            return "lost"
        on_dead = HANDLERS[taken.kind].on_dead if taken.kind in HANDLERS else None
        if state == DEAD and on_dead:
            import_attribute(on_dead)(session, session.get(OutboxItem, taken.id))
    if state == PENDING and not delay_s:
        ring(runtime, [HANDLERS[taken.kind].queue])
    return state if counts or state != PENDING else "deferred"


def drain_lane(runtime: Runtime, lane: str, *, budget_s: float | None = None, worker: str | None = None) -> int:
    """Claim and run the lane's due rows one after another; returns how many ran. With a budget it stops
    after about that long and rings the lane again, so other lanes get their turn."""
    started, ran = time.monotonic(), 0
    while True:
        if budget_s is not None and time.monotonic() - started > budget_s:
            ring(runtime, [lane])
            return ran
        taken = claim(runtime, lane, worker)
        if taken is None:
            return ran
        run(runtime, taken)
        ran += 1


def drain(lane: str) -> int:
    """The RQ job behind every bell (hub/jobs/enqueue.py). With the database away there is nothing to claim:
    say so in a line and end; the rows wait, and the sweeper rings again once it is back."""
    try:
        return drain_lane(get_runtime(), lane, budget_s=DRAIN_BUDGET_S)
    except DBAPIError as exc:
        log.warning("the database is unreachable (%s); %s waits for the next bell",
                    str(exc.orig or exc).splitlines()[0], lane)
        return 0
