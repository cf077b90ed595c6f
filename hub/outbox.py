"""Outbox and relay: work is written in the same transaction as the change that causes it, and handed
to RQ only after that transaction commits. If Redis is down or loses the job, the sweeper finds the row."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import Delivery, DeliveryEvent, OutboxItem
from hub.jobs.routes import HANDLERS, routes_for
from hub.webhooks.matching import anyone_subscribed

if TYPE_CHECKING:
    from hub.runtime import Runtime

log = logging.getLogger(__name__)
_PENDING = "hub.jobs_after_commit"
_RUNTIME = "hub.runtime"


@dataclass(frozen=True)
class PendingJob:
    func: str
    args: tuple[Any, ...]
    queue: str
    policy: str
    job_id: str


def schedule_after_commit(session: Session, job: PendingJob) -> None:
    session.info.setdefault(_PENDING, []).append(job)


def add_outbox(
    session: Session, *, tenant_id: str, kind: str, payload: dict[str, Any], event_id: str | None = None
) -> OutboxItem:
    if kind not in HANDLERS:
        raise ValueError(f"no outbox handler for {kind!r}")
    item = OutboxItem(tenant_id=tenant_id, kind=kind, payload=payload, event_id=event_id)
    session.add(item)
    session.flush()  # assigns the id the job will carry
    handler = HANDLERS[kind]
    schedule_after_commit(
        session, PendingJob("hub.jobs.outbox.run_outbox_item", (item.id,), handler.queue, handler.policy, outbox_job_id(item.id))
    )
    return item


def add_outbox_for_event(session: Session, event: DeliveryEvent, delivery: Delivery) -> None:
    """The work an event causes (hub/jobs/routes.py), in the event's own transaction."""
    for route in routes_for(event.type, event.data or {}):
        if route.from_store and delivery.installation_id is None:
            continue
        if route.subscribed and not anyone_subscribed(session, event.tenant_id, event.type):
            continue
        add_outbox(session, tenant_id=event.tenant_id, kind=route.kind, event_id=event.id,
                   payload={"event_id": event.id, "event_type": event.type, "delivery_id": delivery.id})


def outbox_job_id(item_id: int) -> str:
    return f"outbox-{item_id}"


def install_relay(sessions: sessionmaker[Session]) -> None:
    event.listen(sessions, "after_commit", _relay)
    event.listen(sessions, "after_rollback", lambda session: session.info.pop(_PENDING, None))


def bind_runtime(sessions: sessionmaker[Session], runtime: "Runtime") -> None:
    sessions.configure(info={_RUNTIME: runtime})


def _relay(session: Session) -> None:
    from hub.jobs.enqueue import enqueue

    pending: list[PendingJob] = session.info.pop(_PENDING, [])
    runtime = session.info.get(_RUNTIME)
    if not pending or runtime is None:
        return
    for job in pending:
        try:
            enqueue(runtime, job.func, *job.args, queue=job.queue, policy_name=job.policy, job_id=job.job_id)
        except RedisError as exc:  # the row is committed: the sweeper will enqueue it later
            log.warning("could not enqueue %s now (%s); the sweeper will retry", job.job_id, exc)
