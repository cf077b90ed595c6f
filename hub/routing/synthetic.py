"""Seeded synthetic delivery days for scale benchmarks and tests (no geography service needed)."""

from __future__ import annotations

import math
import random

from hub.routing.model import Depot, Location, Problem, Stop, TimeWindow, Vehicle

SPEED_M_S = 8.0  # about 29 km/h: a plausible urban average for vans, including junctions
CITY_M = 24_000  # side of the square city, metres: 2,000 stops at this size average ~500 m apart
DAY_S = 10 * 3600  # a ten-hour shift from the day's origin (08:00)
WINDOW_S = 2 * 3600  # two-hour delivery slots, the usual promise for same-day delivery
SERVICE_S = 150  # two and a half minutes at the door


def generate_day(n_stops: int, n_vehicles: int, *, seed: int = 7) -> Problem:
    """Planar city with the depot at its centre; windows, weight (g) and volume (cm3) demands."""
    rng = random.Random(seed)
    half = CITY_M / 2
    points = [(half, half)] + [(rng.uniform(0, CITY_M), rng.uniform(0, CITY_M)) for _ in range(n_stops)]
    dist: list[list[int]] = []
    dur: list[list[int]] = []
    for xi, yi in points:
        row = [math.hypot(xi - xj, yi - yj) * 1.3 for xj, yj in points]  # 1.3: street detour over straight line
        dist.append([round(d) for d in row])
        dur.append([math.ceil(d / SPEED_M_S) for d in row])
    shift = TimeWindow(0, DAY_S)
    vehicles = tuple(
        Vehicle(f"v{k + 1}", 0, 0, capacity=(600_000, 4_000_000), shift=shift, fixed_cost=50.0, cost_per_km=0.5,
                cost_per_hour=20.0)
        for k in range(n_vehicles)
    )
    stops = []
    for i in range(1, n_stops + 1):
        start = rng.randrange(0, DAY_S - WINDOW_S, 1800)
        stops.append(Stop(
            id=f"s{i}", location_index=i, location=Location.xy(*points[i]), service_s=SERVICE_S,
            time_windows=(TimeWindow(start, start + WINDOW_S),),
            demand=(rng.randint(500, 25_000), rng.randint(1_000, 120_000)),
            priority=rng.choice((0, 0, 0, 1)),
        ))
    depot = Depot("depot", 0, Location.xy(*points[0]), shift)
    return Problem((depot,), vehicles, tuple(stops), dur, dist, origin="2024-01-01T08:00:00",
                   dimension_names=("weight_g", "volume_cm3"), name=f"synthetic-{n_stops}x{n_vehicles}")
