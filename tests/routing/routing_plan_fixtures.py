"""A small hand-made Berlin problem and plan shared by the GeoJSON and PNG tests."""

from __future__ import annotations

from hub.routing.matrix import HaversineProvider
from hub.routing.model import Depot, Location, Problem, Route, RoutePlan, Stop, TimeWindow, Unassigned, Vehicle, Visit

# (lat, lng): the depot, then five stops.
POINTS = [(52.5200, 13.4050), (52.5300, 13.3900), (52.5350, 13.4200), (52.5100, 13.3800),
          (52.5050, 13.4300), (52.5450, 13.4500)]


def berlin_problem() -> Problem:
    m = HaversineProvider().matrices(POINTS, "van")
    depot = Depot("hub", 0, Location(*POINTS[0]))
    stops = tuple(Stop(f"s{i}", i, Location(*POINTS[i]), service_s=120) for i in range(1, 6))
    vehicles = tuple(Vehicle(v, 0, 0, (10,), TimeWindow(0, 36_000)) for v in ("north", "south"))
    return Problem((depot,), vehicles, stops, m.durations_s, m.distances_m, origin="2024-05-02T08:00:00+02:00",
                   name="berlin")


def berlin_plan() -> RoutePlan:
    north = Route("north", (Visit("s1", 300, 0, 300, 420, (1,), 1), Visit("s2", 700, 0, 700, 820, (0,), 2)),
                  distance_m=5400, duration_s=1200, cost=5.4, start_time=0, end_time=1200)
    south = Route("south", (Visit("s3", 400, 0, 400, 520, (0,), 3),), distance_m=4100, duration_s=900, cost=4.1,
                  start_time=0, end_time=900)
    idle = Route("idle", (), 0, 0, 0.0, 0, 0)
    return RoutePlan(routes=(north, south, idle),
                     unassigned=(Unassigned("s4", "window_unreachable", "closes at 09:00"),
                                 Unassigned("s5", "capacity")),
                     objective=9.5, backend="test", solve_time_s=0.1)
