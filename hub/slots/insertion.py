"""Cheapest insertion: can one more stop join a day's routes inside a given window? Pure: routes and a travel
function in, an answer out; no database, no clock.

Each route is scheduled once (earliest service starts, and for every stop the latest start that still keeps
every later stop inside its window and the van back before its shift or working time ends); a candidate
position between two stops is then checked in constant time: the candidate starts inside its window, the
next stop still starts by its latest start, and the van has room for the parcels. Among the feasible
positions the one adding the fewest seconds of driving wins (cheapest insertion, Solomon 1987).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

LatLng = tuple[float, float]
# Base driving seconds from one point to another at the matrix's van speed (vehicles scale it).
Travel = Callable[[LatLng, LatLng], int]


@dataclass(frozen=True)
class PlannedStop:
    stop_id: str
    point: LatLng
    service_s: int
    window: tuple[int, int]  # service must start inside, seconds from the day's origin
    demand: tuple[int, ...]


@dataclass(frozen=True)
class RouteState:
    """What is left of one vehicle's day: it leaves `start_point` at `start_time` and must be back at
    `end_point` by `latest_end` (its shift end or its working-time limit, whichever comes first)."""

    vehicle_id: str
    start_point: LatLng
    end_point: LatLng
    start_time: int
    latest_end: int
    capacity: tuple[int, ...]
    load: tuple[int, ...]  # what the remaining stops take off the van
    stops: tuple[PlannedStop, ...] = ()
    speed_factor: float = 1.0
    max_work_s: int | None = None  # counted from the moment it leaves, for a route that has not started


@dataclass(frozen=True)
class Insertion:
    vehicle_id: str
    position: int  # index among the route's remaining stops where the new stop goes
    detour_s: int
    service_start: int


@dataclass(frozen=True)
class Schedule:
    departures: tuple[int, ...]  # when the van leaves each stop (index 0: the start point)
    latest: tuple[int, ...]  # latest service start of each stop, then latest arrival back at the end point
    legs: tuple[int, ...]  # driving seconds of each leg, start -> stop 0 -> ... -> end


def scaled(travel: Travel, speed_factor: float) -> Travel:
    """A vehicle twice as fast (2.0) needs half the base time, rounded up as the routing model does."""
    if speed_factor == 1.0:
        return travel
    return lambda a, b: math.ceil(travel(a, b) / speed_factor)


def schedule(route: RouteState, travel: Travel) -> Schedule:
    drive = scaled(travel, route.speed_factor)
    points = [route.start_point, *(s.point for s in route.stops), route.end_point]
    legs = tuple(drive(points[i], points[i + 1]) for i in range(len(points) - 1))
    departures = [route.start_time]
    starts: list[int] = []
    t = route.start_time
    for stop, leg in zip(route.stops, legs):
        begin = max(t + leg, stop.window[0])
        starts.append(begin)
        t = begin + stop.service_s
        departures.append(t)
    back = t + legs[-1]
    latest_end = route.latest_end
    if route.max_work_s is not None:
        latest_end = min(latest_end, route.start_time + route.max_work_s)
    latest = [max(latest_end, back)]  # a plan already over its end is not made worse, only never pushed further
    for i in range(len(route.stops) - 1, -1, -1):
        stop = route.stops[i]
        by_next = latest[0] - legs[i + 1] - stop.service_s
        latest.insert(0, max(min(stop.window[1], by_next), starts[i]))
    return Schedule(tuple(departures), tuple(latest), legs)


def fits_load(route: RouteState, demand: Sequence[int]) -> bool:
    return all(load + d <= cap for load, d, cap in zip(route.load, demand, route.capacity))


def best_insertion(route: RouteState, sched: Schedule, point: LatLng, service_s: int, window: tuple[int, int],
                   demand: Sequence[int], travel: Travel, not_before: int = 0) -> Insertion | None:
    """The cheapest feasible position for a stop at `point` served inside `window`, or None."""
    if not fits_load(route, demand):
        return None
    drive = scaled(travel, route.speed_factor)
    points = [route.start_point, *(s.point for s in route.stops), route.end_point]
    to_stop = [drive(p, point) for p in points[:-1]]
    from_stop = [drive(point, p) for p in points[1:]]
    best: Insertion | None = None
    empty = not route.stops
    for k in range(len(points) - 1):
        leave = max(sched.departures[k], not_before)
        if empty:  # a van with nothing to do leaves as late as the window asks, so its working time starts then
            leave = max(leave, window[0] - to_stop[k])
        begin = max(leave + to_stop[k], window[0])
        if begin > window[1]:
            continue
        arrive_next = begin + service_s + from_stop[k]
        if k < len(route.stops):
            nxt = route.stops[k]
            ok = max(arrive_next, nxt.window[0]) <= sched.latest[k]
        else:
            latest_back = sched.latest[-1]
            if empty and route.max_work_s is not None:
                latest_back = min(route.latest_end, leave + route.max_work_s)
            ok = arrive_next <= latest_back
        if not ok:
            continue
        detour = to_stop[k] + from_stop[k] - sched.legs[k]
        if best is None or detour < best.detour_s:
            best = Insertion(route.vehicle_id, k, detour, begin)
    return best


def cheapest(routes: Sequence[RouteState], schedules: Sequence[Schedule], point: LatLng, service_s: int,
             window: tuple[int, int], demand: Sequence[int], travel: Travel, not_before: int = 0) -> Insertion | None:
    found = [best_insertion(r, s, point, service_s, window, demand, travel, not_before)
             for r, s in zip(routes, schedules)]
    feasible = [f for f in found if f is not None]
    return min(feasible, key=lambda f: (f.detour_s, f.vehicle_id)) if feasible else None


def insert(route: RouteState, position: int, stop: PlannedStop) -> RouteState:
    """The route with `stop` placed at `position` and its parcels on board."""
    stops = (*route.stops[:position], stop, *route.stops[position:])
    load = tuple(q + d for q, d in zip(route.load, stop.demand))
    return replace(route, stops=stops, load=load)


def add_stops(routes: list[RouteState], stops: Sequence[PlannedStop], travel: Travel,
              not_before: int = 0) -> tuple[list[RouteState], list[str]]:
    """Place each stop (held reservations, deliveries not yet planned) where it costs least, one after the
    other; answers the routes with them and the ids of stops that fitted nowhere."""
    schedules = [schedule(r, travel) for r in routes]
    left_out: list[str] = []
    for stop in stops:
        found = cheapest(routes, schedules, stop.point, stop.service_s, stop.window, stop.demand, travel, not_before)
        if found is None:
            left_out.append(stop.stop_id)
            continue
        index = next(i for i, r in enumerate(routes) if r.vehicle_id == found.vehicle_id)
        routes[index] = insert(routes[index], found.position, stop)
        schedules[index] = schedule(routes[index], travel)
    return routes, left_out
