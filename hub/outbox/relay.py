"""Runs work rows: claim one atomically, run its handler, record the end. The database decides, not Redis.

A row is claimed with one UPDATE (on PostgreSQL through `FOR UPDATE SKIP LOCKED`; SQLite serializes writers),
which takes it only while it is pending, due and not held by a live claim. The claim is a lease: the worker's
heartbeat renews it while the handler runs (hub/worker.py), so a worker killed mid-row leaves a lease that runs
out within `LEASE_S`, and any worker may then claim the row again. Ends are recorded only by the claim that
still holds the row (same worker, same try), so a worker that lost its lease cannot overwrite a later try. Writes
that follow a handler's outside call (a carrier's answer) may go in with the end (hub/outbox/running.py).

A handler may raise `Deferred` (a receiver said Retry-After, an earlier message must go first): the row
stays pending with a later `due_at`, and that try is not counted. Any other exception is a failed try: the
row is due again after the policy's next interval, or dead when the policy has no retry left (or the error
is permanent), with its reason, in the dead-letter view.
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, TypeVar

from rq.utils import import_attribute
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from hub.db.engine import Joined, joined_transaction, transaction
from hub.db.models import OutboxItem, utcnow
from hub.errors import HubError, TransientError
from hub.outbox import pacing
from hub.outbox.bells import DRAIN_BUDGET_S
from hub.outbox.pacing import Pace
from hub.outbox.policies import policy
from hub.outbox.kinds import HANDLERS
from hub.outbox.rows import forget_waiting, ring_after_commit
from hub.outbox.running import Claim, closing_writes, holding, identity
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
T = TypeVar("T")
# The claim and the end of a row, run for every row, are statements on the table: through the model, the ORM's
# bulk-update path copied each one and computed its cache key again (0.25 -> 0.16 ms of CPU per statement).
ROWS = OutboxItem.__table__


class Deferred(Exception):
    def __init__(self, retry_after_s: float, reason: str) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


def claimable(now: datetime, rows: Any = OutboxItem):  # type: ignore[no-untyped-def]
    """Pending rows that are due and held by no live claim (`rows`: the model, or its table's columns)."""
    return (rows.state == PENDING, rows.due_at <= now, or_(rows.lease_until.is_(None), rows.lease_until < now))


def claim(runtime: Runtime, lane: str, worker: str | None = None, now: datetime | None = None) -> Claim | None:
    """Take the lane's oldest due row, or None when nothing is due."""
    with transaction(runtime.sessions) as session:
        return _claim_in(session, lane, worker or identity(), now or utcnow())


def _claim_in(session: Session, lane: str, worker: str, now: datetime) -> Claim | None:
    row = session.execute(_claim_statement(session.get_bind().dialect.name), {
        "p_lane": lane, "p_now": now, "p_worker": worker, "p_until": now + timedelta(seconds=LEASE_S)}).first()
    return Claim(row.id, row.kind, row.attempts, worker, row.payload or {}, row.event_id) if row else None


@functools.cache
def _claim_statement(dialect: str):  # type: ignore[no-untyped-def]
    """Built once: the claim runs for every row, and building the statement cost more than running it."""
    now = bindparam("p_now", type_=ROWS.c.due_at.type)  # p_: UPDATE reserves the columns' own names
    oldest = (select(ROWS.c.id).where(ROWS.c.lane == bindparam("p_lane"), *claimable(now, ROWS.c))
              .order_by(ROWS.c.due_at, ROWS.c.id).limit(1))
    if dialect == "postgresql":
        oldest = oldest.with_for_update(skip_locked=True)  # two claimers never wait on, or take, one row
    return (update(ROWS).where(ROWS.c.id == oldest.scalar_subquery(), *claimable(now, ROWS.c))
            .values(claimed_by=bindparam("p_worker"), lease_until=bindparam("p_until", type_=ROWS.c.lease_until.type),
                    attempts=ROWS.c.attempts + 1)
            .returning(ROWS.c.id, ROWS.c.kind, ROWS.c.attempts, ROWS.c.payload, ROWS.c.event_id))


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


@dataclass(frozen=True)
class Outcome:
    state: str  # DONE, DEAD, or PENDING (tried again at due_at)
    error: str | None = None
    delay_s: float = 0.0
    counts: bool = True  # False: a deferral, the try is given back
    closing: Callable[[Session], None] | None = field(default=None, compare=False)  # see running.finish_with


def execute(runtime: Runtime, taken: Claim) -> Outcome:
    """Run the claimed row's handler; says how it ended, records nothing."""
    handler = HANDLERS.get(taken.kind)
    if handler is None:
        return Outcome(DEAD, f"no handler for work of kind {taken.kind!r}")
    chosen = policy(handler.policy)
    if taken.attempts > max(chosen.retries + 1, CRASH_LIMIT):
        return Outcome(DEAD, f"claimed {taken.attempts - 1} times before without an end (its worker died each "
                       "time); not run again")
    try:
        with holding(taken):
            import_attribute(handler.func)(runtime, taken.id)
    except Deferred as deferred:
        return Outcome(PENDING, f"deferred: {deferred}", deferred.retry_after_s, counts=False)
    except Exception as exc:
        return _failed(taken, exc)
    finally:
        closing = closing_writes(taken.id)
    return Outcome(DONE, closing=closing)


def _failed(taken: Claim, exc: BaseException) -> Outcome:
    """How a try that raised `exc` ends: due again after the policy's next interval, or dead."""
    chosen = policy(HANDLERS[taken.kind].policy)
    reason = f"{type(exc).__name__}: {exc}"
    # The hub's own permanent and configuration errors end the row; anything else may pass on a later try.
    final = isinstance(exc, HubError) and exc.kind != "transient"
    delay = None if final else chosen.delay_after(taken.attempts)
    if delay is None:
        log.error("work %s (%s) failed for good after %d tries: %s", taken.id, taken.kind, taken.attempts, reason)
        return Outcome(DEAD, reason)
    if isinstance(exc, TransientError) and exc.retry_after_s:
        delay = max(delay, exc.retry_after_s)  # the other side said when
    log.warning("work %s (%s) failed (try %d), again in %.0f s: %s", taken.id, taken.kind, taken.attempts,
                delay, reason)
    return Outcome(PENDING, reason, delay)


def run(runtime: Runtime, taken: Claim) -> str:
    """Run the claimed row and record how it ended: "done", "pending" (tried again later), "deferred", "dead",
    or "lost" when its claim ran out meanwhile and another took the row."""
    return _end(runtime, taken, execute(runtime, taken), lambda _session, ended: ended)


class _ClosingFailed(Exception):
    pass  # the handler's closing writes (`finish_with`) failed: its try failed, nothing of it is kept


def _end(runtime: Runtime, taken: Claim, outcome: Outcome, then: Callable[[Session, str], T]) -> T:
    """Record the end of a try, with the handler's closing writes, then `then(session, ended)` in the same
    transaction (claim the next row). Closing writes that fail roll it all back; the failed try is recorded anew."""
    if outcome.closing is not None:
        try:  # held while they run (a re-assignment may ask carriers for quotes): its lease is renewed
            with holding(taken), transaction(runtime.sessions) as session:
                try:
                    outcome.closing(session)
                    session.flush()  # a write the database refuses is the handler's failure, not the end's
                except Exception as exc:
                    raise _ClosingFailed from exc
                return then(session, _record(session, taken, outcome))
        except _ClosingFailed as failed:
            outcome = _failed(taken, failed.__cause__ or failed)
    with transaction(runtime.sessions) as session:
        return then(session, _record(session, taken, outcome))


def _record(session: Session, taken: Claim, outcome: Outcome) -> str:
    """Write the end of a try, if the claim still holds the row (same worker, same try)."""
    now = utcnow()
    params = {"p_id": taken.id, "p_worker": taken.worker, "p_attempts": taken.attempts, "p_now": now,
              "p_error": outcome.error[:ERROR_KEEP] if outcome.error else None,
              "p_due": now + timedelta(seconds=outcome.delay_s), "p_state": outcome.state}
    shape = "ended" if outcome.state != PENDING else ("again" if outcome.counts else "given_back")
    if not session.execute(_end_statement(shape), params).rowcount:
        log.warning("work %s (%s): its claim ran out before it ended; the next claim decides", taken.id, taken.kind)
        return "lost"
    on_dead = HANDLERS[taken.kind].on_dead if taken.kind in HANDLERS else None
    if outcome.state == DEAD and on_dead:
        import_attribute(on_dead)(session, session.get(OutboxItem, taken.id))
    if outcome.state == PENDING and not outcome.delay_s:
        ring_after_commit(session, HANDLERS[taken.kind].queue)
    return outcome.state if outcome.counts else "deferred"


@functools.cache
def _end_statement(shape: str):  # type: ignore[no-untyped-def]
    """Built once per shape: "ended" (done or dead), "again" (a failed try, due later), "given_back" (deferred)."""
    ours = (ROWS.c.id == bindparam("p_id"), ROWS.c.claimed_by == bindparam("p_worker"),
            ROWS.c.attempts == bindparam("p_attempts"), ROWS.c.state == PENDING)
    values: dict[str, Any] = {"claimed_by": None, "lease_until": None, "last_error": bindparam("p_error")}
    if shape == "ended":
        values.update(state=bindparam("p_state"), processed_at=bindparam("p_now", type_=ROWS.c.processed_at.type))
    else:
        values["due_at"] = bindparam("p_due", type_=ROWS.c.due_at.type)
        if shape == "given_back":
            values["attempts"] = ROWS.c.attempts - 1
    return update(ROWS).where(*ours).values(**values)


def drain_lane(runtime: Runtime, lane: str, *, budget_s: float | None = None, worker: str | None = None) -> int:
    """Claim and run the lane's due rows one after another (`_run_rows`); returns how many ran. With a budget it
    stops after about that long, or when a more urgent lane has a bell waiting (looked for every pacing.YIELD_LOOK_S),
    and rings the lane again, so other lanes get their turn."""
    worker, pace, ran = worker or identity(), Pace(budget_s), 0
    taken = claim(runtime, lane, worker)
    while taken is not None:
        taken, ended = _run_rows(runtime, taken, lane, worker, pace)
        ran += ended
    return ran


class _Undone(Exception):
    """Rolls back a shared transaction whose row did not end as done."""


_LOST = Outcome(PENDING, "its claim ran out")  # marker: another claim holds the row now, nothing to record


def _shares(taken: Claim) -> bool:
    return taken.kind in HANDLERS and HANDLERS[taken.kind].shares_transaction


def _run_rows(runtime: Runtime, taken: Claim, lane: str, worker: str, pace: Pace) -> tuple[Claim | None, int]:
    """Run the claimed row, record its end and claim the lane's next row; returns that claim (None when the drain
    stops) and how many rows ended. A handler that shares the transaction commits its writes with its row's end, and
    the next row, if its kind shares too, runs in the same transaction (up to pacing.BATCH_ROWS rows or BATCH_S seconds). A
    claim that ran out takes the writes back. A row that did not end as done rolls the transaction back: the first
    row's end is then recorded on its own; a later row's failure makes the first row (whose claim was committed
    before) run again alone, and the rest of the drain run a row per transaction (the others' claims went with the
    rollback: they are claimed again). A database error inside a handler, even one it caught, spoils the shared
    transaction: the row runs again at once in transactions of its own, as it would have without sharing."""
    outcome: Outcome | None = None
    if _shares(taken):
        first, ran, started = taken, 0, time.monotonic()
        try:
            with transaction(runtime.sessions) as session:
                while True:
                    outcome = _run_joined(session, runtime, taken)
                    if outcome is None or outcome.state != DONE:
                        raise _Undone
                    if _record(session, taken, outcome) == "lost":
                        outcome = _LOST
                        raise _Undone
                    ran += 1
                    following = _next_claim(session, runtime, lane, worker, pace)
                    if (following is None or not _shares(following) or ran >= pace.batch_rows
                            or time.monotonic() - started >= pacing.BATCH_S):
                        return following, ran
                    forget_waiting(session)  # the next row may be one this transaction found waiting
                    taken = following
        except _Undone:
            if taken is not first:
                pace.batch_rows = 1
                taken, outcome = first, None
    if outcome is _LOST:
        with transaction(runtime.sessions) as session:
            return _next_claim(session, runtime, lane, worker, pace), 1
    return _end(runtime, taken, outcome or execute(runtime, taken),
                lambda session, _ended: (_next_claim(session, runtime, lane, worker, pace), 1))


def _run_joined(session: Session, runtime: Runtime, taken: Claim) -> Outcome | None:
    """Run the row's handler in `session`'s transaction; None when a database error spoiled the transaction."""
    with joined_transaction(session) as joined:
        outcome = execute(runtime, taken)
        if outcome.state == DONE:
            _close_as_part_of_the_handler(session, joined, outcome)
            _flush_as_part_of_the_handler(session, joined)
    return None if joined.failed else outcome


def _close_as_part_of_the_handler(session: Session, joined: Joined, outcome: Outcome) -> None:
    """A sharing handler's closing writes (`finish_with`) join its transaction; failing, they spoil it."""
    if outcome.closing is not None and not joined.failed:
        try:
            outcome.closing(session)
        except Exception:
            joined.failed = True


def _flush_as_part_of_the_handler(session: Session, joined: Joined) -> None:
    """Send the handler's pending writes now, so a write the database refuses counts as the handler's error
    (tried again in its own transactions, ending as its policy says) instead of breaking the row's end."""
    try:
        session.flush()
    except Exception:
        joined.failed = True


def _next_claim(session: Session, runtime: Runtime, lane: str, worker: str, pace: Pace) -> Claim | None:
    if pace.goes_on(runtime, lane):
        return _claim_in(session, lane, worker, utcnow())
    ring_after_commit(session, lane)  # more may be due: other lanes first, then this one again
    return None


def drain(lane: str) -> int:
    """The RQ job behind every bell (hub/outbox/bells.py). With the database away there is nothing to claim:
    say so in a line and end; the rows wait, and the sweeper rings again once it is back."""
    try:
        return drain_lane(get_runtime(), lane, budget_s=DRAIN_BUDGET_S)
    except DBAPIError as exc:
        log.warning("the database is unreachable (%s); %s waits for the next bell",
                    str(exc.orig or exc).splitlines()[0], lane)
        return 0
