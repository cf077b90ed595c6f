"""What the work ledger holds right now, per kind (pending, claimed, retrying, dead, how late the oldest is), and
deliveries that wait because nobody can take them.

Read from the database alone, so it answers while Redis is down. `hub status` and `GET /api/v1/status` show
it; /healthz uses `late_s` to say the pipeline is degraded.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, func, select

from hub.db.models import Delivery, Lease, OutboxItem, Tenant, WorkerBeat, utcnow
from hub.db.models.fleet import Carrier, Depot

if TYPE_CHECKING:
    from hub.runtime import Runtime

# Work that only waits for its time (the next poll of a store) never makes the hub "busy".
PERIODIC_KINDS = ("poll",)
# A worker not heard from for this long is gone (it beats every 5 s).
WORKER_GONE_S = 30.0
# /healthz says "degraded" when due work has waited longer than this: with a live worker, due work starts
# within seconds, so five minutes means the workers are stuck, gone, or far behind.
HEALTH_LATE_S = 300.0


@dataclass
class KindStatus:
    pending: int = 0  # due or scheduled, never tried
    claimed: int = 0  # a worker is on it now
    retrying: int = 0  # tried and failed, waiting for its next try
    dead: int = 0  # failed for good: in the dead-letter view
    oldest_pending_s: float | None = None  # how long the longest-waiting due row has been due


@dataclass
class WorkStatus:
    quiet: bool
    work: dict[str, KindStatus]
    workers: dict[str, Any]
    sweeper: dict[str, Any]
    late_s: float | None = None  # the oldest due row's wait, over all kinds
    at: str = ""
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _seconds(now: datetime, moment: datetime | None) -> float | None:
    """Seconds since `moment` (aware: the aggregates keep the columns' UtcDateTime type)."""
    return None if moment is None else max(0.0, round((now - moment).total_seconds(), 1))


def work_status(runtime: "Runtime", tenant_id: str | None = None, now: datetime | None = None) -> WorkStatus:
    now = now or utcnow()
    held = and_(OutboxItem.state == "pending", OutboxItem.lease_until.is_not(None), OutboxItem.lease_until >= now)
    free = and_(OutboxItem.state == "pending", ~held)
    query = select(
        OutboxItem.kind,
        func.sum(case((and_(free, OutboxItem.attempts == 0), 1), else_=0)),
        func.sum(case((held, 1), else_=0)),
        func.sum(case((and_(free, OutboxItem.attempts > 0), 1), else_=0)),
        func.sum(case((OutboxItem.state == "dead", 1), else_=0)),
        func.min(case((and_(free, OutboxItem.due_at <= now), OutboxItem.due_at), else_=None)),
    ).where(OutboxItem.state.in_(("pending", "dead"))).group_by(OutboxItem.kind)
    if tenant_id is not None:
        query = query.where(OutboxItem.tenant_id == tenant_id)
    since = now - timedelta(seconds=WORKER_GONE_S)
    with runtime.sessions() as session:
        rows = session.execute(query).all()
        workers = list(session.execute(select(WorkerBeat.id).where(WorkerBeat.beat_at >= since)
                                       .order_by(WorkerBeat.id)).scalars())
        role = session.get(Lease, "sweeper")
        unassignable = _waiting_without_capacity(session, tenant_id)
    work = {kind: KindStatus(int(p or 0), int(c or 0), int(r or 0), int(d or 0), _seconds(now, oldest))
            for kind, p, c, r, d, oldest in sorted(rows)}
    busy = [k for k, s in work.items() if k not in PERIODIC_KINDS and (s.pending or s.claimed or s.retrying)]
    lates = [s.oldest_pending_s for s in work.values() if s.oldest_pending_s is not None]
    notes = []
    if busy and not workers:
        notes.append("work is waiting and no worker is running: start one with `hub worker`")
    for tenant, count in unassignable:
        notes.append(f"{count} deliver{'y' if count == 1 else 'ies'} of tenant {tenant} cannot be assigned: it has no "
                     "depot or carrier set up (GET /api/v1/deliveries/<id>/assignment says so per delivery)")
    return WorkStatus(
        quiet=not busy, work=work, workers={"alive": len(workers), "names": workers},
        sweeper={"holder": role.holder if role else None, "alive": bool(role and role.until >= now)},
        late_s=max(lates) if lates else None, at=now.isoformat(), notes=notes)


def describe(status: WorkStatus) -> str:
    """The status as a few lines for people."""
    lines = [f"{'quiet: nothing is waiting' if status.quiet else 'busy'}; "
             f"{status.workers['alive']} worker(s) alive; sweeper: "
             f"{status.sweeper['holder'] if status.sweeper['alive'] else 'none'}"]
    if status.work:
        lines.append(f"{'kind':<18}{'pending':>8}{'claimed':>8}{'retrying':>9}{'dead':>6}  oldest due")
        for kind, s in status.work.items():
            oldest = f"{s.oldest_pending_s:.0f} s" if s.oldest_pending_s is not None else "-"
            lines.append(f"{kind:<18}{s.pending:>8}{s.claimed:>8}{s.retrying:>9}{s.dead:>6}  {oldest}")
    lines.extend(status.notes)
    return "\n".join(lines)



def _waiting_without_capacity(session: Any, tenant_id: str | None) -> list[tuple[str, int]]:
    """(tenant name, deliveries) for tenants whose received deliveries nobody can take: no depot, no carrier."""
    query = (select(Tenant.name, func.count(Delivery.id)).join(Tenant, Tenant.id == Delivery.tenant_id)
             .where(Delivery.status == "received", ~Delivery.tenant_id.in_(select(Depot.tenant_id)),
                    ~Delivery.tenant_id.in_(select(Carrier.tenant_id)))
             .group_by(Tenant.name).order_by(Tenant.name))
    if tenant_id is not None:
        query = query.where(Delivery.tenant_id == tenant_id)
    return [(name, int(count)) for name, count in session.execute(query).all()]
