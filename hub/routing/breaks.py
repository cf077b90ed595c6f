"""Place a driver's break on a fixed stop sequence, with the rules the checker applies.

A break starts inside its window, never during a service: on the way to the next stop it pauses the
drive, while waiting for a window it delays the service, and before the route leaves or after it is
back it costs the route nothing. `place_break` tries every leg of the sequence (and before and after
the route) at the earliest moment the break may start there, and keeps the placement that brings
the vehicle back first. Used by the PyVRP backend, whose model says where a break may go but not
exactly when the driver takes it.
"""

from __future__ import annotations

from collections.abc import Sequence

from hub.routing.model import Break, BreakTaken, Problem, Route, Stop, Vehicle, eligible
from hub.routing.schedule import build_route, earliest_start


def _after_wait(stop: Stop, vehicle: Vehicle, arrival: int, brk: Break, start: int) -> int | None:
    """Service start at `stop` when the break starting at `start` is taken while waiting there, or
    None when the driver could already be serving at that moment (the break belongs to a later leg)."""
    begin = earliest_start(stop, vehicle, arrival)
    if begin is None or start >= begin:
        return None
    return earliest_start(stop, vehicle, max(begin, start + brk.duration_s))


def _simulate(problem: Problem, vehicle: Vehicle, stops: Sequence[Stop], start_time: int, brk: Break,
              leg: int | None) -> tuple[int, list[int], int, int] | None:
    """(return time, service starts, break start, departure) with the break on leg `leg` (0 = from the
    start to the first stop, len(stops) = back to the end), or before the route leaves when `leg` is None.
    None when a window, the shift or the working-time limit is missed."""
    dur = problem.duration_matrix(vehicle)
    d = brk.duration_s
    t = start_time
    taken: int | None = None
    if leg is None:
        taken = max(brk.window.start, vehicle.shift.start, start_time - d)
        if taken > brk.window.end:
            return None
        t = max(start_time, taken + d)
    leave, here, begins = t, vehicle.start_index, []
    for k, stop in enumerate([*stops, None]):
        to = vehicle.end_index if stop is None else stop.location_index
        arrival = t + dur[here][to]
        if k == leg:
            taken = max(t, brk.window.start)
            if taken > brk.window.end:
                return None
            if taken < arrival:
                arrival += d  # the break pauses the drive
            elif stop is not None:
                begin = _after_wait(stop, vehicle, arrival, brk, taken)
                if begin is None:
                    return None
                begins.append(begin)
                t, here = begin + stop.service_s, to
                continue
        if stop is None:
            t = arrival
            break
        begin = earliest_start(stop, vehicle, arrival)
        if begin is None:
            return None
        begins.append(begin)
        t, here = begin + stop.service_s, to
    if taken is None or t > vehicle.shift.end:
        return None
    if vehicle.max_work_s is not None and t - leave > vehicle.max_work_s:
        return None
    return t, begins, taken, leave


def place_break(problem: Problem, vehicle: Vehicle, stop_ids: Sequence[str], start_time: int) -> Route | None:
    """The route with the vehicle's one break placed where it returns earliest, leaving at `start_time`
    (or later, when the break is taken before leaving); None when no placement keeps every rule."""
    (brk,) = vehicle.breaks
    stops = [problem.stop(s) for s in stop_ids]
    best: tuple[int, list[int], int, int] | None = None
    for leg in [None, *range(len(stops) + 1)]:
        got = _simulate(problem, vehicle, stops, start_time, brk, leg)
        if got is not None and (best is None or got[0] < best[0]):
            best = got
    if best is None:
        return None
    _, begins, taken, leave = best
    return build_route(problem, vehicle, stop_ids, start_time=leave, service_starts=begins,
                       breaks=(BreakTaken(taken, brk.duration_s),))


def _split(problem: Problem, vehicle: Vehicle, stop_ids: list[str], spare: Vehicle) -> tuple[Route, Route] | None:
    """The sequence cut in two, the head on `vehicle` and the tail on `spare`, both with their break
    placed: the cut that drives the least, or None."""
    best: tuple[Route, Route] | None = None
    for k in range(1, len(stop_ids)):
        head = place_break(problem, vehicle, stop_ids[:k], vehicle.shift.start)
        tail = head and place_break(problem, spare, stop_ids[k:], spare.shift.start)
        if head and tail and (best is None or head.distance_m + tail.distance_m < best[0].distance_m + best[1].distance_m):
            best = (head, tail)
    return best


def split_unplaced(problem: Problem, routes: list[Route],
                   unplaced: list[tuple[Vehicle, list[str]]]) -> tuple[list[Route], list[list[str]]]:
    """Routes whose break found no placement, each split onto an unused vehicle with the same break that
    may serve its stops: one vehicle more keeps the plan, where dropping the stops would lose it. Returns
    the routes (problem order) and the stop sequences now served."""
    by_id = {r.vehicle_id: r for r in routes}
    waiting = {vehicle.id for vehicle, _ in unplaced}  # their own routes come back when split
    done: list[list[str]] = []
    for vehicle, ids in unplaced:
        stops = [problem.stop(s) for s in ids]
        for spare in problem.vehicles:
            if by_id[spare.id].visits or spare.id in waiting or spare.breaks != vehicle.breaks:
                continue
            if not all(eligible(s, spare) for s in stops):
                continue
            got = _split(problem, vehicle, ids, spare)
            if got is not None:
                by_id[vehicle.id], by_id[spare.id] = got
                done.append(ids)
                break
    return [by_id[v.id] for v in problem.vehicles], done
