"""Travel matrices: the provider interface and the offline great-circle provider.

A provider turns a list of points into integer duration (seconds) and distance (metres) matrices
for one vehicle type, optionally at a departure time. Values are rounded UP, so a plan that is
feasible on the integer matrix stays feasible when the real, fractional times are replayed.
Pure computation only; the HTTP provider lives in `osrm.py`, the cache in `matrix_cache.py`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

LatLng = tuple[float, float]
IntMatrix = list[list[int]]

# Stands for "no road between these points" (an OSRM null). About 116 days: longer than any planning
# horizon, so time windows reject the arc, yet thousands of them still sum far below int64 overflow.
UNREACHABLE = 10_000_000

# Mean Earth radius (IUGG), the usual choice for haversine distances.
EARTH_RADIUS_M = 6_371_008.8

# Rounding noise below a micro-second/micro-metre must not add a whole unit when rounding up.
_CEIL_EPSILON = 1e-6


@dataclass(frozen=True)
class Matrices:
    """Square matrices, row = from, column = to, in the order of the points given."""

    durations_s: IntMatrix
    distances_m: IntMatrix

    def __post_init__(self) -> None:
        n = len(self.durations_s)
        for label, mat in (("durations_s", self.durations_s), ("distances_m", self.distances_m)):
            if len(mat) != n or any(len(row) != n for row in mat):
                raise ValueError(f"{label} must be {n}x{n}")

    @property
    def size(self) -> int:
        return len(self.durations_s)


class MatrixProvider(Protocol):
    """Anything that can price travel between points for one vehicle type."""

    def matrices(
        self, points: Sequence[LatLng], vehicle_type: str, depart_at: datetime | None = None
    ) -> Matrices: ...


def ceil_int(value: float) -> int:
    """Round up to an integer, ignoring float noise (100.0000000001 stays 100)."""
    return max(0, math.ceil(value - _CEIL_EPSILON))


def haversine_m(a: LatLng, b: LatLng) -> float:
    """Great-circle distance in metres between two (lat, lng) points in degrees."""
    lat1, lng1 = math.radians(a[0]), math.radians(a[1])
    lat2, lng2 = math.radians(b[0]), math.radians(b[1])
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def validate_points(points: Sequence[LatLng]) -> None:
    for i, (lat, lng) in enumerate(points):
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lng <= 180.0):
            raise ValueError(f"point {i} is not a (lat, lng) pair in degrees: ({lat}, {lng})")


# ------------------------------------------------------------------ time-of-day speed profile


@dataclass(frozen=True)
class SpeedBand:
    """Hours [start_hour, end_hour) local time, speed multiplied by `multiplier`.

    A band may wrap midnight (start_hour > end_hour, e.g. 22 -> 6)."""

    start_hour: int
    end_hour: int
    multiplier: float

    def __post_init__(self) -> None:
        if not (0 <= self.start_hour <= 23 and 0 <= self.end_hour <= 24):
            raise ValueError(f"speed band hours out of range: {self.start_hour}..{self.end_hour}")
        if self.multiplier <= 0:
            raise ValueError(f"speed band multiplier must be positive: {self.multiplier}")

    def covers(self, hour: int) -> bool:
        if self.start_hour <= self.end_hour:
            return self.start_hour <= hour < self.end_hour
        return hour >= self.start_hour or hour < self.end_hour


# Urban traffic studies (e.g. TomTom Traffic Index) put peak-hour speeds at roughly 65-75 % of
# free flow in European and US cities; nights run a little faster than the daytime base speed.
DEFAULT_BANDS: tuple[SpeedBand, ...] = (
    SpeedBand(7, 10, 0.7),  # morning rush: about 30 % slower than the daytime base
    SpeedBand(16, 19, 0.75),  # evening rush: spread over more hours, a little lighter than the morning
    SpeedBand(22, 6, 1.15),  # night: empty streets, but speed limits cap the gain at ~15 %
)


@dataclass(frozen=True)
class SpeedProfile:
    """Time-of-day speed multipliers; the first band covering the hour wins, 1.0 elsewhere."""

    bands: tuple[SpeedBand, ...] = DEFAULT_BANDS

    def band_index(self, depart_at: datetime | None) -> int:
        """Which band applies (-1 for none): also the cache's time-of-day bucket."""
        if depart_at is None:
            return -1
        for i, band in enumerate(self.bands):
            if band.covers(depart_at.hour):
                return i
        return -1

    def multiplier(self, depart_at: datetime | None) -> float:
        i = self.band_index(depart_at)
        return 1.0 if i < 0 else self.bands[i].multiplier

    @classmethod
    def flat(cls) -> SpeedProfile:
        """No time-of-day effect."""
        return cls(bands=())


# ------------------------------------------------------------------ haversine provider

# Circuity: road distance over great-circle distance averages 1.2-1.4 in urban networks (Ballou et
# al. 2002; Boscoe et al. 2012 measured ~1.4 for short trips), so 1.3 is the middle of that range.
DEFAULT_ROAD_FACTOR = 1.3

# Average door-to-door urban speeds including stops at lights: cargo bikes ~15 km/h, vans ~30 km/h,
# box trucks slower than vans (~25 km/h) because of turning, loading bays and access rules.
DEFAULT_SPEEDS_KMH: Mapping[str, float] = {"bike": 15.0, "van": 30.0, "truck": 25.0}


@dataclass(frozen=True)
class HaversineProvider:
    """Offline estimate: great-circle distance x road factor, at a per-vehicle-type average speed."""

    road_factor: float = DEFAULT_ROAD_FACTOR
    speeds_kmh: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SPEEDS_KMH))
    profile: SpeedProfile = field(default_factory=SpeedProfile)

    def __post_init__(self) -> None:
        if self.road_factor < 1.0:
            raise ValueError(f"road_factor must be >= 1 (roads are never shorter than a straight line): "
                             f"{self.road_factor}")
        for vtype, speed in self.speeds_kmh.items():
            if speed <= 0:
                raise ValueError(f"speed for {vtype!r} must be positive: {speed}")

    def speed_mps(self, vehicle_type: str, depart_at: datetime | None = None) -> float:
        if vehicle_type not in self.speeds_kmh:
            known = ", ".join(sorted(self.speeds_kmh))
            raise ValueError(f"no speed for vehicle type {vehicle_type!r} (known: {known})")
        return self.speeds_kmh[vehicle_type] * self.profile.multiplier(depart_at) / 3.6

    def matrices(
        self, points: Sequence[LatLng], vehicle_type: str, depart_at: datetime | None = None
    ) -> Matrices:
        validate_points(points)
        speed = self.speed_mps(vehicle_type, depart_at)
        n = len(points)
        durations: IntMatrix = [[0] * n for _ in range(n)]
        distances: IntMatrix = [[0] * n for _ in range(n)]
        for i in range(n):
            for j in range(i + 1, n):
                road_m = haversine_m(points[i], points[j]) * self.road_factor
                dist, dur = ceil_int(road_m), ceil_int(road_m / speed)
                distances[i][j] = distances[j][i] = dist
                durations[i][j] = durations[j][i] = dur
        return Matrices(durations_s=durations, distances_m=distances)
