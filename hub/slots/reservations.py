"""Holding a window: a reservation counts as a planned stop of its depot's day until it expires, is released,
or is confirmed by the order carrying its id (hub/intake/reservations.py).

Two shoppers asking for the last room of a day at once must not both get it: a hold takes the tenant's Redis
lock, re-checks the window with the slot engine inside it, and writes before letting go (a hold takes
milliseconds, so one lock per tenant costs nothing and cannot be split by two callers writing different offsets).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import redis
from sqlalchemy.orm import Session

from hub.canonical.ids import sortable_id
from hub.db.models.slots import SlotReservation
from hub.slots.engine import REASONS, Drop, SlotAnswer, WindowAnswer, covering_depots, slots_for
from hub.slots.settings import load_settings

# A hold's check and write take milliseconds; a lock left by a dead process frees itself after this.
LOCK_TIMEOUT_S = 10
# How long a second shopper waits for the first one's hold to be written before being told to retry.
LOCK_WAIT_S = 5


class SlotRefused(Exception):
    """The window cannot be held: `reason` is full / cut_off_passed / outside_coverage / not_a_window."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message


@dataclass(frozen=True)
class Hold:
    reservation: SlotReservation
    answer: WindowAnswer


@contextmanager
def hold_lock(client: redis.Redis, tenant_id: str) -> Iterator[None]:
    lock = client.lock(f"slots:{tenant_id}", timeout=LOCK_TIMEOUT_S, blocking_timeout=LOCK_WAIT_S)
    if not lock.acquire():
        raise SlotRefused(503, "busy", "another reservation is being written; try again in a moment")
    try:
        yield
    finally:
        try:
            lock.release()
        except redis.exceptions.LockError:  # expired under us: nothing to release
            pass


def pick(answer: SlotAnswer, start: datetime) -> WindowAnswer:
    for window in answer.windows:
        if window.start == start:
            return window
    offered = ", ".join(w.start.isoformat() for w in answer.windows) or "none"
    raise SlotRefused(409, "not_a_window", f"{start.isoformat()} is not the start of a window that day "
                      f"(windows start at {offered})")


def hold(session: Session, tenant_id: str, drop: Drop, start: datetime, now: datetime, *,
         channel: str = "api", replacing: str | None = None) -> Hold:
    """Hold the window starting at `start` (an aware time) for `drop`; SlotRefused (409) when it is not open.
    Call inside `hold_lock` and a transaction. `replacing` leaves that hold out of the check (moving a hold)."""
    settings = load_settings(session, tenant_id)
    depots = covering_depots(session, tenant_id, drop)
    offset = timedelta(minutes=depots[0].utc_offset_min or 0) if depots else (start.utcoffset() or timedelta(0))
    try:
        local_day = start.astimezone(timezone(offset)).date()  # the depot's day, whatever offset the caller wrote
    except OverflowError:  # 0001-01-01T00:00Z east of Greenwich: a day before the calendar's first
        raise SlotRefused(409, "not_a_window", f"{start.isoformat()} is not the start of a window") from None
    answer = slots_for(session, tenant_id, local_day, drop, now, exclude_reservation=replacing)
    window = pick(answer, start)
    if not window.open or window.depot_id is None:
        reason = window.reason or "full"
        raise SlotRefused(409, reason, f"the window {window.start.isoformat()}..{window.end.isoformat()} is not "
                          f"open: {REASONS[reason]}")
    point = answer.point or (0.0, 0.0)  # set whenever a depot covers the drop-off, as here
    row = SlotReservation(
        id=sortable_id("slr_"), tenant_id=tenant_id, depot_id=window.depot_id, plan_date=local_day,
        window_start=window.start.astimezone(timezone.utc), window_end=window.end.astimezone(timezone.utc),
        utc_offset_min=int(offset.total_seconds() // 60), lat=point[0], lng=point[1],
        postal_code=drop.postal_code, weight_g=drop.weight_g, volume_cm3=drop.volume_cm3, parcels=max(drop.parcels, 1),
        state="held", expires_at=now + timedelta(minutes=settings.hold_minutes), channel=channel,
    )
    session.add(row)
    if replacing:
        release(session, tenant_id, replacing)
    session.flush()
    return Hold(row, window)


def release(session: Session, tenant_id: str, reservation_id: str) -> SlotReservation | None:
    row = session.get(SlotReservation, reservation_id)
    if row is None or row.tenant_id != tenant_id:
        return None
    if row.state == "held":
        row.state = "released"
    return row


def get(session: Session, tenant_id: str, reservation_id: str) -> SlotReservation | None:
    row = session.get(SlotReservation, reservation_id)
    return row if row is not None and row.tenant_id == tenant_id else None


def describe(row: SlotReservation, now: datetime) -> dict[str, object]:
    tz = timezone(timedelta(minutes=row.utc_offset_min))
    state = "expired" if row.state == "held" and row.expires_at <= now else row.state
    return {"id": row.id, "state": state, "depot_id": row.depot_id, "date": row.plan_date.isoformat(),
            "window": {"start": row.window_start.astimezone(tz).isoformat(),
                       "end": row.window_end.astimezone(tz).isoformat()},
            "expires_at": row.expires_at.astimezone(timezone.utc).isoformat(), "delivery_id": row.delivery_id}
