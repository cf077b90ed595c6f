"""The sweeper: re-enqueues committed work that the queue lost (Redis restarted, a worker was killed).

The database says what is still to do (pending inbox items, unprocessed outbox rows); Redis only
says whether a job for it is alive. Deterministic job ids make re-enqueueing a no-op when it is.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from sqlalchemy import or_, select

from hub.db.models import InboxItem, OutboxItem, utcnow
from hub.inbox import ingest_job_id
from hub.jobs.enqueue import LIVE_STATES, enqueue
from hub.jobs.routes import HANDLERS
from hub.outbox import outbox_job_id
from hub.runtime import Runtime

log = logging.getLogger(__name__)

# Work younger than this is still being handed over by the after-commit relay: leave it alone.
GRACE_S = 10
# How often the worker's sweeper thread looks; short enough that lost work resumes within a minute.
SWEEP_INTERVAL_S = 15
# Enough rows per pass to catch up after an outage without one pass holding the database for long.
BATCH = 500


@dataclass(frozen=True)
class SweepResult:
    inbox: int
    outbox: int
    abandoned: int


def requeue_abandoned(runtime: Runtime) -> int:
    """Jobs whose worker died mid-run stay 'started' until their heartbeat expires; RQ's own
    maintenance moves them to failed. Count them so the sweeper's log says what it found."""
    total = 0
    for queue in runtime.queues():
        registry = StartedJobRegistry(queue=queue)
        before = registry.count
        registry.cleanup()
        total += max(0, before - registry.count)
    return total


def sweep(runtime: Runtime, *, grace_s: float = GRACE_S) -> SweepResult:
    cutoff = utcnow() - timedelta(seconds=grace_s)
    abandoned = requeue_abandoned(runtime)
    with runtime.sessions() as session:
        inbox_ids = session.execute(
            select(InboxItem.id).where(InboxItem.state == "pending", InboxItem.received_at <= cutoff)
            .order_by(InboxItem.id).limit(BATCH)
        ).scalars().all()
        outbox_rows = session.execute(
            select(OutboxItem.id, OutboxItem.kind).where(
                OutboxItem.processed_at.is_(None), OutboxItem.created_at <= cutoff,
                or_(OutboxItem.retry_at.is_(None), OutboxItem.retry_at <= utcnow()))
            .order_by(OutboxItem.id).limit(BATCH)
        ).all()
    inbox = 0
    for item_id in inbox_ids:
        if _lost(runtime, ingest_job_id(item_id)):
            enqueue(runtime, "hub.jobs.ingest.process_inbox_item", item_id, queue="ingest", policy_name="ingest",
                    job_id=ingest_job_id(item_id))
            inbox += 1
    outbox = 0
    for item_id, kind in outbox_rows:
        handler = HANDLERS.get(kind)
        if handler is None or not _lost(runtime, outbox_job_id(item_id)):
            continue
        enqueue(runtime, "hub.jobs.outbox.run_outbox_item", item_id, queue=handler.queue,
                policy_name=handler.policy, job_id=outbox_job_id(item_id))
        outbox += 1
    if inbox or outbox or abandoned:
        log.info("sweeper: re-enqueued %d inbox and %d outbox items; %d abandoned jobs", inbox, outbox, abandoned)
    return SweepResult(inbox, outbox, abandoned)


def _lost(runtime: Runtime, job_id: str) -> bool:
    """True when Redis has no job that will run this work. A job that used up its retries is not
    lost: it stays in the dead-letter view until someone replays it."""
    try:
        job = Job.fetch(job_id, connection=runtime.redis, serializer=runtime.queue("ingest").serializer)
    except NoSuchJobError:
        return True
    return job.get_status(refresh=False) not in (*LIVE_STATES, JobStatus.FAILED)


def run_periodically(runtime: Runtime, stop: threading.Event, interval_s: float = SWEEP_INTERVAL_S) -> None:
    while not stop.wait(interval_s):
        try:
            sweep(runtime)
        except Exception:  # the sweeper must outlive a database or Redis hiccup
            log.exception("sweeper pass failed; trying again in %ss", interval_s)
