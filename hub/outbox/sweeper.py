"""The sweeper: rings the bell of every lane that has due work nobody is running, whatever Redis says.

Work is a row in the database (hub/outbox/rows.py); the bell in Redis is only a wake-up call. A bell can be lost
(Redis restarted, a worker killed between popping it and starting it), and a claim can be orphaned (its
worker killed mid-row: the lease runs out). Either way the row stays due and claimable, and the sweeper's
next pass rings its lane again. One sweeper runs at a time: the role is a lease in the database
(`hub_leases`) that any worker takes over within seconds of its holder dying.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError

from hub.db.engine import transaction
from hub.db.models import Lease, OutboxItem, utcnow
from hub.outbox.bells import ring
from hub.outbox.relay import claimable
from hub.runtime import Runtime

log = logging.getLogger(__name__)

SWEEPER_ROLE = "sweeper"
# How often the sweeper looks: a lost bell or a dead worker's row waits at most this long beyond its lease.
SWEEP_INTERVAL_S = 2.0
# The sweeper's lease: its holder renews it every pass; if it dies, another worker takes over after this.
ROLE_LEASE_S = 10.0
# Due work older than this was not picked up by its first bell: worth a line in the log.
LATE_S = 10.0


@dataclass(frozen=True)
class SweepResult:
    rung: tuple[str, ...]  # lanes whose bell was rung
    due: int  # rows due and unclaimed (or whose lease ran out)
    late: int  # of those, due for longer than LATE_S


def take_role(runtime: Runtime, holder: str, role: str = SWEEPER_ROLE, lease_s: float = ROLE_LEASE_S) -> bool:
    """Hold `role` for `lease_s` more seconds if nobody else holds it; True when we do."""
    now = utcnow()
    until = now + timedelta(seconds=lease_s)
    try:
        with transaction(runtime.sessions) as session:
            row = session.get(Lease, role, with_for_update=True)
            if row is None:
                session.add(Lease(name=role, holder=holder, until=until))
                return True
            if row.holder != holder and row.until > now:
                return False
            row.holder, row.until = holder, until
            return True
    except IntegrityError:  # another worker created the row first: it holds the role
        return False


def release_role(runtime: Runtime, holder: str, role: str = SWEEPER_ROLE) -> None:
    """Give the role up at a clean stop, so another worker takes it at once."""
    with transaction(runtime.sessions) as session:
        row = session.get(Lease, role, with_for_update=True)
        if row is not None and row.holder == holder:
            session.delete(row)


def sweep(runtime: Runtime) -> SweepResult:
    """One pass: ring every lane with due, unclaimed work."""
    now = utcnow()
    late_before = now - timedelta(seconds=LATE_S)
    with runtime.sessions() as session:
        lanes = session.execute(
            select(OutboxItem.lane, func.count(), func.sum(case((OutboxItem.due_at < late_before, 1), else_=0)))
            .where(*claimable(now)).group_by(OutboxItem.lane)).all()
    due = sum(count for _, count, _ in lanes)
    late = sum(int(n or 0) for _, _, n in lanes)
    rung = tuple(ring(runtime, [lane for lane, _, _ in lanes])) if lanes else ()
    if late:
        log.info("sweeper: %d rows due for over %.0f s (a lost bell or a stopped worker); rang %s",
                 late, LATE_S, ", ".join(rung) or "nothing (bells already waiting)")
    return SweepResult(rung, due, late)
