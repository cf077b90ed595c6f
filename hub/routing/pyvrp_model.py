"""Translate a `Problem` into PyVRP 0.14's data, and PyVRP's solution back into routes.

Exact models of what PyVRP has no direct field for:
- features and skills held by part of the fleet: one vehicle type per (vehicle shape, features, skills),
  each on its own routing profile whose matrices make every stop it cannot serve unreachable (an arc
  into or out of it takes longer than any shift, so any plan using it has time warp and is infeasible);
- locked prefixes (stops locked to a vehicle at positions 0..k-1): the prefix is driven at its earliest
  times, and the vehicle becomes its own type that starts at its last locked stop, at the committed
  departure time, with the capacity and working time the prefix leaves;
- several windows for one stop: one client per window, all in a mutually exclusive client group, so
  exactly one copy is visited;
- a break (one per vehicle): each vehicle type that owes one gets a break client at every stop's place
  and one per vehicle at its end depot, with the break's window and duration as service, on a load
  dimension of its own where each vehicle holds one (at most one break per route). Break clients are
  optional with a vehicle's worth of prize, so PyVRP rests every route it can, and fleet minimisation
  only accepts a fleet where every route does (hub/routing/pyvrp_fleet.py). A break at a stop's place is
  exact (taken on the way there or while waiting for its window), one at home is the break after the
  route, and one anywhere else costs a detour, never shorter than driving on and pausing (triangle
  inequality): every route PyVRP rests has a real placement, which hub/routing/breaks.py computes with
  the checker's rules.
Every client has its own PyVRP location (terminals first), so two stops at one address can still
differ in what may serve them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pyvrp

from hub.routing.breaks import place_break
from hub.routing.model import Problem, Route, Stop, Vehicle, eligible
from hub.routing.schedule import COST_SCALE, build_route, empty_route, start_load

Routes = list[tuple[list[int], int]]  # (full client indices, full vehicle type) per route

# PyVRP's own default for "no limit"; larger values overflow its int64 arithmetic.
MAX = np.iinfo(np.int64).max // 4


@dataclass
class Sized:
    """The data with `counts` vehicles per type: types with none left out, with their break clients."""

    data: pyvrp.ProblemData
    type_of: list[int]  # per type in `data`, the type in the full translation
    client_of: dict[int, int]  # full client index -> its index in `data` (stops keep theirs)


@dataclass
class Translation:
    """Routes kept across fleet sizes (`Routes`) hold full client indices and full vehicle types."""

    data: pyvrp.ProblemData
    members: list[list[Vehicle]]  # per vehicle type, its vehicles in problem order
    client_stop: list[Stop]  # per PyVRP client, the stop it visits (a stop has one client per window)
    prefixes: dict[str, list[str]]  # vehicle id -> its locked stop ids, in order
    break_type: list[int]  # per break client (after the stop clients), the vehicle type it belongs to
    break_dims: int  # load dimensions after the stops' ones, one per vehicle type that owes a break

    @property
    def counts(self) -> list[int]:
        return [len(vs) for vs in self.members]

    def is_break(self, client: int) -> bool:
        return client >= len(self.client_stop)

    def break_at(self, t: int, stop_client: int | None) -> int:
        """Type t's break client at a stop's place (None: at its end depot), as a full client index."""
        n = len(self.client_stop)
        clients = self.data.clients()
        mine = [n + k for k, bt in enumerate(self.break_type) if bt == t]
        if stop_client is not None:
            here = clients[stop_client].location
            return next((c for c in mine if clients[c].location == here), mine[-1])
        return mine[-1]

    def sized(self, counts: list[int]) -> Sized:
        n = len(self.client_stop)
        clients = list(self.data.clients())
        kept = [t for t, c in enumerate(counts) if c > 0]
        types = [self.data.vehicle_type(t).replace(num_available=counts[t]) for t in kept]
        client_of = {k: k for k in range(n)}
        for k, t in enumerate(self.break_type):
            if counts[t] > 0:
                client_of[n + k] = len(client_of)
        data = self.data.replace(clients=[clients[k] for k in client_of], vehicle_types=types)  # in index order
        return Sized(data, kept, client_of)

    def solution(self, sized: Sized, routes: Routes) -> pyvrp.Solution:
        """`routes` as a solution of `sized`; routes of a type beyond its count are left out (the
        search re-inserts their stops), and a break client already taken is left off."""
        new_type = {t: k for k, t in enumerate(sized.type_of)}
        used = dict.fromkeys(new_type, 0)
        taken: set[int] = set()
        out = []
        for visits, t in routes:
            if t not in new_type or used[t] >= sized.data.vehicle_type(new_type[t]).num_available:
                continue
            used[t] += 1
            kept = [sized.client_of[c] for c in visits if c in sized.client_of and c not in taken]
            taken.update(visits)
            out.append(pyvrp.Route(sized.data, kept, new_type[t]))
        return pyvrp.Solution(sized.data, out)

    def routes(self, sized: Sized, sol: pyvrp.Solution) -> Routes:
        full = {k: c for c, k in sized.client_of.items()}
        return [([full[a.idx] for a in r.schedule() if a.is_client()], sized.type_of[r.vehicle_type()])
                for r in sol.routes()]


def locked_prefixes(problem: Problem) -> dict[str, list[Stop]] | None:
    """Vehicle id -> locked stops in order, or None when some lock is not an exact prefix (a stop locked
    to a vehicle without a position, or positions with a gap): PyVRP has no model for those."""
    by_vehicle: dict[str, list[Stop]] = defaultdict(list)
    for s in problem.stops:
        if s.locked_vehicle is None and s.locked_sequence is None:
            continue
        if s.locked_vehicle is None or s.locked_sequence is None:
            return None
        by_vehicle[s.locked_vehicle].append(s)
    for vid, locked in by_vehicle.items():
        locked.sort(key=lambda s: s.locked_sequence or 0)
        if [s.locked_sequence for s in locked] != list(range(len(locked))):
            return None
    return dict(by_vehicle)


def type_key(v: Vehicle) -> tuple:
    return (v.start_index, v.end_index, v.capacity, v.shift, v.max_work_s, v.fixed_cost, v.cost_per_km,
            v.cost_per_hour, v.vehicle_type, v.speed_factor, v.features, v.skills, v.breaks)


def unit_costs(problem: Problem) -> dict[str, tuple[int, int, int]]:
    """Integer (distance, duration, fixed) costs per vehicle, divided by their common factor.

    PyVRP sizes its initial time-warp and load penalties from the data, so costs inflated by a
    constant factor make feasibility harder to reach: on Solomon, distance cost 10 instead of 1
    per tick cost RC105 and RC106 one extra vehicle each at 5 s.
    """
    raw = {v.id: (round(v.cost_per_km * COST_SCALE / 1000), round(v.cost_per_hour * COST_SCALE / 3600),
                  round(v.fixed_cost * COST_SCALE)) for v in problem.vehicles}
    g = 0
    for triple in raw.values():
        for c in triple:
            g = math.gcd(g, c)
    g = max(g, 1)
    return {k: (a // g, b // g, c // g) for k, (a, b, c) in raw.items()}


def build(problem: Problem, stops: list[Stop], big: int, required: bool) -> Translation:
    """`stops`: the stops to route (locked ones included: they become prefixes, not clients)."""
    units = unit_costs(problem)
    locked = locked_prefixes(problem) or {}
    locked_ids = {s.id for ss in locked.values() for s in ss}
    free = [s for s in stops if s.id not in locked_ids]
    prefix_routes = {vid: build_route(problem, problem.vehicle(vid), [s.id for s in ss]) for vid, ss in locked.items()}
    term = sorted({v.start_index for v in problem.vehicles} | {v.end_index for v in problem.vehicles}
                  | {ss[-1].location_index for ss in locked.values()})
    depot_of = {loc: k for k, loc in enumerate(term)}
    client_stop = [s for s in free for _ in (s.time_windows or (None,))]
    window = [w for s in free for w in (s.time_windows or (None,))]
    loc_index = term + [s.location_index for s in client_stop]
    ix = np.ix_(loc_index, loc_index)
    dist = np.asarray(problem.distances, dtype=np.int64)[ix]
    horizon = max(v.shift.end for v in problem.vehicles)
    far_time = horizon + 1  # longer than any shift: an arc that long can never be in a feasible plan
    far_dist = int(dist.max()) * (len(loc_index) + 1)  # steers the search away before penalties do
    groups: dict[tuple, list[Vehicle]] = defaultdict(list)
    for v in problem.vehicles:
        groups[(v.id,) if v.id in locked else type_key(v)].append(v)
    profiles: dict[tuple, int] = {}
    durations: list[np.ndarray] = []
    distances: list[np.ndarray] = []
    types: list[pyvrp.VehicleType] = []
    members: list[list[Vehicle]] = []
    owing = [k for k, vs in enumerate(groups.values()) if vs[0].breaks]
    dims = problem.n_dims + len(owing)  # one load dimension per vehicle type that owes a break
    for vs in groups.values():
        v = vs[0]
        mat = problem.duration_matrix(v)
        barred = tuple(k for k, s in enumerate(client_stop) if not eligible(s, v))
        key = (id(mat), barred)
        if key not in profiles:
            profiles[key] = len(durations)
            dur = np.asarray(mat, dtype=np.int64)[ix]
            d = dist.copy()
            cols = [len(term) + k for k in barred]
            dur[:, cols] = dur[cols, :] = far_time
            d[:, cols] = d[cols, :] = far_dist
            np.fill_diagonal(dur, 0)
            np.fill_diagonal(d, 0)
            durations.append(dur)
            distances.append(d)
        start, early, fixed = v.start_index, v.shift.start, big + units[v.id][2]
        capacity, work = list(v.capacity), v.max_work_s
        if v.id in locked:
            pre = prefix_routes[v.id]
            start, early, fixed = locked[v.id][-1].location_index, pre.visits[-1].departure, 0  # already on its way
            carried = start_load(problem, locked[v.id])
            capacity = [c - q for c, q in zip(v.capacity, carried)]
            work = None if work is None else work - (early - pre.start_time)
        capacity += [1 if k == len(types) else 0 for k in owing]
        types.append(pyvrp.VehicleType(
            num_available=len(vs), capacity=capacity, start_depot=depot_of[start], end_depot=depot_of[v.end_index],
            fixed_cost=fixed, tw_early=early, tw_late=v.shift.end,
            shift_duration=work if work is not None else MAX,
            unit_distance_cost=units[v.id][0], unit_duration_cost=units[v.id][1],
            profile=profiles[key], name=v.id,
        ))
        members.append(vs)
    multi = [s.id for s in free if len(s.time_windows) > 1]
    group_of = {sid: g for g, sid in enumerate(multi)}
    clients = []
    for s, tw in zip(client_stop, window):
        g = group_of.get(s.id)
        clients.append(pyvrp.Client(
            location=len(term) + len(clients), delivery=list(problem.demand_of(s)) + [0] * len(owing),
            service_duration=s.service_s,
            tw_early=tw.start if tw else 0, tw_late=tw.end if tw else MAX,
            prize=0 if required else 2 * big * (1 + max(0, s.priority)),
            required=required and g is None, group=g, name=s.id,
        ))
    break_type: list[int] = []
    first = {s.id: k for k, s in reversed(list(enumerate(client_stop)))}
    spots = [len(term) + first[s.id] for s in free]  # each stop's place (its first window's client)
    for t in owing:
        (brk,) = members[t][0].breaks
        here = spots + [types[t].end_depot] * len(members[t])  # one at home per vehicle: a break after the route
        break_type += [t] * len(here)
        clients += [pyvrp.Client(
            location=loc, delivery=[int(d == problem.n_dims + owing.index(t)) for d in range(dims)],
            service_duration=brk.duration_s, tw_early=brk.window.start, tw_late=brk.window.end, required=False,
            # a vehicle's worth: more than any detour to take it, and no vehicle is started only for it
            prize=big, name=f"break:{members[t][0].id}",
        ) for loc in here]
    members_of = defaultdict(list)
    for k, s in enumerate(client_stop):
        if s.id in group_of:
            members_of[group_of[s.id]].append(k)
    client_groups = [pyvrp.ClientGroup(members_of[g], required=required) for g in range(len(multi))]
    locs = [pyvrp.Location(x=0.0, y=0.0) for _ in loc_index]
    depots = [pyvrp.Depot(location=k) for k in range(len(term))]
    data = pyvrp.ProblemData(locs, clients, depots, types, distances, durations, client_groups)
    return Translation(data, members, client_stop, {vid: [s.id for s in ss] for vid, ss in locked.items()}, break_type,
                       len(owing))


def extract(problem: Problem, tr: Translation, sized: Sized,
            sol: pyvrp.Solution) -> tuple[list[Route], set[str], list[tuple[Vehicle, list[str]]]]:
    """Routes in problem order (locked prefixes first on their vehicles), the stop ids served, and the
    routes whose break found no placement (vehicle, stop ids): those are left off the plan."""
    free = [list(vs) for vs in tr.members]
    routes: list[Route] = []
    unplaced: list[tuple[Vehicle, list[str]]] = []
    served: set[str] = {sid for ids in tr.prefixes.values() for sid in ids}
    n = len(tr.client_stop)
    for r in sol.routes():
        v = free[sized.type_of[r.vehicle_type()]].pop(0)  # stop clients keep their index in every size
        ids = [tr.client_stop[a.idx].id for a in r.schedule() if a.is_client() and a.idx < n]
        if v.id in tr.prefixes:  # earliest times from the shift's start: the committed schedule, then on
            routes.append(build_route(problem, v, tr.prefixes[v.id] + ids))
        elif v.breaks and ids:
            route = place_break(problem, v, ids, r.start_time()) or place_break(problem, v, ids, v.shift.start)
            if route is None:
                unplaced.append((v, ids))
                continue
            routes.append(route)
        else:
            routes.append(build_route(problem, v, ids, start_time=r.start_time()))
        served.update(ids)
    used = {r.vehicle_id for r in routes}
    routes += [build_route(problem, v, ids) for v, ids in ((problem.vehicle(k), ids) for k, ids in tr.prefixes.items())
               if v.id not in used]
    used = {r.vehicle_id for r in routes}
    routes += [empty_route(v) for v in problem.vehicles if v.id not in used]
    order = {v.id: k for k, v in enumerate(problem.vehicles)}
    routes.sort(key=lambda r: order[r.vehicle_id])
    return routes, served, unplaced
