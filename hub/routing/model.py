"""Solver-neutral routing model: plain frozen dataclasses in, plain frozen dataclasses out.

Units (all integers unless said otherwise):
- time: seconds from the planning day's origin (`Problem.origin`, ISO datetime, or None for abstract days);
- durations matrix: seconds of driving, `durations[i][j]` from location index i to j;
- distances matrix: metres;
- demand and capacity: one integer per dimension, named by `Problem.dimension_names`
  (e.g. grams, cm3, parcels);
- money: cost_per_km per 1000 m, cost_per_hour per 3600 s, fixed_cost per used vehicle (any currency).
Benchmark files with abstract units (Solomon, VRPLIB) use `Problem.scale` integer ticks per file unit,
and their travel times are rounded UP so a plan feasible in integers is feasible in exact arithmetic.
Locations are either geographic (`Location(lat, lng)`) or planar (`Location.xy(x, y)`); solvers never
read them, they only use matrix indices. Coordinates are kept for rendering.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any, Literal

Matrix = list[list[int]]
StopKind = Literal["delivery", "pickup"]

# Reason codes for stops the plan does not serve (Unassigned.reason).
REASONS: dict[str, str] = {
    "no_vehicle_with_features": "no vehicle carries the features the stop requires",
    "skills": "no vehicle's driver has the skills the stop requires",
    "capacity": "the stop's demand exceeds every vehicle's capacity",
    "window_unreachable": "no vehicle can reach the stop inside its time windows and shift",
    "shift_too_short": "the stop fits a window but no shift or working-time limit leaves room to serve it and return",
    "pair_incomplete": "the pickup-and-delivery pair is missing its other half",
    "no_capacity_left": "the stop fits a vehicle alone, but the fleet is full with other stops",
    "dropped_for_cost": "serving the stop costs more than its drop penalty, or the solver found no room in time",
    "locked_vehicle_unavailable": "the stop is locked to a vehicle that cannot serve it",
    "cancelled": "the stop was cancelled",
}


@dataclass(frozen=True)
class Location:
    """A point: geographic (lat/lng degrees) or planar (x = lng, y = lat, abstract units)."""

    lat: float
    lng: float
    planar: bool = False

    @classmethod
    def xy(cls, x: float, y: float) -> Location:
        return cls(lat=float(y), lng=float(x), planar=True)

    @property
    def x(self) -> float:
        return self.lng

    @property
    def y(self) -> float:
        return self.lat


@dataclass(frozen=True)
class TimeWindow:
    """[start, end] in seconds from the day's origin; service must START inside it."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"time window ends before it starts: {self.start}..{self.end}")

    def contains(self, t: int) -> bool:
        return self.start <= t <= self.end


@dataclass(frozen=True)
class Break:
    """A break of `duration_s` that must start inside `window`."""

    window: TimeWindow
    duration_s: int


def eligible(stop: Stop, vehicle: Vehicle) -> bool:
    """Whether the vehicle has every feature and its driver every skill the stop needs."""
    return stop.required_features <= vehicle.features and stop.required_skills <= vehicle.skills


@dataclass(frozen=True)
class Depot:
    id: str
    location_index: int
    location: Location | None = None
    time_window: TimeWindow | None = None


@dataclass(frozen=True)
class Vehicle:
    """A vehicle and its driver. start_index/end_index are matrix indices (usually a depot's)."""

    id: str
    start_index: int
    end_index: int
    capacity: tuple[int, ...]
    shift: TimeWindow
    features: frozenset[str] = frozenset()
    skills: frozenset[str] = frozenset()
    fixed_cost: float = 0.0
    cost_per_km: float = 1.0
    cost_per_hour: float = 0.0
    max_work_s: int | None = None
    breaks: tuple[Break, ...] = ()
    vehicle_type: str = "van"
    # Travel time = base duration / speed_factor (2.0 = twice as fast), unless Problem.durations
    # holds a matrix for this vehicle_type, which is then used as is.
    speed_factor: float = 1.0


@dataclass(frozen=True)
class Stop:
    id: str
    location_index: int
    location: Location | None = None
    service_s: int = 0
    time_windows: tuple[TimeWindow, ...] = ()  # empty = any time inside the vehicle's shift
    demand: tuple[int, ...] = ()  # empty = zero in every dimension
    required_features: frozenset[str] = frozenset()
    required_skills: frozenset[str] = frozenset()
    priority: int = 0  # 0..n, dropping a higher-priority stop costs more
    kind: StopKind = "delivery"
    pair_id: str | None = None  # a pickup and a delivery with the same pair_id ride the same vehicle
    locked_vehicle: str | None = None
    locked_sequence: int | None = None  # 0-based position on the locked vehicle's route


@dataclass(frozen=True)
class Problem:
    depots: tuple[Depot, ...]
    vehicles: tuple[Vehicle, ...]
    stops: tuple[Stop, ...]
    durations: Matrix | dict[str, Matrix]
    distances: Matrix
    origin: str | None = None
    dimension_names: tuple[str, ...] = ("units",)
    name: str = ""
    scale: int = 1  # integer ticks per unit of the source file (1 for real seconds and metres)

    def __post_init__(self) -> None:
        n = len(self.distances)
        for label, mat in self._matrices():
            if len(mat) != n or any(len(row) != n for row in mat):
                raise ValueError(f"{label} matrix must be {n}x{n}")
        dims = len(self.dimension_names)
        for v in self.vehicles:
            if len(v.capacity) != dims:
                raise ValueError(f"vehicle {v.id}: capacity has {len(v.capacity)} dimensions, expected {dims}")
            for idx in (v.start_index, v.end_index):
                if not 0 <= idx < n:
                    raise ValueError(f"vehicle {v.id}: location index {idx} outside the matrix")
        for s in self.stops:
            if s.demand and len(s.demand) != dims:
                raise ValueError(f"stop {s.id}: demand has {len(s.demand)} dimensions, expected {dims}")
            if not 0 <= s.location_index < n:
                raise ValueError(f"stop {s.id}: location index {s.location_index} outside the matrix")
        ids = [s.id for s in self.stops]
        if len(set(ids)) != len(ids):
            raise ValueError("stop ids must be unique")

    def _matrices(self) -> list[tuple[str, Matrix]]:
        if isinstance(self.durations, dict):
            return [(f"durations[{k}]", m) for k, m in self.durations.items()]
        return [("durations", self.durations)]

    @property
    def n_dims(self) -> int:
        return len(self.dimension_names)

    def demand_of(self, stop: Stop) -> tuple[int, ...]:
        return stop.demand if stop.demand else (0,) * self.n_dims

    def duration_matrix(self, vehicle: Vehicle) -> Matrix:
        """The travel-time matrix this vehicle drives on (seconds, rounded up)."""
        if isinstance(self.durations, dict):
            if vehicle.vehicle_type in self.durations:
                return self.durations[vehicle.vehicle_type]
            base = self.durations.get("default") or next(iter(self.durations.values()))
        else:
            base = self.durations
        if vehicle.speed_factor == 1.0:
            return base
        key = (vehicle.vehicle_type, vehicle.speed_factor)
        if key not in self._scaled:
            f = vehicle.speed_factor
            self._scaled[key] = [[math.ceil(d / f) for d in row] for row in base]
        return self._scaled[key]

    @cached_property
    def _scaled(self) -> dict[tuple[str, float], Matrix]:
        return {}

    @cached_property
    def _stops_by_id(self) -> dict[str, Stop]:
        return {s.id: s for s in self.stops}

    @cached_property
    def _vehicles_by_id(self) -> dict[str, Vehicle]:
        return {v.id: v for v in self.vehicles}

    def stop(self, stop_id: str) -> Stop:
        return self._stops_by_id[stop_id]

    def vehicle(self, vehicle_id: str) -> Vehicle:
        return self._vehicles_by_id[vehicle_id]


# ---------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Visit:
    stop_id: str
    arrival: int
    wait: int
    service_start: int
    departure: int
    load_after: tuple[int, ...]
    location_index: int = -1


@dataclass(frozen=True)
class BreakTaken:
    start: int
    duration_s: int


@dataclass(frozen=True)
class Route:
    vehicle_id: str
    visits: tuple[Visit, ...]
    distance_m: int
    duration_s: int
    cost: float
    start_time: int
    end_time: int
    breaks_taken: tuple[BreakTaken, ...] = ()


@dataclass(frozen=True)
class Unassigned:
    stop_id: str
    reason: str  # a key of REASONS
    message: str = ""


@dataclass(frozen=True)
class RoutePlan:
    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    objective: float
    backend: str
    solve_time_s: float
    notes: tuple[str, ...] = field(default=())

    @property
    def vehicles_used(self) -> int:
        return sum(1 for r in self.routes if r.visits)

    @property
    def total_distance_m(self) -> int:
        return sum(r.distance_m for r in self.routes)

    @property
    def total_duration_s(self) -> int:
        return sum(r.duration_s for r in self.routes)

    @property
    def total_cost(self) -> float:
        return sum(r.cost for r in self.routes)

    def route_of(self, vehicle_id: str) -> Route | None:
        return next((r for r in self.routes if r.vehicle_id == vehicle_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "objective": self.objective,
            "solve_time_s": round(self.solve_time_s, 3),
            "totals": {
                "vehicles_used": self.vehicles_used,
                "distance_m": self.total_distance_m,
                "duration_s": self.total_duration_s,
                "cost": round(self.total_cost, 4),
                "unassigned": len(self.unassigned),
            },
            "routes": [asdict(r) for r in self.routes if r.visits],
            "unassigned": [asdict(u) for u in self.unassigned],
            "notes": list(self.notes),
        }
