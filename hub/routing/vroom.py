"""VROOM's JSON input format in, VROOM's JSON output format out (docs/API.md of VROOM-Project/vroom).

`read_vroom` turns a VROOM problem into our `Problem`: jobs become stops `job:<id>`, shipments a
pair `pickup:<id>` + `delivery:<id>`, vehicles keep their id as a string. Travel comes from the
input's `matrices` (per profile) or legacy `matrix`, else from a `MatrixProvider` on the
coordinates (great-circle by default). `write_vroom` (in `vroom_output.py`) maps a `RoutePlan`
back to VROOM's output. `solve_vroom_file` is what `hub route solve --vroom FILE` calls.
Pure translation, except `solve_vroom_file`, which reads the file.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.routing.formats.vroom_output import write_vroom
from hub.routing.matrix import UNREACHABLE, HaversineProvider, IntMatrix, LatLng, MatrixProvider, SpeedProfile
from hub.routing.model import Break, Depot, Location, Problem, Stop, TimeWindow, Vehicle
from hub.routing.solve import solve

DEFAULT_PROFILE = "car"  # VROOM's default vehicle profile

# Great-circle fallback speeds for VROOM's usual profile names (urban door-to-door averages; see
# matrix.DEFAULT_SPEEDS_KMH for the reasoning): car as a van, foot at walking pace.
PROFILE_SPEEDS_KMH: Mapping[str, float] = {"car": 30.0, "van": 30.0, "driving": 30.0, "truck": 25.0,
                                           "hgv": 25.0, "bike": 15.0, "cycling": 15.0, "foot": 5.0}

# VROOM's default vehicle costs: per_hour 3600 makes cost equal to travel seconds.
DEFAULT_PER_HOUR = 3600.0

# Ignored vehicle keys: accepted, solved without, and reported as a warning.
_UNSUPPORTED_VEHICLE_KEYS = ("max_tasks", "max_travel_time", "max_distance", "steps")


class VroomInputError(ValueError):
    """The input is not a VROOM problem we can solve (VROOM's output code 2)."""


@dataclass(frozen=True)
class TaskRef:
    """What a stop of ours was in the VROOM input."""

    type: str  # job, pickup or delivery
    id: int
    description: str | None = None


@dataclass(frozen=True)
class VroomProblem:
    """Our problem plus what is needed to answer in VROOM's terms."""

    problem: Problem
    tasks: dict[str, TaskRef]  # stop id -> VROOM task
    vehicle_ids: dict[str, Any]  # our vehicle id -> VROOM id
    vehicle_descriptions: dict[str, str]
    break_ids: dict[str, tuple[int, ...]]  # our vehicle id -> VROOM break ids, in input order
    coordinates: dict[int, list[float]]  # matrix index -> [lon, lat] as given in the input
    from_indices: bool  # the input addressed locations by index (echo location_index back)
    open_index: int | None  # zero-cost index standing for "no start" / "no end"
    warnings: tuple[str, ...] = field(default=())


# ---------------------------------------------------------------------- reading


class _Locations:
    """Assigns matrix indices to locations, either given (`*_index`) or by distinct coordinates."""

    def __init__(self, from_indices: bool, size: int) -> None:
        self.from_indices = from_indices
        self.size = size
        self.coordinates: dict[int, list[float]] = {}
        self._by_coord: dict[tuple[float, float], int] = {}

    def index(self, obj: Mapping[str, Any], what: str, coord_key: str = "location",
              index_key: str = "location_index") -> int | None:
        coord = obj.get(coord_key)
        if coord is not None and (len(coord) != 2 or not all(isinstance(c, int | float) for c in coord)):
            raise VroomInputError(f"{what}: {coord_key} must be [lon, lat], got {coord!r}")
        if self.from_indices:
            idx = obj.get(index_key)
            if idx is None:
                return None
            if not isinstance(idx, int) or not 0 <= idx < self.size:
                raise VroomInputError(f"{what}: {index_key} {idx!r} outside the {self.size}x{self.size} matrix")
            if coord is not None:
                self.coordinates.setdefault(idx, [float(coord[0]), float(coord[1])])
            return idx
        if coord is None:
            return None
        key = (float(coord[0]), float(coord[1]))
        if key not in self._by_coord:
            self._by_coord[key] = len(self._by_coord)
            self.coordinates[self._by_coord[key]] = [key[0], key[1]]
        return self._by_coord[key]

    def points(self) -> list[LatLng]:
        return [(self.coordinates[i][1], self.coordinates[i][0]) for i in range(len(self._by_coord))]


def _amount(obj: Mapping[str, Any], key: str, dims: int, what: str) -> tuple[int, ...]:
    value = obj.get(key) or []
    if value and len(value) != dims:
        raise VroomInputError(f"{what}: {key} has {len(value)} components, other amounts have {dims}")
    if any(not isinstance(v, int) or v < 0 for v in value):
        raise VroomInputError(f"{what}: {key} must be non-negative integers, got {value!r}")
    return tuple(value) if value else (0,) * dims


def _windows(raw: Any, what: str) -> tuple[TimeWindow, ...]:
    try:
        return tuple(TimeWindow(int(s), int(e)) for s, e in (raw or []))
    except (TypeError, ValueError) as exc:
        raise VroomInputError(f"{what}: bad time window {raw!r}: {exc}") from exc


def _skills(raw: Any) -> frozenset[str]:
    return frozenset(str(s) for s in (raw or []))


def _check_matrix(mat: Any, label: str, size: int | None) -> IntMatrix:
    if not isinstance(mat, list) or not mat:
        raise VroomInputError(f"{label} must be a non-empty array of arrays")
    n = size or len(mat)
    if len(mat) != n or any(not isinstance(row, list) or len(row) != n for row in mat):
        raise VroomInputError(f"{label} must be {n}x{n}")
    if any(not isinstance(v, int) or v < 0 for row in mat for v in row):
        raise VroomInputError(f"{label} must hold non-negative integers")
    return [list(row) for row in mat]


def _input_matrices(data: Mapping[str, Any]) -> tuple[dict[str, IntMatrix], dict[str, IntMatrix]] | None:
    """Per-profile durations and distances from `matrices` (or the legacy single `matrix`)."""
    durations: dict[str, IntMatrix] = {}
    distances: dict[str, IntMatrix] = {}
    size: int | None = None
    if isinstance(data.get("matrix"), list):  # VROOM < 1.9: one duration matrix for every profile
        durations["*"] = _check_matrix(data["matrix"], "matrix", None)
        size = len(durations["*"])
    for profile, entry in (data.get("matrices") or {}).items():
        if not isinstance(entry, Mapping):
            raise VroomInputError(f"matrices.{profile} must be an object with durations and/or distances")
        for key, target in (("durations", durations), ("distances", distances)):
            if key in entry:
                target[profile] = _check_matrix(entry[key], f"matrices.{profile}.{key}", size)
                size = len(target[profile])
    return (durations, distances) if durations or distances else None


def read_vroom(data: Mapping[str, Any], *, provider: MatrixProvider | None = None) -> VroomProblem:
    """A VROOM input document as a `Problem`. Raises VroomInputError on anything we cannot read."""
    if not isinstance(data, Mapping):
        raise VroomInputError("a VROOM input is a JSON object")
    jobs, shipments, vehicles = data.get("jobs") or [], data.get("shipments") or [], data.get("vehicles") or []
    if not vehicles:
        raise VroomInputError("no vehicles")
    warnings: list[str] = []
    given = _input_matrices(data)
    if given is None:
        locs = _Locations(from_indices=False, size=0)
    else:
        first = next(iter((given[0] or given[1]).values()))
        locs = _Locations(from_indices=True, size=len(first))

    amount_keys = [(o, k) for o in jobs for k in ("delivery", "pickup", "amount")]
    amount_keys += [(s, "amount") for s in shipments]
    amount_keys += [(v, "capacity") for v in vehicles]
    dims = max([len(o.get(k) or []) for o, k in amount_keys] + [1])

    stops: list[Stop] = []
    tasks: dict[str, TaskRef] = {}

    def add(stop_id: str, ref: TaskRef, obj: Mapping[str, Any], **kw: Any) -> None:
        if stop_id in tasks:
            raise VroomInputError(f"duplicate {ref.type} id {ref.id}")
        idx = locs.index(obj, f"{ref.type} {ref.id}")
        if idx is None:
            need = "location_index" if locs.from_indices else "location"
            raise VroomInputError(f"{ref.type} {ref.id}: {need} is required")
        if obj.get("setup"):
            warnings.append(f"{ref.type} {ref.id}: setup time added to service (applied on every visit)")
        loc = locs.coordinates.get(idx)
        stops.append(Stop(id=stop_id, location_index=idx, location=Location(loc[1], loc[0]) if loc else None,
                          service_s=int(obj.get("setup", 0)) + int(obj.get("service", 0)),
                          time_windows=_windows(obj.get("time_windows"), f"{ref.type} {ref.id}"), **kw))
        tasks[stop_id] = ref

    for job in jobs:
        jid = _int_id(job, "job")
        what = f"job {jid}"
        delivery, pickup = _amount(job, "delivery", dims, what), _amount(job, "pickup", dims, what)
        if "amount" in job and not any(delivery):
            delivery = _amount(job, "amount", dims, what)  # deprecated key, read as a delivery
        if any(delivery) and any(pickup):
            warnings.append(f"{what}: has both delivery and pickup; planned as a delivery, pickup load ignored")
        kind = "pickup" if any(pickup) and not any(delivery) else "delivery"
        add(f"job:{jid}", TaskRef("job", jid, job.get("description")), job,
            demand=pickup if kind == "pickup" else delivery, kind=kind, priority=int(job.get("priority", 0)),
            required_skills=_skills(job.get("skills")))

    for ship in shipments:
        p, d = ship.get("pickup"), ship.get("delivery")
        if not isinstance(p, Mapping) or not isinstance(d, Mapping):
            raise VroomInputError("a shipment needs a pickup and a delivery object")
        pid, did = _int_id(p, "shipment pickup"), _int_id(d, "shipment delivery")
        common = dict(demand=_amount(ship, "amount", dims, f"shipment {pid}"), pair_id=f"shipment:{pid}",
                      priority=int(ship.get("priority", 0)), required_skills=_skills(ship.get("skills")))
        add(f"pickup:{pid}", TaskRef("pickup", pid, p.get("description")), p, kind="pickup", **common)
        add(f"delivery:{did}", TaskRef("delivery", did, d.get("description")), d, kind="delivery", **common)

    ends = []
    for v in vehicles:
        vid = _int_id(v, "vehicle")
        start = locs.index(v, f"vehicle {vid}", "start", "start_index")
        end = locs.index(v, f"vehicle {vid}", "end", "end_index")
        if start is None and end is None:
            raise VroomInputError(f"vehicle {vid}: needs a start or an end")
        ends.append((start, end))

    n_real = locs.size if locs.from_indices else len(locs.points())
    open_index = n_real if any(s is None or e is None for s, e in ends) else None
    profiles = {str(v.get("profile", DEFAULT_PROFILE)) for v in vehicles}
    base_durations, distances = _travel(given, locs, profiles, provider, open_index, warnings)
    horizon = _horizon(data, stops, base_durations)

    built: list[Vehicle] = []
    durations: dict[str, IntMatrix] = {}
    break_ids: dict[str, tuple[int, ...]] = {}
    for v, (start, end) in zip(vehicles, ends):
        vid = str(v["id"])
        profile = str(v.get("profile", DEFAULT_PROFILE))
        factor = float(v.get("speed_factor", 1.0))
        if factor <= 0:
            raise VroomInputError(f"vehicle {vid}: speed_factor must be positive")
        vtype = profile if factor == 1.0 else f"{profile}*{factor:g}"
        if vtype not in durations:  # VROOM divides durations by the speed factor; we round up
            base = base_durations[profile]
            durations[vtype] = base if factor == 1.0 else [[math.ceil(x / factor) for x in row] for row in base]
        for key in _UNSUPPORTED_VEHICLE_KEYS:
            if key in v:
                warnings.append(f"vehicle {vid}: {key} is not supported and was ignored")
        breaks = []
        for b in v.get("breaks") or []:
            tws = _windows(b.get("time_windows"), f"vehicle {vid} break {b.get('id')}")
            if not tws:
                raise VroomInputError(f"vehicle {vid} break {b.get('id')}: needs time_windows")
            if len(tws) > 1:
                warnings.append(f"vehicle {vid} break {b.get('id')}: only its first time window is used")
            breaks.append(Break(window=tws[0], duration_s=int(b.get("service", 0))))
        break_ids[vid] = tuple(int(b.get("id", i)) for i, b in enumerate(v.get("breaks") or []))
        costs = v.get("costs") or {}
        shift = _windows([v["time_window"]], f"vehicle {vid}")[0] if v.get("time_window") else TimeWindow(0, horizon)
        capacity = _amount(v, "capacity", dims, f"vehicle {vid}") if v.get("capacity") else _unlimited(stops, dims)
        built.append(Vehicle(
            id=vid, start_index=open_index if start is None else start, end_index=open_index if end is None else end,
            capacity=capacity, shift=shift, skills=_skills(v.get("skills")),
            fixed_cost=float(costs.get("fixed", 0)), cost_per_hour=float(costs.get("per_hour", DEFAULT_PER_HOUR)),
            cost_per_km=float(costs.get("per_km", 0)), breaks=tuple(breaks), vehicle_type=vtype))
    if len({v.id for v in built}) != len(built):
        raise VroomInputError("duplicate vehicle id")

    depot_indices = sorted({i for v in built for i in (v.start_index, v.end_index) if i != open_index})
    depots = tuple(Depot(id=f"location:{i}", location_index=i, location=_location(locs.coordinates.get(i)))
                   for i in depot_indices)
    try:
        problem = Problem(depots=depots, vehicles=tuple(built), stops=tuple(stops), durations=durations,
                          distances=distances, dimension_names=tuple(f"amount{k}" for k in range(dims)),
                          name=str(data.get("description", "vroom")))
    except ValueError as exc:
        raise VroomInputError(str(exc)) from exc
    return VroomProblem(problem=problem, tasks=tasks, vehicle_ids={str(v["id"]): v["id"] for v in vehicles},
                        vehicle_descriptions={str(v["id"]): v["description"] for v in vehicles if "description" in v},
                        break_ids=break_ids, coordinates=locs.coordinates, from_indices=locs.from_indices,
                        open_index=open_index, warnings=tuple(warnings))


def _int_id(obj: Mapping[str, Any], what: str) -> int:
    value = obj.get("id") if isinstance(obj, Mapping) else None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise VroomInputError(f"every {what} needs a non-negative integer id, got {value!r}")
    return value


def _location(coord: list[float] | None) -> Location | None:
    return Location(lat=coord[1], lng=coord[0]) if coord else None


def _unlimited(stops: Sequence[Stop], dims: int) -> tuple[int, ...]:
    """A vehicle without capacity can carry everything at once."""
    return tuple(sum(s.demand[k] for s in stops) for k in range(dims))


def _travel(
    given: tuple[dict[str, IntMatrix], dict[str, IntMatrix]] | None,
    locs: _Locations,
    profiles: set[str],
    provider: MatrixProvider | None,
    open_index: int | None,
    warnings: list[str],
) -> tuple[dict[str, IntMatrix], IntMatrix]:
    """Duration matrix per profile and the one distance matrix, padded with the open index."""
    if given is not None:
        given_dur, given_dist = given
        durations = {}
        for p in sorted(profiles):
            if p not in given_dur and "*" not in given_dur:
                raise VroomInputError(f"no durations matrix for profile {p!r}")
            durations[p] = given_dur.get(p) or given_dur["*"]
        with_dist = [p for p in sorted(profiles) if p in given_dist] or sorted(given_dist)
        if with_dist:
            distances = given_dist[with_dist[0]]
            if any(given_dist.get(p, distances) != distances for p in profiles):
                warnings.append(f"profiles have different distances; all routes use those of {with_dist[0]!r}")
        elif len(locs.coordinates) == locs.size:
            points = [(locs.coordinates[i][1], locs.coordinates[i][0]) for i in range(locs.size)]
            distances = HaversineProvider(profile=SpeedProfile.flat()).matrices(points, "van").distances_m
            warnings.append("no distances given: distances are great-circle estimates")
        else:
            distances = [[0] * locs.size for _ in range(locs.size)]
            warnings.append("no distances given and no coordinates for every index: distances reported as 0")
    else:
        points = locs.points()
        provider = provider or HaversineProvider(speeds_kmh=PROFILE_SPEEDS_KMH, profile=SpeedProfile.flat())
        durations, distances = {}, []
        for p in sorted(profiles):
            try:
                m = provider.matrices(points, p)
            except ValueError as exc:
                raise VroomInputError(f"profile {p!r}: {exc}") from exc
            durations[p], distances = m.durations_s, distances or m.distances_m
    if open_index is not None:
        durations = {p: _pad(m) for p, m in durations.items()}
        distances = _pad(distances)
    return durations, distances


def _pad(mat: IntMatrix) -> IntMatrix:
    """One more row and column of zeros: the free start/end of an open route."""
    return [row + [0] for row in mat] + [[0] * (len(mat) + 1)]


def _horizon(data: Mapping[str, Any], stops: Sequence[Stop], durations: Mapping[str, IntMatrix]) -> int:
    """End of the day for vehicles without a time window: late enough for one vehicle to serve
    every task one after another after the latest time window of the problem closes."""
    ends = [tw.end for s in stops for tw in s.time_windows]
    for v in data.get("vehicles") or []:
        ends += [int(v["time_window"][1])] if v.get("time_window") else []
        for b in v.get("breaks") or []:
            ends += [int(tw[1]) + int(b.get("service", 0)) for tw in b.get("time_windows") or []]
    longest = max((x for m in durations.values() for row in m for x in row if x < UNREACHABLE), default=0)
    return max(ends, default=0) + sum(s.service_s for s in stops) + (len(stops) + 1) * longest


# ---------------------------------------------------------------------- solving


def solve_vroom(data: Mapping[str, Any], *, time_limit_s: float, provider: MatrixProvider | None = None,
                backend: str = "auto") -> dict[str, Any]:
    """Solve a VROOM input document; returns VROOM output (code 2 and `error` for bad input)."""
    t0 = time.perf_counter()
    try:
        vp = read_vroom(data, provider=provider)
    except VroomInputError as exc:
        return {"code": 2, "error": str(exc)}
    t1 = time.perf_counter()
    plan = solve(vp.problem, time_limit_s=time_limit_s, backend=backend)
    t2 = time.perf_counter()
    return write_vroom(vp, plan, loading_ms=round((t1 - t0) * 1000), solving_ms=round((t2 - t1) * 1000))


def solve_vroom_file(path: str | Path, time_limit_s: float) -> dict[str, Any]:
    """`hub route solve --vroom FILE`: read a VROOM input file, solve it, return VROOM output."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        return {"code": 2, "error": f"{path}: not valid JSON: {exc}"}
    return solve_vroom(data, time_limit_s=time_limit_s)
