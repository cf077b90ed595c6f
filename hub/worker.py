"""The hub's worker: RQ on every lane, a heartbeat that keeps its claims, and (when elected) the sweeper.

Jobs run in the worker's own process by default (no fork per job): the database pool, the compiled SQL and
every table a connector loaded stay warm from one row to the next. `--fork` runs each job in a forked
work horse, as plain RQ does; the child then drops the parent's pooled connections (hub/runtime.py).

The worker rides out outages: when Redis or the database goes away it says so in one line, waits and
reconnects with backoff, and says so again when it is back. It never exits on a transient outage.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from datetime import datetime, timedelta

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import SimpleWorker, Worker
from sqlalchemy import delete, func, select

from hub.canonical.validation import validator
from hub.db.engine import transaction
from hub.db.models import OutboxItem, WorkerBeat, utcnow
from hub.intake.polling import schedule_all_polls
from hub.outbox import pacing
from hub.outbox import relay as work
from hub.outbox import running
from hub.outbox.kinds import HANDLERS
from hub.outbox.sweeper import SWEEP_INTERVAL_S, release_role, sweep, take_role
from hub.runtime import LANE_ORDER, Runtime, get_runtime
from hub.startup import FIRST_RETRY_S, MAX_RETRY_S

log = logging.getLogger("hub.worker")

# How often a worker says it is alive and renews the leases of the rows it runs (a lease is 15 s, hub/outbox/relay.py).
BEAT_INTERVAL_S = 5.0
# A worker silent this long has its beat row dropped (`hub status` stops counting it after WORKER_GONE_S).
FORGET_WORKER_S = 300.0

# Modules every job needs, imported once at start so the first rows do not pay for it.
JOB_MODULES = ("hub.jobs.ingest", "hub.outbox.relay", "hub.writeback.stores")


def warm_up(runtime: Runtime) -> None:
    import importlib


    for module in (*JOB_MODULES, *{h.func.rsplit(".", 1)[0] for h in HANDLERS.values()}):
        importlib.import_module(module)
    runtime.registry.load_all()
    validator("delivery_input.v1")


class Housekeeper(threading.Thread):
    """Beats, renews this worker's leases, and sweeps while it holds the sweeper's role. Survives outages."""

    def __init__(self, runtime: Runtime, name: str) -> None:
        super().__init__(name="hub-housekeeper", daemon=True)
        self.runtime, self.worker_name = runtime, name
        self.stop = threading.Event()
        self.failing: str | None = None
        self.sweeping = False

    def run(self) -> None:
        next_beat = 0.0
        while not self.stop.is_set():
            try:
                self.runtime.redis.ping()
                if time.monotonic() >= next_beat:
                    self.beat()
                    next_beat = time.monotonic() + BEAT_INTERVAL_S
                self.sweep_if_elected()
                self._recovered()
            except Exception as exc:  # a database or Redis outage: say so once, keep trying
                self._failed(exc)
            self.stop.wait(SWEEP_INTERVAL_S)

    def beat(self) -> None:
        now = utcnow()
        work.renew(self.runtime, running.identity(), running.held(), now)
        with transaction(self.runtime.sessions) as session:
            row = session.get(WorkerBeat, self.worker_name)
            if row is None:
                session.add(WorkerBeat(id=self.worker_name, host=socket.gethostname(), pid=os.getpid(),
                                       started_at=now, beat_at=now))
            else:
                row.beat_at = now
            session.execute(delete(WorkerBeat).where(WorkerBeat.beat_at < now - timedelta(seconds=FORGET_WORKER_S)))

    def sweep_if_elected(self) -> None:
        elected = take_role(self.runtime, self.worker_name)
        if elected != self.sweeping:
            log.info("%s the sweeper", "this worker is now" if elected else "this worker is no longer")
            self.sweeping = elected
        if elected:
            sweep(self.runtime)

    def _failed(self, exc: Exception) -> None:
        what = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        if self.failing is None:
            log.warning("cannot reach Redis or the database (%s); waiting, trying again every %.0f s",
                        what, SWEEP_INTERVAL_S)
        self.failing = what

    def _recovered(self) -> None:
        if self.failing is not None:
            log.info("Redis and the database are reachable again")
            self.failing = None

    def close(self) -> None:
        self.stop.set()
        self.join(timeout=5)
        try:
            if self.sweeping:
                release_role(self.runtime, self.worker_name)
            with transaction(self.runtime.sessions) as session:
                session.execute(delete(WorkerBeat).where(WorkerBeat.id == self.worker_name))
        except Exception:  # leaving anyway; the lease and the beat run out by themselves
            log.debug("could not sign off", exc_info=True)


def make_worker(runtime: Runtime, name: str | None = None, *, fork: bool = False,
                lanes: tuple[str, ...] = LANE_ORDER) -> Worker:
    queues = [runtime.queue(lane) for lane in lanes]
    worker_class = Worker if fork else SimpleWorker
    return worker_class(queues, connection=runtime.redis, serializer=queues[0].serializer, name=name)


def wait_for_redis(runtime: Runtime) -> None:
    """Block until Redis answers: one line when it is unreachable, one when it is back. The runtime's own URL,
    so the hub's embedded Redis is waited for too (hub/startup.py knows only a configured one)."""
    delay, said = FIRST_RETRY_S, False
    while True:
        try:
            runtime.redis.ping()
            if said:
                log.info("Redis is reachable again")
            return
        except (RedisError, OSError) as exc:
            if not said:
                log.warning("Redis is unreachable (%s); waiting for it, retrying every %g-%g s", exc,
                            FIRST_RETRY_S, MAX_RETRY_S)
                said = True
            time.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_S)


class QuietOutages(logging.Filter):
    """RQ logs a line (and a traceback) for every reconnect try while Redis is away; the worker says it
    once itself, when the state changes, so those repeats are dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if "could not connect to Redis" in text:
            return False
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, (RedisConnectionError, RedisTimeoutError))


def run_worker(runtime: Runtime | None = None, *, burst: bool = False, name: str | None = None,
               fork: bool = False, lanes: tuple[str, ...] | None = None) -> bool:
    """Run until stopped (or, with burst, until no work is due). Returns whether work was done. `lanes`
    limits the lanes served (default: all, route last, so plans run when the pipeline lanes have nothing due)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("rq.worker").addFilter(QuietOutages())
    runtime = runtime or get_runtime()
    name = name or f"{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:6]}"
    running.set_identity(name)
    warm_up(runtime)
    if burst:
        return drain_all(runtime, wait_for_leases=True) > 0
    schedule_all_polls(runtime)  # connectors that pull (Magento) poll on a schedule of their own
    wait_for_redis(runtime)
    served = lanes or LANE_ORDER
    pacing.set_served_lanes(tuple(lane for lane in LANE_ORDER if lane in served))
    keeper = Housekeeper(runtime, name)
    keeper.start()
    worked = False
    try:
        attempt = 0
        while True:
            wait_for_redis(runtime)
            attempt += 1
            rq_worker = make_worker(runtime, f"{name}.{attempt}", fork=fork, lanes=served)
            try:
                worked = rq_worker.work(with_scheduler=False, logging_level="INFO") or worked
            except (RedisConnectionError, RedisTimeoutError) as exc:
                log.warning("lost Redis while working (%s); reconnecting", exc)
                continue
            # SIGTERM / SIGINT: RQ notes when a stop was asked for (idle or busy); anything else was a crash of its loop
            if rq_worker._stop_requested or rq_worker._shutdown_requested_date is not None:
                return worked
            log.warning("the RQ worker stopped on its own (see above); starting it again")
            time.sleep(1)
    finally:
        keeper.close()


def drain_all(runtime: Runtime, *, worker: str | None = None, rounds: int = 50,
              wait_for_leases: bool = False) -> int:
    """Run every due row of every lane in this process until none is due (burst mode, tests). With
    `wait_for_leases`, rows still claimed by a worker that died are waited for until their lease runs out
    (at most LEASE_S), and then run too: a recovery run after a crash leaves nothing behind."""
    total = 0
    for _ in range(rounds):
        ran = sum(work.drain_lane(runtime, lane, worker=worker) for lane in LANE_ORDER)
        total += ran
        if ran:
            continue
        until = _held_until(runtime) if wait_for_leases else None
        if until is None:
            break
        time.sleep(max(0.0, min((until - utcnow()).total_seconds(), work.LEASE_S)) + 0.1)
    return total


def _held_until(runtime: Runtime) -> datetime | None:
    """When the last lease on due work runs out (None when no due work is claimed)."""
    now = utcnow()
    with runtime.sessions() as session:
        return session.scalar(select(func.max(OutboxItem.lease_until)).where(  # aware: max keeps UtcDateTime
            OutboxItem.state == "pending", OutboxItem.due_at <= now, OutboxItem.lease_until >= now))
