"""A depot's day, planned under a lock: now (the API, the CLI) or a few seconds from now (debounced).

One plan of a day is computed at a time (a Redis lock per tenant + depot + day); asking for a later plan
adds one waiting "plan_day" work row per day (its dedupe key), so a burst of assignments is planned once.
Each run re-plans from the stored previous version when there is one (planner.py).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any, Iterator

from sqlalchemy.exc import IntegrityError

from hub.db.engine import transaction
from hub.db.models import utcnow
from hub.errors import TransientError
from hub.outbox.rows import pending_with_key, schedule_once
from hub.planning.planner import compute, persist, time_limit_for
from hub.runtime import Runtime, get_runtime

# A burst of assignments (a store's morning import, a CSV upload) lands within a few seconds; waiting 5 s
# after the first lets one plan cover the whole burst instead of re-planning once per delivery.
DEBOUNCE_S = 5
# Upper bound on a solve the API or a setting may ask for: five minutes is plenty for a depot's day.
MAX_TIME_LIMIT_S = 300.0
# The day's lock lives for the plan's own time limit plus this (loading and saving), and its planner renews it
# every LOCK_RENEW_S while it runs: a worker killed mid-solve blocks the day about as long as its solve would
# have taken, not for the longest allowed solve. (OR-Tools holds the GIL while it searches, so no renewal can
# happen during a solve: the lock must outlast the solve by itself.)
LOCK_MARGIN_S = 60
LOCK_RENEW_S = 10
# How long a caller waits for another plan of the same day: the longest allowed solve, plus loading and saving.
LOCK_WAIT_S = MAX_TIME_LIMIT_S + 120
PLAN_KIND = "plan_day"


def lock_name(tenant_id: str, depot_id: str, plan_date: str) -> str:
    return f"plan:{tenant_id}:{depot_id}:{plan_date}"


def plan_depot_day(tenant_id: str, depot_id: str, plan_date: str, time_limit_s: float | None = None,
                   trigger: str = "job", *, wait_s: float | None = None) -> dict[str, Any]:
    """Plan (or re-plan) the day and store it as the next version. Idempotent enough to run twice: the
    second run re-plans from the first's result and changes nothing a customer sees unless inputs moved."""
    runtime = get_runtime()
    day = date.fromisoformat(plan_date)
    limit = min(float(time_limit_s), MAX_TIME_LIMIT_S) if time_limit_s else None
    with runtime.sessions() as session:
        solve_s = min(time_limit_for(session, tenant_id, limit), MAX_TIME_LIMIT_S)
    with _day_lock(runtime, lock_name(tenant_id, depot_id, plan_date), solve_s + LOCK_MARGIN_S,
                   LOCK_WAIT_S if wait_s is None else wait_s,
                   f"another plan for {depot_id} on {plan_date} is being computed"):
        with runtime.sessions() as session:
            comp = compute(session, tenant_id, depot_id, day, time_limit_s=limit, now=utcnow())
        if comp is None:
            return {"status": "nothing_to_plan", "depot_id": depot_id, "date": plan_date}
        stale = {"status": "stale", "depot_id": depot_id, "date": plan_date}
        try:
            with transaction(runtime.sessions) as session:
                row = persist(session, comp, trigger=trigger)
                if row is None:  # a newer version was stored meanwhile; it stands
                    return stale
                return {"status": "planned", "plan_id": row.id, "version": row.version, "depot_id": depot_id,
                        "date": plan_date, "unassigned": row.unassigned}
        except IntegrityError:  # a writer without the lock took this version number first (uq_route_plan_version)
            return stale


@contextmanager
def _day_lock(runtime: Runtime, name: str, ttl_s: float, wait_s: float, busy: str) -> Iterator[None]:
    """Hold the day's Redis lock while the block runs, renewing it from a thread; TransientError(busy) when
    another plan of the day still holds it after `wait_s`. A lock lost meanwhile (Redis restarted) only lets a
    second plan run at once: versions are unique, so the later one to save is stale."""
    # thread_local=False: the renewing thread must see the token the acquiring thread got.
    lock = runtime.redis.lock(name, timeout=ttl_s, blocking_timeout=wait_s, thread_local=False)
    if not lock.acquire():
        raise TransientError(busy, retry_after_s=30)
    done = threading.Event()

    def renew() -> None:
        while not done.wait(LOCK_RENEW_S):
            try:
                lock.reacquire()
            except Exception:  # expired or Redis away: nothing left to renew
                return

    renewer = threading.Thread(target=renew, name="plan-day-lock", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        done.set()
        renewer.join()
        try:
            lock.release()
        except Exception:  # expired under us: nothing to release
            pass


def job_id_for(tenant_id: str, depot_id: str, plan_date: str) -> str:
    return f"plan-{tenant_id}-{depot_id}-{plan_date}"


def schedule_plan(runtime: Runtime, tenant_id: str, depot_id: str, plan_date: str, *, delay_s: float = DEBOUNCE_S,
                  time_limit_s: float | None = None, trigger: str = "debounce") -> str:
    """Ask for a plan of the day in `delay_s` seconds; joins a plan already waiting. While one runs, a
    follow-up is added, so a change arriving mid-solve is planned right after it. Returns the plan's key."""
    key = job_id_for(tenant_id, depot_id, plan_date)
    payload = {"tenant_id": tenant_id, "depot_id": depot_id, "date": plan_date, "time_limit_s": time_limit_s,
               "trigger": trigger}
    with transaction(runtime.sessions) as session:
        schedule_once(session, tenant_id=tenant_id, kind=PLAN_KIND, payload=payload, dedupe_key=key,
                      due_at=utcnow() + timedelta(seconds=max(0.0, delay_s)))
    return key


def plan_pending(runtime: Runtime, tenant_id: str, depot_id: str, plan_date: str) -> bool:
    """Whether a plan of the day is waiting or being computed."""
    with runtime.sessions() as session:
        return pending_with_key(session, job_id_for(tenant_id, depot_id, plan_date))


