"""OR-Tools backend: every constraint of the model (windows, breaks, skills, pairs, locks, priorities).

Objective, lexicographic by magnitude: dropped stops (penalty grows with priority) >> vehicles used
(a fixed cost larger than any route) >> distance * cost_per_km + working time * cost_per_hour.
Warm start (re-planning): the previous routes, repaired, are kept as chains while the first-solution
heuristic inserts what is missing; a fresh model then improves that plan with guided local search.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from hub.routing.convergence import stop_when_stalled
from hub.routing.diagnose import dropped_reason, static_reason
from hub.routing.model import BreakTaken, Problem, Route, RoutePlan, Stop, Unassigned, Vehicle, eligible
from hub.routing.schedule import COST_SCALE, build_route, earliest_start, empty_route, span_coefficient

FIRST_SOLUTION = {
    "parallel_cheapest_insertion": routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION,
    "path_cheapest_arc": routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC,
    "savings": routing_enums_pb2.FirstSolutionStrategy.SAVINGS,
    "local_cheapest_insertion": routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION,
    "automatic": routing_enums_pb2.FirstSolutionStrategy.AUTOMATIC,
}
# First solution: parallel cheapest insertion beat path-cheapest-arc on Solomon at 5 s (R105 15 vs 17
# vehicles, R201 4 vs 5, R205 4 vs 3, equal on C101/C201/R101) and on a synthetic 500-stop day (all
# served vs 166 dropped in 10 s). Above this many stops it does not finish in 40 s (2,000 x 60);
# savings does, though guided local search then has little time left (see the report).
LARGE_INSTANCE = 1000


@dataclass(frozen=True)
class WarmStart:
    """Re-planning input: previous routes and the vehicles already on the road."""

    routes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # vehicle id -> stop ids in order
    on_board: dict[str, tuple[int, ...]] = field(default_factory=dict)  # vehicles out: load now on board
    carrying: dict[str, frozenset[str]] = field(default_factory=dict)  # vehicles out: deliveries they carry


class _Model:
    def __init__(self, problem: Problem, stops: list[Stop], warm: WarmStart) -> None:
        self.p, self.stops, self.warm = problem, stops, warm
        vs = problem.vehicles
        terminals = sorted({v.start_index for v in vs} | {v.end_index for v in vs})
        self.term_node = {loc: k for k, loc in enumerate(terminals)}
        self.loc = terminals + [s.location_index for s in stops]  # node -> matrix index
        self.first_stop = len(terminals)
        self.node_of = {s.id: self.first_stop + k for k, s in enumerate(stops)}
        self.manager = pywrapcp.RoutingIndexManager(
            len(self.loc), len(vs), [self.term_node[v.start_index] for v in vs], [self.term_node[v.end_index] for v in vs]
        )
        self.routing = pywrapcp.RoutingModel(self.manager)
        self.monitors: list[object] = []  # Python search monitors live as long as the model that calls them
        self.service = [0] * self.first_stop + [s.service_s for s in stops]

    def stop_at(self, index: int) -> Stop | None:
        node = self.manager.IndexToNode(index)
        return self.stops[node - self.first_stop] if node >= self.first_stop else None

    def node_matrix(self, mat: list[list[int]], add_service: bool, factor: float = 1.0) -> list[list[int]]:
        loc, svc = self.loc, self.service
        if factor == 1.0:
            return [[(svc[i] if add_service else 0) + mat[li][lj] for lj in loc] for i, li in enumerate(loc)]
        return [[round(mat[li][lj] * factor) for lj in loc] for li in loc]


def _costs(m: _Model) -> int:
    """Arc costs per vehicle, span costs; returns the per-vehicle fixed cost that ranks fleet size first."""
    p, routing = m.p, m.routing
    by_rate: dict[float, int] = {}
    worst_arcs = 0
    for v_idx, v in enumerate(p.vehicles):
        if v.cost_per_km not in by_rate:
            mat = m.node_matrix(p.distances, False, v.cost_per_km * COST_SCALE / 1000)
            by_rate[v.cost_per_km] = routing.RegisterTransitMatrix(mat)
            worst_arcs = max(worst_arcs, sum(max(row) for row in mat))
        routing.SetArcCostEvaluatorOfVehicle(by_rate[v.cost_per_km], v_idx)
    worst_time = sum(span_coefficient(v) * (v.shift.end - v.shift.start) for v in p.vehicles)
    worst_fixed = max(round(v.fixed_cost * COST_SCALE) for v in p.vehicles)
    # one more vehicle must cost more than any saving in distance and time, whatever its fixed cost
    big = worst_arcs + worst_time + worst_fixed + 1
    for v_idx, v in enumerate(p.vehicles):
        routing.SetFixedCostOfVehicle(big + round(v.fixed_cost * COST_SCALE), v_idx)
    return big


def _time(m: _Model) -> pywrapcp.RoutingDimension:
    p, routing, manager = m.p, m.routing, m.manager
    by_matrix: dict[int, int] = {}
    evaluators = []
    for v in p.vehicles:
        mat = p.duration_matrix(v)
        if id(mat) not in by_matrix:
            by_matrix[id(mat)] = routing.RegisterTransitMatrix(m.node_matrix(mat, True))
        evaluators.append(by_matrix[id(mat)])
    horizon = max(v.shift.end for v in p.vehicles)
    routing.AddDimensionWithVehicleTransits(evaluators, horizon, horizon, False, "time")
    dim = routing.GetDimensionOrDie("time")
    for v_idx, v in enumerate(p.vehicles):
        dim.CumulVar(routing.Start(v_idx)).SetRange(v.shift.start, v.shift.end)
        dim.CumulVar(routing.End(v_idx)).SetRange(v.shift.start, v.shift.end)
        if v.max_work_s is not None:
            dim.SetSpanUpperBoundForVehicle(v.max_work_s, v_idx)
        if span_coefficient(v):
            dim.SetSpanCostCoefficientForVehicle(span_coefficient(v), v_idx)
    # earliest return first, then leave as late as that return allows (no idle wait at the first stop)
    for v_idx in range(len(p.vehicles)):
        routing.AddVariableMinimizedByFinalizer(dim.CumulVar(routing.End(v_idx)))
    for v_idx in range(len(p.vehicles)):
        routing.AddVariableMaximizedByFinalizer(dim.CumulVar(routing.Start(v_idx)))
    for s in m.stops:
        if not s.time_windows:
            continue
        cumul = dim.CumulVar(manager.NodeToIndex(m.node_of[s.id]))
        wins = sorted(s.time_windows, key=lambda w: w.start)
        cumul.SetRange(wins[0].start, max(w.end for w in wins))
        reach = wins[0].end
        for w in wins[1:]:
            if w.start > reach + 1:
                cumul.RemoveInterval(reach + 1, w.start - 1)  # the gap between two windows
            reach = max(reach, w.end)
    if any(v.breaks for v in p.vehicles):
        solver = routing.solver()
        visit = [m.service[manager.IndexToNode(i)] for i in range(routing.Size())]
        for v_idx, v in enumerate(p.vehicles):
            if not v.breaks:
                continue
            intervals = [
                solver.FixedDurationIntervalVar(b.window.start, b.window.end, b.duration_s, False, f"break:{v_idx}:{k}")
                for k, b in enumerate(v.breaks)
            ]
            dim.SetBreakIntervalsOfVehicle(intervals, v_idx, visit)
    return dim


def _loads(m: _Model) -> None:
    p, routing, warm = m.p, m.routing, m.warm
    general = bool(warm.on_board) or any(s.kind == "pickup" or s.pair_id for s in m.stops)
    solver = routing.solver()
    for k, name in enumerate(p.dimension_names):
        amount = [0] * len(m.loc)
        picked = [0] * len(m.loc)
        for s in m.stops:
            d = p.demand_of(s)[k]
            node = m.node_of[s.id]
            amount[node] = d if (s.kind == "pickup" or not general) else -d
            if s.kind == "pickup" and s.pair_id is None:
                picked[node] = d
        caps = [v.capacity[k] for v in p.vehicles]
        routing.AddDimensionWithVehicleCapacity(routing.RegisterUnaryTransitVector(amount), 0, caps, not general, f"load:{name}")
        if not general:
            continue
        dim = routing.GetDimensionOrDie(f"load:{name}")
        pick_dim = None
        if any(picked):
            routing.AddDimensionWithVehicleCapacity(routing.RegisterUnaryTransitVector(picked), 0, caps, True, f"picked:{name}")
            pick_dim = routing.GetDimensionOrDie(f"picked:{name}")
        for v_idx, v in enumerate(p.vehicles):
            if v.id in warm.on_board:
                dim.CumulVar(routing.Start(v_idx)).SetValue(warm.on_board[v.id][k])
            elif pick_dim is None:
                dim.CumulVar(routing.End(v_idx)).SetValue(0)  # everything loaded at the start is delivered
            else:
                solver.Add(dim.CumulVar(routing.End(v_idx)) == pick_dim.CumulVar(routing.End(v_idx)))


def _assignment_rules(m: _Model, drop_base: int) -> None:
    p, routing, manager, warm = m.p, m.routing, m.manager, m.warm
    solver = routing.solver()
    v_index = {v.id: k for k, v in enumerate(p.vehicles)}
    out = set(warm.on_board)
    for s in m.stops:
        index = manager.NodeToIndex(m.node_of[s.id])
        allowed = [k for k, v in enumerate(p.vehicles) if eligible(s, v)]
        if s.locked_vehicle is not None:
            allowed = [k for k in allowed if p.vehicles[k].id == s.locked_vehicle]
        if s.kind == "delivery" and s.pair_id is None and out:
            # a vehicle already on the road can only deliver what it carries
            allowed = [k for k in allowed if p.vehicles[k].id not in out or s.id in warm.carrying.get(p.vehicles[k].id, ())]
        if len(allowed) < len(p.vehicles):
            routing.VehicleVar(index).SetValues([-1] + allowed)
        routing.AddDisjunction([index], drop_base * (1 + max(0, s.priority)))
    pairs: dict[str, list[Stop]] = {}
    for s in m.stops:
        if s.pair_id is not None:
            pairs.setdefault(s.pair_id, []).append(s)
    time_dim = routing.GetDimensionOrDie("time")
    for members in pairs.values():
        pick = next(s for s in members if s.kind == "pickup")
        drop = next(s for s in members if s.kind == "delivery")
        pi, di = (manager.NodeToIndex(m.node_of[x.id]) for x in (pick, drop))
        routing.AddPickupAndDelivery(pi, di)
        solver.Add(routing.VehicleVar(pi) == routing.VehicleVar(di))
        solver.Add(time_dim.CumulVar(pi) <= time_dim.CumulVar(di))
    if any(s.locked_sequence is not None for s in m.stops):
        routing.AddConstantDimension(1, len(m.loc) + 1, True, "position")
        pos = routing.GetDimensionOrDie("position")
        for s in m.stops:
            if s.locked_sequence is not None and s.locked_vehicle in v_index:
                pos.CumulVar(manager.NodeToIndex(m.node_of[s.id])).SetValue(s.locked_sequence + 1)


def _params(m: _Model, time_limit_s: float, first: str | None,
            until_converged: bool = False) -> pywrapcp.DefaultRoutingSearchParameters:
    params = pywrapcp.DefaultRoutingSearchParameters()
    if until_converged:
        m.monitors.append(stop_when_stalled(m.routing, time_limit_s))
    if first is None:
        first = "savings" if len(m.stops) > LARGE_INSTANCE else "parallel_cheapest_insertion"
    params.first_solution_strategy = FIRST_SOLUTION[first]
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    return params


def _extract(m: _Model, sol: pywrapcp.Assignment) -> tuple[list[Route], list[str]]:
    p, routing = m.p, m.routing
    time_dim = routing.GetDimensionOrDie("time")
    breaks: dict[int, list[BreakTaken]] = {}
    intervals = sol.IntervalVarContainer()
    for i in range(intervals.Size()):
        el = intervals.Element(i)
        if el.PerformedValue():
            v_idx = int(el.Var().Name().split(":")[1])
            breaks.setdefault(v_idx, []).append(BreakTaken(el.StartValue(), el.DurationValue()))
    routes: list[Route] = []
    served: set[str] = set()
    for v_idx, v in enumerate(p.vehicles):
        index = routing.Start(v_idx)
        start = sol.Value(time_dim.CumulVar(index))
        ids: list[str] = []
        starts: list[int] = []
        index = sol.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            stop = m.stop_at(index)
            assert stop is not None
            ids.append(stop.id)
            starts.append(sol.Value(time_dim.CumulVar(index)))
            index = sol.Value(routing.NextVar(index))
        end = sol.Value(time_dim.CumulVar(index))
        served.update(ids)
        if not ids:
            routes.append(empty_route(v))
            continue
        routes.append(build_route(p, v, ids, start_time=start, service_starts=starts,
                                  breaks=sorted(breaks.get(v_idx, []), key=lambda b: b.start),
                                  on_board=m.warm.on_board.get(v.id), end_time=end))
    dropped = [s.id for s in m.stops if s.id not in served]
    return routes, dropped


def _build(problem: Problem, stops: list[Stop], warm: WarmStart) -> _Model:
    m = _Model(problem, stops, warm)
    big = _costs(m)
    _time(m)
    _loads(m)
    _assignment_rules(m, 2 * big)  # dropping a stop must cost more than opening a vehicle for it
    return m


def _index_route(m: _Model, sol: pywrapcp.Assignment, v_idx: int) -> list[int]:
    out, index = [], sol.Value(m.routing.NextVar(m.routing.Start(v_idx)))
    while not m.routing.IsEnd(index):
        out.append(index)
        index = sol.Value(m.routing.NextVar(index))
    return out


def _warm_routes(m: _Model) -> list[list[int]]:
    """Previous routes made consistent with today's rules, so OR-Tools can start from them: stops a
    vehicle may no longer serve are left out (the search re-inserts them), locked positions honoured."""
    p, warm = m.p, m.warm
    out = set(warm.on_board)
    seqs: list[list[str]] = []
    for v in p.vehicles:
        keep = []
        for sid in warm.routes.get(v.id, ()):
            s = p.stop(sid) if sid in m.node_of else None
            if s is None or not eligible(s, v) or s.locked_vehicle not in (None, v.id) or s.locked_sequence is not None:
                continue
            if v.id in out and s.kind == "delivery" and s.pair_id is None and sid not in warm.carrying.get(v.id, ()):
                continue
            keep.append(sid)
        seqs.append(keep)
    v_idx = {v.id: k for k, v in enumerate(p.vehicles)}
    for s in sorted((s for s in m.stops if s.locked_sequence is not None), key=lambda s: s.locked_sequence or 0):
        if s.locked_vehicle in v_idx:
            seq = seqs[v_idx[s.locked_vehicle]]
            seq.insert(min(s.locked_sequence or 0, len(seq)), s.id)
    return [[m.manager.NodeToIndex(m.node_of[sid]) for sid in _repair(m, v, seq)] for v, seq in zip(p.vehicles, seqs)]


def _repair(m: _Model, v: Vehicle, seq: list[str]) -> list[str]:
    """Leave out the stops that make a warm-start route late or overloaded (earliest-time simulation),
    so one changed window or lock does not throw the whole previous plan away."""
    p = m.p
    dur = p.duration_matrix(v)
    general = bool(m.warm.on_board) or any(s.kind == "pickup" or s.pair_id for s in m.stops)
    load = [0] * p.n_dims
    t, here, kept = v.shift.start, v.start_index, []
    for sid in seq:
        s = p.stop(sid)
        begin = earliest_start(s, v, t + dur[here][s.location_index])
        new_load = [q + d for q, d in zip(load, p.demand_of(s))]
        if begin is None or (not general and any(q > c for q, c in zip(new_load, v.capacity))):
            if s.locked_sequence is None:
                continue
            begin = begin if begin is not None else t + dur[here][s.location_index]
        kept.append(sid)
        load = new_load
        t, here = begin + s.service_s, s.location_index
    while kept and t + dur[here][v.end_index] > v.shift.end and p.stop(kept[-1]).locked_sequence is None:
        kept.pop()
        t, here = v.shift.start, v.start_index  # recompute from the start: routes are short, this is rare
        for sid in kept:
            s = p.stop(sid)
            begin = earliest_start(s, v, t + dur[here][s.location_index])
            t, here = (begin if begin is not None else t) + s.service_s, s.location_index
    return kept


def solve_ortools(
    problem: Problem,
    *,
    time_limit_s: float,
    warm: WarmStart | None = None,
    first_solution: str | None = None,
    until_converged: bool = False,
) -> RoutePlan:
    """`until_converged`: guided local search also stops when its rate of improvement falls off
    (CONVERGED_RATE), not only at the time limit."""
    t0 = time.perf_counter()
    warm = warm or WarmStart()
    unassigned: list[Unassigned] = []
    stops: list[Stop] = []
    for s in problem.stops:
        reason = static_reason(problem, s)
        (unassigned.append(reason) if reason else stops.append(s))
    if not stops or not problem.vehicles:
        routes = tuple(empty_route(v) for v in problem.vehicles)
        unassigned += [dropped_reason(problem, s, ()) for s in stops]
        return RoutePlan(routes, tuple(unassigned), 0.0, "ortools", time.perf_counter() - t0)
    m = _build(problem, stops, warm)
    sol = None
    if warm.routes:
        # Phase 1: keep the previous routes as fixed chains and let the first-solution heuristic
        # insert what they lack (new stops, stops a lock or window moved). Local search alone does
        # not re-insert dropped stops in time (measured: 44 of 200 left out after 2 s).
        first = _params(m, max(0.05, time_limit_s / 2), first_solution, until_converged)
        first.solution_limit = 1
        m.routing.CloseModelWithParameters(first)
        seeded = m.routing.SolveWithParameters(first) if m.routing.ApplyLocksToAllVehicles(_warm_routes(m), False) else None
        if seeded is not None:
            # Phase 2: a fresh model without the chains improves that complete plan freely.
            routes = [_index_route(m, seeded, v) for v in range(len(problem.vehicles))]
            fresh = _build(problem, stops, warm)
            params = _params(fresh, max(0.05, time_limit_s - (time.perf_counter() - t0)), first_solution, until_converged)
            fresh.routing.CloseModelWithParameters(params)
            initial = fresh.routing.ReadAssignmentFromRoutes(routes, True)
            improved = fresh.routing.SolveFromAssignmentWithParameters(initial, params) if initial else None
            m, sol = (fresh, improved) if improved is not None else (m, seeded)
        else:
            m = _build(problem, stops, warm)
    if sol is None:
        params = _params(m, max(0.05, time_limit_s - (time.perf_counter() - t0)), first_solution, until_converged)
        sol = m.routing.SolveWithParameters(params)
    if sol is None:
        unassigned += [Unassigned(s.id, "dropped_for_cost", "the solver found no solution in the time limit") for s in stops]
        return RoutePlan(tuple(empty_route(v) for v in problem.vehicles), tuple(unassigned), 0.0, "ortools",
                         time.perf_counter() - t0, ("no solution found",))
    routes, dropped = _extract(m, sol)
    used = {r.vehicle_id for r in routes if r.visits}
    unassigned += [dropped_reason(problem, problem.stop(sid), used) for sid in dropped]
    objective = sum(r.cost for r in routes)
    return RoutePlan(tuple(routes), tuple(unassigned), round(objective, 4), "ortools", time.perf_counter() - t0)
