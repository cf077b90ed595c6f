"""Which windows of a day are open for one drop-off: the slot query the API, the picker, Shopify's checkout and
the next-attempt page all ask.

A window is open when one covering depot's day (hub/slots/day.py) has a vehicle that can take the stop inside
it: cheapest insertion over the remaining routes, with time windows, capacity and shift limits. Otherwise it
says why: `outside_coverage` (no active depot covers the address), `cut_off_passed` (the window starts too
soon, per the tenant's cut-off or the depot's same-day cut-off time) or `full`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.assignment.geo import contains, matches_prefix, road_km
from hub.db.models.fleet import Depot
from hub.intake.known_addresses import known_point
from hub.intake.quality import area_of
from hub.planning.builder import day_origin, hhmm_s
from hub.slots.day import DayPicture, load_day, service_model
from hub.slots.insertion import cheapest
from hub.slots.settings import SlotSettings, day_windows, load_settings

REASONS = {
    "full": "the vehicles serving this address have no room left in this window",
    "cut_off_passed": "too late to book this window",
    "outside_coverage": "no depot delivers to this address",
}


@dataclass(frozen=True)
class Drop:
    """Where and what: the point (given, else a known address's, the postal area's centre, or the depot's as a
    last resort)."""

    postal_code: str
    country: str
    point: tuple[float, float] | None
    weight_g: int = 0
    volume_cm3: int = 0
    parcels: int = 1
    street: str = ""  # the street line, to find the address among those the tenant delivered to
    city: str = ""

    @property
    def demand(self) -> tuple[int, int, int]:
        return (self.weight_g, self.volume_cm3, max(self.parcels, 1))


@dataclass(frozen=True)
class WindowAnswer:
    start: datetime
    end: datetime
    open: bool
    reason: str | None = None
    depot_id: str | None = None
    vehicle_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"start": self.start.isoformat(), "end": self.end.isoformat(), "open": self.open}
        if self.reason:
            out["reason"] = self.reason
            out["reason_text"] = REASONS[self.reason]
        if self.depot_id:
            out["depot_id"] = self.depot_id
        return out


@dataclass(frozen=True)
class SlotAnswer:
    day: date
    windows: list[WindowAnswer]
    location_source: str  # given | known_address | postal_area | depot | none
    depot_ids: list[str]
    point: tuple[float, float] | None = None  # where the stop was tried


def covers(depot: Depot, drop: Drop) -> bool:
    """The assignment engine's coverage rule (hub/assignment/engine.py): postal prefixes or polygons; none: all."""
    coverage = depot.coverage or {}
    prefixes, polygons = coverage.get("postal_prefixes") or [], coverage.get("polygons") or []
    if not prefixes and not polygons:
        return True
    if prefixes and matches_prefix(drop.postal_code, prefixes):
        return True
    return bool(polygons and drop.point and any(contains(p, drop.point) for p in polygons))


def covering_depots(session: Session, tenant_id: str, drop: Drop) -> list[Depot]:
    """Active depots with coordinates that cover the drop-off, nearest first (as the engine ranks on distance)."""
    depots = session.execute(select(Depot).where(Depot.tenant_id == tenant_id, Depot.active.is_(True))
                             .order_by(Depot.id)).scalars()
    found = [d for d in depots if d.lat is not None and d.lng is not None and covers(d, drop)]
    if drop.point is not None:
        point = drop.point
        found.sort(key=lambda d: road_km((d.lat, d.lng), point))
    return found


def locate(session: Session, tenant_id: str, drop: Drop,
           depot_country: str) -> tuple[tuple[float, float] | None, str]:
    """Where to try the stop, and how it was found: given | known_address | postal_area | none."""
    if drop.point is not None:
        return drop.point, "given"
    country = drop.country or depot_country
    if drop.street:
        known = known_point(session, tenant_id, drop.street, drop.postal_code, drop.city, country)
        if known is not None:
            return known, "known_address"
    area = area_of(country, drop.postal_code)
    if area is not None:
        return (area[1].lat, area[1].lng), "postal_area"
    return None, "none"


def cut_off(settings: SlotSettings, depot: Depot, start: datetime, now: datetime) -> bool:
    if start - timedelta(minutes=settings.cutoff_minutes) < now:
        return True
    local_now = now.astimezone(start.tzinfo)
    if depot.cutoff_time and start.date() == local_now.date():  # the depot's same-day cut-off
        return local_now.hour * 3600 + local_now.minute * 60 >= hhmm_s(depot.cutoff_time)
    return False


def _try(picture: DayPicture, point: tuple[float, float], service_s: int, span: tuple[int, int],
         demand: tuple[int, int, int]) -> str | None:
    found = cheapest(picture.routes, picture.schedules, point, service_s, span, demand, picture.travel,
                     picture.not_before)
    return found.vehicle_id if found is not None else None


def slots_for(session: Session, tenant_id: str, day: date, drop: Drop, now: datetime, *,
              exclude_reservation: str | None = None) -> SlotAnswer:
    settings = load_settings(session, tenant_id)
    now = now.astimezone(timezone.utc)
    depots = covering_depots(session, tenant_id, drop)
    first = depots[0] if depots else None
    point, source = locate(session, tenant_id, drop, str(((first.address or {}) if first else {}).get("country", "")))
    if point is not None and drop.point is None:  # the point found may fall under a polygon the postal code did not
        depots = depots or covering_depots(session, tenant_id, Drop(drop.postal_code, drop.country, point))
    spans = day_windows(settings)
    if not depots:
        base = day_origin(day, 0)
        return SlotAnswer(day, [WindowAnswer(base + timedelta(seconds=s), base + timedelta(seconds=e), False,
                                             "outside_coverage") for s, e in spans], source, [])
    if point is None:  # no coordinates and an unknown postal area: the nearest depot's door, and the answer says so
        point, source = (float(depots[0].lat), float(depots[0].lng)), "depot"
    model = service_model(session, tenant_id)
    service_s = model.predict("", "", drop.parcels)
    pictures = [load_day(session, d, day, now, exclude_reservation=exclude_reservation) for d in depots]
    answers = []
    for s, e in spans:
        origin = pictures[0].origin
        start, end = origin + timedelta(seconds=s), origin + timedelta(seconds=e)
        if cut_off(settings, pictures[0].depot, start, now):
            answers.append(WindowAnswer(start, end, False, "cut_off_passed"))
            continue
        answer = WindowAnswer(start, end, False, "full")
        for picture in pictures:
            local = (int((start - picture.origin).total_seconds()), int((end - picture.origin).total_seconds()))
            vehicle = _try(picture, point, service_s, local, drop.demand)
            if vehicle is not None:
                answer = WindowAnswer(start, end, True, None, picture.depot.id, vehicle)
                break
        answers.append(answer)
    return SlotAnswer(day, answers, source, [d.id for d in depots], point)
