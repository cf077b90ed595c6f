"""The outbox: every piece of work is a row, written in the same transaction as the change that causes it.

Rows carry their own state, due time and lease (hub/db/models.py `OutboxItem`); workers claim and run them
(hub/outbox/relay.py). After the transaction commits, the relay rings the bell of each lane that got work
due now (hub/outbox/bells.py); if Redis is down or loses the bell, the sweeper rings it again. Nothing is
lost, because nothing but the bell was ever in Redis.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from redis.exceptions import RedisError
from rq.utils import import_attribute
from sqlalchemy import bindparam, event, insert, literal, or_, select
from sqlalchemy.orm import Session

from hub.db.engine import transaction_memo
from hub.db.models import Delivery, DeliveryEvent, OutboxItem, utcnow
from hub.outbox.bells import ring
from hub.outbox.kinds import HANDLERS, triggers_for
from hub.runtime import RUNTIME_KEY

log = logging.getLogger(__name__)
_LANES = "hub.lanes_to_ring"


def ring_after_commit(session: Session, lane: str) -> None:
    session.info.setdefault(_LANES, set()).add(lane)


def add_outbox(
    session: Session, *, tenant_id: str, kind: str, payload: dict[str, Any], event_id: str | None = None,
    due_at: datetime | None = None, dedupe_key: str | None = None,
) -> OutboxItem:
    """A row of work of `kind`, due now or at `due_at`, in the caller's transaction, with its id."""
    item = OutboxItem(**_row(tenant_id, kind, payload, event_id, due_at, dedupe_key))
    session.add(item)
    session.flush()  # assigns the id callers read
    if item.due_at <= utcnow():
        ring_after_commit(session, item.lane)
    return item


def work_row(*, tenant_id: str, kind: str, payload: dict[str, Any], event_id: str | None = None,
             dedupe_key: str | None = None) -> dict[str, Any]:
    """The values of a row of work due now, for `add_outbox_rows`."""
    return _row(tenant_id, kind, payload, event_id, None, dedupe_key)


def add_outbox_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Rows of work due now that nobody reads back (an event's work), inserted through their table at once, in one
    statement: as objects of the unit of work they were inserted with RETURNING for ids nobody read, a fifth of a
    submission's commit. At once, so the transaction's next statements see them and a savepoint that rolls back
    takes them with it."""
    if not rows:
        return
    session.connection().execute(insert(OutboxItem.__table__), rows)
    for lane in {row["lane"] for row in rows}:
        ring_after_commit(session, lane)


def _row(tenant_id: str, kind: str, payload: dict[str, Any], event_id: str | None, due_at: datetime | None,
         dedupe_key: str | None) -> dict[str, Any]:
    if kind not in HANDLERS:
        raise ValueError(f"no outbox handler for {kind!r}")
    now = utcnow()
    return {"tenant_id": tenant_id, "kind": kind, "lane": HANDLERS[kind].queue, "event_id": event_id,
            "payload": payload, "state": "pending", "dedupe_key": dedupe_key, "created_at": now,
            "due_at": due_at or now, "claimed_by": None, "lease_until": None, "processed_at": None, "attempts": 0,
            "last_error": None}


def pending_with_key(session: Session, dedupe_key: str) -> bool:
    """Whether a row with this key is waiting or being run."""
    return session.execute(select(OutboxItem.id).where(
        OutboxItem.dedupe_key == dedupe_key, OutboxItem.state == "pending").limit(1)).first() is not None


def schedule_once(session: Session, *, tenant_id: str, kind: str, payload: dict[str, Any], dedupe_key: str,
                  due_at: datetime) -> OutboxItem | None:
    """Scheduled work that must not pile up (a depot's debounced plan, an installation's next poll): a row is
    added only when none with this key is waiting. A row being run does not count, so a change that arrives
    while it runs gets a follow-up. Returns the new row, or None when one was already waiting."""
    if waiting(session, dedupe_key):
        return None
    return add_outbox(session, tenant_id=tenant_id, kind=kind, payload=payload, due_at=due_at,
                      dedupe_key=dedupe_key)


def waiting(session: Session, dedupe_key: str) -> bool:
    """Whether a row with this key waits to be claimed. The row found is locked until the caller commits (on
    PostgreSQL; SQLite runs one writer at a time), so no worker claims and runs it before the change that relies
    on it is visible: a claim skips locked rows, and a row claimed meanwhile no longer counts as waiting."""
    now = utcnow()
    # No autoflush: rows this transaction added are in its memo (`add_outbox_for_event`), and flushing here would
    # write the delivery's UPDATE before its next event could ride in it (hub/ledger/events.py).
    with session.no_autoflush:
        row = session.execute(select(OutboxItem.id).where(*_waiting_where(dedupe_key, now)).limit(1)
                              .with_for_update()).first()
    return row is not None


def _waiting_where(dedupe_key: Any, now: Any) -> tuple[Any, ...]:
    return (OutboxItem.dedupe_key == dedupe_key, OutboxItem.state == "pending",
            or_(OutboxItem.claimed_by.is_(None), OutboxItem.lease_until < now))


PER_DELIVERY = tuple(kind for kind, handler in HANDLERS.items() if handler.per_delivery)


def per_delivery_key(kind: str, delivery_id: str) -> str:
    """The dedupe key of a kind kept at one waiting row per delivery."""
    return f"{kind}:{delivery_id}"


def waiting_columns(delivery_id: Any) -> list[Any]:
    """Columns for the statement that locks a delivery (hub/ledger/events.py `lock_delivery`): for each kind kept at
    one waiting row per delivery, that row's id if one waits, locked as `waiting` locks it. The status change that
    follows then needs no query to know (`note_waiting`); bind p_waiting_now."""
    now = bindparam("p_waiting_now", type_=OutboxItem.lease_until.type)
    keys = {kind: literal(per_delivery_key(kind, "")) + delivery_id for kind in PER_DELIVERY}  # the key, in SQL
    return [select(OutboxItem.id).where(*_waiting_where(keys[kind], now)).limit(1).with_for_update()
            .scalar_subquery().label(f"waiting_{kind}") for kind in PER_DELIVERY]


def note_waiting(session: Session, delivery_id: str, row: Any) -> None:
    """What `waiting_columns` said about the delivery, in this transaction's memo."""
    memo = transaction_memo(session, WAITING)
    for kind in PER_DELIVERY:
        memo[per_delivery_key(kind, delivery_id)] = getattr(row, f"waiting_{kind}") is not None


WAITING = "waiting rows"  # transaction memo: dedupe key -> whether a row with it waits to be claimed
CREATED = "created deliveries"  # transaction memo: ids of deliveries this transaction created
TENANT_WANTS = "tenant wants"  # transaction memo: (check, tenant id) -> the answer of a trigger's tenant_wants


def created_here(session: Session, delivery_id: str) -> None:
    """The delivery was created in this transaction: no row of its work can be waiting yet (no query to ask)."""
    transaction_memo(session, CREATED)[delivery_id] = True


def forget_waiting(session: Session) -> None:
    """The transaction goes on to run claimed rows (hub/outbox/relay.py batches): a row it found waiting, or added,
    may be the one it claims next, so whether a row waits is asked again."""
    for name in (WAITING, CREATED):
        transaction_memo(session, name).clear()


def add_outbox_for_event(session: Session, event: DeliveryEvent, delivery: Delivery) -> None:
    """The work an event causes (hub/outbox/kinds.py), in the event's own transaction."""
    rows_waiting, rows = transaction_memo(session, WAITING), []
    for trigger in triggers_for(event.type, event.data or {}):
        if trigger.from_store and delivery.installation_id is None:
            continue
        if trigger.tenant_wants and not _tenant_wants(session, trigger.tenant_wants, event.tenant_id):
            continue
        key = per_delivery_key(trigger.kind, delivery.id) if HANDLERS[trigger.kind].per_delivery else None
        if key:
            if key not in rows_waiting:
                rows_waiting[key] = delivery.id not in transaction_memo(session, CREATED) and waiting(session, key)
            if rows_waiting[key]:
                continue  # the waiting row will read this event too
            rows_waiting[key] = True  # the row added now (locked until this transaction ends)
        rows.append(work_row(tenant_id=event.tenant_id, kind=trigger.kind, event_id=event.id, dedupe_key=key,
                             payload={"event_id": event.id, "event_type": event.type, "delivery_id": delivery.id}))
    add_outbox_rows(session, rows)


def _tenant_wants(session: Session, check: str, tenant_id: str) -> bool:
    answers = transaction_memo(session, TENANT_WANTS)
    if (check, tenant_id) not in answers:
        with session.no_autoflush:  # the rows added so far go in with the rest, in one INSERT at the flush
            answers[check, tenant_id] = import_attribute(check)(session, tenant_id)
    return bool(answers[check, tenant_id])


def _relay(session: Session) -> None:
    lanes: set[str] = session.info.pop(_LANES, set())
    runtime = session.info.get(RUNTIME_KEY)
    if not lanes or runtime is None:
        return
    try:
        ring(runtime, lanes)
    except RedisError as exc:  # the rows are committed: the sweeper rings for them later
        log.warning("could not ring %s now (%s); the sweeper will", ", ".join(sorted(lanes)), exc)


# Every session of the process rings after it commits: a session built by hub.runtime knows its runtime
# (session.info), and one that added no due rows has nothing to ring. Rolled back work rings nothing.
event.listen(Session, "after_commit", _relay)
event.listen(Session, "after_rollback", lambda session: session.info.pop(_LANES, None))
