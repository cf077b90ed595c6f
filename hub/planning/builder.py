"""Deliveries + depot + vehicles + drivers -> a solver `Problem` (pure: rows in, dataclasses out).

Times are seconds from the depot's local midnight of the plan date (`Problem.origin`). Demand has three
dimensions (grams, cm3, parcels) taken the way the assignment engine reads a delivery (hub.assignment.facts_of),
so a delivery the engine found room for fits the same vehicle here. Travel is priced by the offline
haversine provider at a base van speed; each vehicle's own speed scales it (Vehicle.speed_factor).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from hub.assignment import facts_of
from hub.canonical.fields import parse_aware_timestamp
from hub.planning.codec import MATRIX_VEHICLE_TYPE, problem_to_dict, provider_for
from hub.routing.matrix import DEFAULT_ROAD_FACTOR
from hub.routing.model import Depot, Location, Problem, Stop, TimeWindow, Vehicle
from hub.routing.service_time import ServiceTimeModel

DIMENSIONS = ("weight_g", "volume_cm3", "parcels")
# A vehicle with no stated capacity in a dimension is not limited by it; 10^9 g = 1000 t, far above any van.
UNLIMITED = 1_000_000_000
# The base speed of the travel matrix: the haversine provider's urban van average (hub/routing/matrix.py).
BASE_SPEED_KMH = 30.0
# Plans reach into the next morning: a late shift may end after midnight, so the horizon is two days.
HORIZON_S = 2 * 86_400
PRIORITY = {"low": 0, "standard": 1, "high": 2, "vip": 3}


@dataclass(frozen=True)
class Built:
    problem: Problem
    stored: dict[str, Any]  # the problem as stored with the plan (codec.problem_to_dict)
    drivers: dict[str, str | None]  # vehicle id -> driver id
    skipped: dict[str, str] = field(default_factory=dict)  # delivery id -> why it cannot be routed at all


def day_origin(plan_date: date, utc_offset_min: int) -> datetime:
    """The depot's local midnight of `plan_date`, as an aware datetime."""
    return datetime.combine(plan_date, time(0), tzinfo=timezone(timedelta(minutes=utc_offset_min)))


def delivery_day(doc: Mapping[str, Any], utc_offset_min: int) -> date | None:
    """The depot-local day a delivery is due: its promised window's start, else its end; None if it has none."""
    window = doc.get("promised_window") or {}
    moment = parse_aware_timestamp(window.get("start")) or parse_aware_timestamp(window.get("end"))
    if moment is None:
        return None
    return moment.astimezone(timezone(timedelta(minutes=utc_offset_min))).date()


def hhmm_s(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def _window(doc: Mapping[str, Any], origin: datetime) -> tuple[TimeWindow, ...] | None:
    """() for no window, None when the window lies wholly outside the planning horizon."""
    window = doc.get("promised_window") or {}
    start, end = parse_aware_timestamp(window.get("start")), parse_aware_timestamp(window.get("end"))
    if start is None and end is None:
        return ()
    s = 0 if start is None else max(0, int((start - origin).total_seconds()))
    e = HORIZON_S if end is None else min(HORIZON_S, int((end - origin).total_seconds()))
    return (TimeWindow(s, e),) if s <= e else None


def _shift(driver: Any) -> TimeWindow:
    start, end = hhmm_s(driver.shift_start), hhmm_s(driver.shift_end)
    if end <= start:  # an overnight shift ends the next day
        end += 86_400
    return TimeWindow(start, end)


def _cap(value: int | None) -> int:
    return UNLIMITED if value is None else int(value)


def address_key(address: Mapping[str, Any]) -> str:
    parts = [address.get(k, "") for k in ("line1", "unit", "postal_code", "country")]
    return ", ".join(str(p) for p in parts if p)


def pair_fleet(vehicles: Iterable[Any], drivers: Iterable[Any]) -> list[tuple[Any, Any]]:
    """(vehicle, driver) for every active vehicle with an available driver assigned to it."""
    by_vehicle: dict[str, Any] = {}
    for d in sorted(drivers, key=lambda d: d.id):
        if d.available and d.vehicle_id and d.vehicle_id not in by_vehicle:
            by_vehicle[d.vehicle_id] = d
    return [(v, by_vehicle[v.id]) for v in sorted(vehicles, key=lambda v: v.id) if v.active and v.id in by_vehicle]


def build_problem(
    depot: Any,
    fleet: Sequence[tuple[Any, Any]],
    deliveries: Sequence[Mapping[str, Any]],
    plan_date: date,
    *,
    service_times: ServiceTimeModel | None = None,
    road_factor: float = DEFAULT_ROAD_FACTOR,
) -> Built:
    """`depot`, vehicles and drivers are rows (hub.db.models.fleet) or anything with the same attributes;
    `deliveries` are canonical delivery documents."""
    if depot.lat is None or depot.lng is None:
        raise ValueError(f"depot {depot.id} has no coordinates; set its lat and lng")
    model = service_times or ServiceTimeModel()
    origin = day_origin(plan_date, depot.utc_offset_min or 0)
    points: list[tuple[float, float]] = [(float(depot.lat), float(depot.lng))]
    stops: list[Stop] = []
    skipped: dict[str, str] = {}
    for doc in sorted(deliveries, key=lambda d: d["id"]):
        address = (doc.get("dropoff") or {}).get("address") or {}
        geo = address.get("geo")
        if not geo:
            skipped[doc["id"]] = "the drop-off address has no coordinates (geo); geocode it to route it"
            continue
        windows = _window(doc, origin)
        if windows is None:
            skipped[doc["id"]] = f"the promised window lies outside the planning day {plan_date.isoformat()}"
            continue
        facts = facts_of(dict(doc))
        points.append((float(geo["lat"]), float(geo["lng"])))
        stops.append(Stop(
            id=doc["id"], location_index=len(points) - 1, location=Location(float(geo["lat"]), float(geo["lng"])),
            service_s=model.predict(address_key(address), str(address.get("building_type", "")), facts.parcels),
            time_windows=windows, demand=(facts.weight_g, facts.volume_cm3, facts.parcels),
            required_features=frozenset(facts.features),
            required_skills=frozenset((doc.get("requirements") or {}).get("skills", [])),
            priority=PRIORITY.get(str(doc.get("priority_tier", "standard")), 1),
        ))
    vehicles = tuple(Vehicle(
        id=v.id, start_index=0, end_index=0,
        capacity=(_cap(v.capacity_weight_g), _cap(v.capacity_volume_cm3), _cap(v.capacity_parcels)),
        shift=_shift(d), features=frozenset(v.features or ()), skills=frozenset(d.skills or ()),
        cost_per_km=float(v.cost_per_km or 0), cost_per_hour=float(v.cost_per_hour or 0),
        max_work_s=int(d.max_hours * 3600) if d.max_hours else None, vehicle_type=MATRIX_VEHICLE_TYPE,
        speed_factor=float(v.speed_kmh or BASE_SPEED_KMH) / BASE_SPEED_KMH,
    ) for v, d in fleet)
    matrix = {"provider": "haversine", "road_factor": road_factor, "base_speed_kmh": BASE_SPEED_KMH}
    m = provider_for(matrix).matrices(points, MATRIX_VEHICLE_TYPE)
    problem = Problem(
        depots=(Depot(depot.id, 0, Location(float(depot.lat), float(depot.lng))),), vehicles=vehicles,
        stops=tuple(stops), durations=m.durations_s, distances=m.distances_m, origin=origin.isoformat(),
        dimension_names=DIMENSIONS, name=f"{depot.name} {plan_date.isoformat()}",
    )
    drivers = {v.id: d.id for v, d in fleet}
    return Built(problem, problem_to_dict(problem, points, matrix, drivers), drivers, skipped)
