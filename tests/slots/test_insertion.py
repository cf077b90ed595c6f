"""Cheapest insertion (hub/slots/insertion.py), pure: a straight street where one unit of distance is 60 s."""

from __future__ import annotations

from hub.slots.insertion import PlannedStop, RouteState, add_stops, best_insertion, cheapest, schedule


def travel(a: tuple[float, float], b: tuple[float, float]) -> int:
    return int(abs(a[0] - b[0]) * 60)


HOME = (0.0, 0.0)


def route(*stops: PlannedStop, start: int = 0, end: int = 36_000, capacity: int = 10, max_work: int | None = None,
          vehicle: str = "v1") -> RouteState:
    return RouteState(vehicle, HOME, HOME, start, end, (capacity,), (sum(s.demand[0] for s in stops),), tuple(stops),
                      max_work_s=max_work)


def stop(name: str, x: float, window: tuple[int, int], service: int = 300) -> PlannedStop:
    return PlannedStop(name, (x, 0.0), service, window, (1,))


def test_an_empty_van_takes_a_stop_inside_its_shift_only() -> None:
    r = route(start=8 * 3600, end=12 * 3600)
    sched = schedule(r, travel)
    assert best_insertion(r, sched, (10.0, 0.0), 300, (9 * 3600, 11 * 3600), (1,), travel) is not None
    late = best_insertion(r, sched, (10.0, 0.0), 300, (12 * 3600, 14 * 3600), (1,), travel)
    assert late is None  # service would start after the van is due back


def test_a_stop_that_would_push_a_promised_neighbour_out_of_its_window_does_not_fit() -> None:
    tight = stop("tight", 20.0, (3600, 3600 + 600))  # the van arrives at 20 min past the start, must start by 1:10
    r = route(tight, start=2400)
    sched = schedule(r, travel)
    assert sched.latest[0] == 3600 + 600
    # Going 50 units away first and coming back makes the tight stop late: the only place left is after it.
    found = best_insertion(r, sched, (50.0, 0.0), 300, (0, 36_000), (1,), travel)
    assert found is not None and found.position == 1
    # Inside a window that ends before the tight stop is done and the van can come back: nowhere.
    assert best_insertion(r, sched, (50.0, 0.0), 300, (0, 3000), (1,), travel) is None


def test_capacity_and_working_time_limit_insertion() -> None:
    full = route(stop("a", 1.0, (0, 36_000)), capacity=1)
    assert best_insertion(full, schedule(full, travel), (2.0, 0.0), 60, (0, 36_000), (1,), travel) is None
    short = route(start=0, end=36_000, max_work=1800)  # half an hour of work
    sched = schedule(short, travel)
    assert best_insertion(short, sched, (10.0, 0.0), 60, (7200, 9000), (1,), travel) is not None  # leaves late
    assert best_insertion(short, sched, (20.0, 0.0), 600, (7200, 9000), (1,), travel) is None  # 20+10+20 min > 30


def test_the_cheapest_route_wins_and_held_stops_take_room() -> None:
    near = route(stop("n", 5.0, (0, 36_000)), vehicle="near")
    far = route(stop("f", -40.0, (0, 36_000)), vehicle="far")  # the other way out of town
    routes = [near, far]
    found = cheapest(routes, [schedule(r, travel) for r in routes], (6.0, 0.0), 60, (0, 36_000), (1,), travel)
    assert found is not None and found.vehicle_id == "near" and found.detour_s == 120  # one unit out and back
    one = [route(capacity=2)]
    placed, left = add_stops(one, [stop("h1", 1.0, (0, 36_000)), stop("h2", 2.0, (0, 36_000)),
                                   stop("h3", 3.0, (0, 36_000))], travel)
    assert left == ["h3"] and sorted(s.stop_id for s in placed[0].stops) == ["h1", "h2"]
