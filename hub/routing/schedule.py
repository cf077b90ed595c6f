"""Turn a vehicle's stop sequence (and, when the solver gives them, service start times) into a `Route`.

Shared by both backends so every plan carries the same arithmetic: arrival = previous departure +
travel (+ any break taken on the way), wait = service_start - arrival, departure = service_start +
service. Loads follow the pickup/delivery model: standalone deliveries are loaded at the start,
pickups add, deliveries subtract.
"""

from __future__ import annotations

from collections.abc import Sequence

from hub.routing.model import BreakTaken, Problem, Route, Stop, TimeWindow, Vehicle, Visit

COST_SCALE = 10_000  # integer solver costs are in 1/10000 of a currency unit: keeps per-second rates exact to <1 %


def windows_of(stop: Stop, vehicle: Vehicle) -> tuple[TimeWindow, ...]:
    return stop.time_windows or (vehicle.shift,)


def earliest_start(stop: Stop, vehicle: Vehicle, arrival: int) -> int | None:
    """Earliest service start at or after `arrival` inside one of the stop's windows; None if too late."""
    for tw in sorted(windows_of(stop, vehicle), key=lambda w: w.start):
        if arrival <= tw.end:
            return max(arrival, tw.start)
    return None


def start_load(problem: Problem, stops: Sequence[Stop], on_board: tuple[int, ...] | None = None) -> list[int]:
    """Load when leaving the start: what is on board, else every standalone delivery of the route."""
    if on_board is not None:
        return list(on_board)
    load = [0] * problem.n_dims
    for s in stops:
        if s.kind == "delivery" and s.pair_id is None:
            for k, d in enumerate(problem.demand_of(s)):
                load[k] += d
    return load


def apply_load(problem: Problem, load: list[int], stop: Stop) -> list[int]:
    sign = 1 if stop.kind == "pickup" else -1
    return [q + sign * d for q, d in zip(load, problem.demand_of(stop))]


def span_coefficient(vehicle: Vehicle) -> int:
    """Integer solver cost per second of working time (1/COST_SCALE currency)."""
    return round(vehicle.cost_per_hour * COST_SCALE / 3600)


def build_route(
    problem: Problem,
    vehicle: Vehicle,
    stop_ids: Sequence[str],
    *,
    start_time: int | None = None,
    service_starts: Sequence[int] | None = None,
    breaks: Sequence[BreakTaken] = (),
    start_index: int | None = None,
    on_board: tuple[int, ...] | None = None,
    end_time: int | None = None,
) -> Route:
    """Times from the solver when given (`service_starts`), else the earliest feasible schedule."""
    dur = problem.duration_matrix(vehicle)
    stops = [problem.stop(s) for s in stop_ids]
    t = vehicle.shift.start if start_time is None else start_time
    t0 = t
    here = vehicle.start_index if start_index is None else start_index
    load = start_load(problem, stops, on_board)
    pending = sorted(breaks, key=lambda b: b.start)
    visits: list[Visit] = []
    distance = 0
    for k, stop in enumerate(stops):
        travel = dur[here][stop.location_index]
        distance += problem.distances[here][stop.location_index]
        arrival = t + travel
        if service_starts is not None:
            begin = service_starts[k]
            on_way = sum(b.duration_s for b in pending if b.start < begin)
            pending = [b for b in pending if b.start >= begin]
            arrival = min(arrival + on_way, begin)
        else:
            found = earliest_start(stop, vehicle, arrival)
            begin = arrival if found is None else found
        load = apply_load(problem, load, stop)
        visits.append(Visit(stop.id, arrival, begin - arrival, begin, begin + stop.service_s, tuple(load),
                            stop.location_index))
        t = begin + stop.service_s
        here = stop.location_index
    distance += problem.distances[here][vehicle.end_index]
    back = t + dur[here][vehicle.end_index] + sum(b.duration_s for b in pending)
    finish = max(back, end_time) if end_time is not None else back
    duration = finish - t0
    cost = 0.0
    if visits:
        cost = vehicle.fixed_cost + distance / 1000 * vehicle.cost_per_km + duration / 3600 * vehicle.cost_per_hour
    return Route(vehicle.id, tuple(visits), distance if visits else 0, duration if visits else 0, round(cost, 4),
                 t0, finish, tuple(breaks))


def empty_route(vehicle: Vehicle) -> Route:
    return Route(vehicle.id, (), 0, 0, 0.0, vehicle.shift.start, vehicle.shift.start, ())
