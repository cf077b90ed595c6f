"""Great-circle matrices, time-of-day profiles and the LRU cache in front of any provider."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pytest

from hub.routing.matrix import (
    HaversineProvider,
    LatLng,
    Matrices,
    SpeedBand,
    SpeedProfile,
    ceil_int,
    haversine_m,
)
from hub.routing.matrix_cache import CachedProvider

# One degree of latitude on the mean-radius sphere: 111 195.08 m; x 1.3 road factor = 144 553.6 m.
EQUATOR = (0.0, 0.0)
ONE_DEGREE_NORTH = (1.0, 0.0)


def test_haversine_paris_london() -> None:
    assert haversine_m((48.8566, 2.3522), (51.5074, -0.1278)) == pytest.approx(343_556, abs=1)


def test_haversine_provider_rounds_up_and_is_symmetric() -> None:
    m = HaversineProvider().matrices([EQUATOR, ONE_DEGREE_NORTH, (0.0, 1.0)], "van")
    assert m.distances_m[0][1] == 144_554  # 144 553.6 rounded up
    assert m.durations_s[0][1] == 17_347  # 144 553.6 m at 30 km/h = 17 346.4 s, rounded up
    assert m.distances_m[1][2] == 204_425
    for i in range(3):
        assert m.durations_s[i][i] == 0 and m.distances_m[i][i] == 0
        for j in range(3):
            assert m.durations_s[i][j] == m.durations_s[j][i]


def test_vehicle_types_drive_at_their_own_speed() -> None:
    p = HaversineProvider()
    van = p.matrices([EQUATOR, ONE_DEGREE_NORTH], "van").durations_s[0][1]
    bike = p.matrices([EQUATOR, ONE_DEGREE_NORTH], "bike").durations_s[0][1]
    truck = p.matrices([EQUATOR, ONE_DEGREE_NORTH], "truck").durations_s[0][1]
    assert (van, truck, bike) == (17_347, 20_816, 34_693)
    with pytest.raises(ValueError, match="no speed for vehicle type 'hovercraft'"):
        p.matrices([EQUATOR], "hovercraft")


def test_rush_hour_is_slower_and_night_faster() -> None:
    p = HaversineProvider()
    pts = [EQUATOR, ONE_DEGREE_NORTH]
    noon = p.matrices(pts, "van", datetime(2024, 5, 2, 12, 0)).durations_s[0][1]
    rush = p.matrices(pts, "van", datetime(2024, 5, 2, 8, 15)).durations_s[0][1]
    night = p.matrices(pts, "bike", datetime(2024, 5, 2, 3, 15)).durations_s[0][1]
    assert noon == 17_347
    assert rush == 24_781  # speed x 0.7
    assert night == 30_168  # bike at 15 x 1.15 km/h, the 22->6 band wraps midnight
    # Distances do not depend on the clock.
    assert p.matrices(pts, "van", datetime(2024, 5, 2, 8, 15)).distances_m == p.matrices(pts, "van").distances_m


def test_custom_profile_and_validation() -> None:
    profile = SpeedProfile(bands=(SpeedBand(12, 13, 0.5),))
    assert profile.multiplier(datetime(2024, 1, 1, 12, 59)) == 0.5
    assert profile.multiplier(datetime(2024, 1, 1, 13, 0)) == 1.0
    assert SpeedProfile.flat().multiplier(datetime(2024, 1, 1, 8)) == 1.0
    with pytest.raises(ValueError):
        SpeedBand(5, 6, 0.0)
    with pytest.raises(ValueError, match="road_factor"):
        HaversineProvider(road_factor=0.9)
    with pytest.raises(ValueError, match="point 1"):
        HaversineProvider().matrices([EQUATOR, (0.0, 200.0)], "van")


def test_ceil_ignores_float_noise() -> None:
    assert ceil_int(100.0000000001) == 100
    assert ceil_int(100.01) == 101
    assert ceil_int(0.0) == 0


def test_matrices_must_be_square() -> None:
    with pytest.raises(ValueError, match="distances_m"):
        Matrices(durations_s=[[0, 1], [1, 0]], distances_m=[[0]])


class CountingProvider:
    """The real haversine provider, counting how often it is asked."""

    def __init__(self) -> None:
        self.calls = 0
        self.inner = HaversineProvider()

    def matrices(self, points: Sequence[LatLng], vehicle_type: str, depart_at: datetime | None = None) -> Matrices:
        self.calls += 1
        return self.inner.matrices(points, vehicle_type, depart_at)


def test_cache_hits_on_rounded_points_and_misses_on_type_and_hour() -> None:
    inner = CountingProvider()
    cache = CachedProvider(inner, max_entries=8)
    pts = [(52.520008, 13.404954), (52.516275, 13.377704)]
    first = cache.matrices(pts, "van", datetime(2024, 5, 2, 9, 5))
    # 3e-7 degrees is ~3 cm: the same door.
    again = cache.matrices([(52.5200083, 13.4049537), (52.516275, 13.377704)], "van", datetime(2024, 5, 2, 9, 55))
    assert again == first
    assert (cache.hits, cache.misses, inner.calls) == (1, 1, 1)
    cache.matrices(pts, "bike", datetime(2024, 5, 2, 9, 5))  # other vehicle type
    cache.matrices(pts, "van", datetime(2024, 5, 2, 10, 5))  # other hour
    cache.matrices(pts, "van", None)  # no departure time
    assert (cache.hits, cache.misses, inner.calls) == (1, 4, 4)
    assert len(cache) == 4


def test_cache_evicts_least_recently_used() -> None:
    inner = CountingProvider()
    cache = CachedProvider(inner, max_entries=2)
    a, b, c = [(0.0, 0.0), (0.0, 0.1)], [(0.0, 0.0), (0.0, 0.2)], [(0.0, 0.0), (0.0, 0.3)]
    cache.matrices(a, "van")
    cache.matrices(b, "van")
    cache.matrices(a, "van")  # a is now the most recent
    cache.matrices(c, "van")  # evicts b
    assert inner.calls == 3
    cache.matrices(a, "van")
    assert inner.calls == 3
    cache.matrices(b, "van")
    assert inner.calls == 4
    assert len(cache) == 2


def test_cache_returns_copies_callers_cannot_corrupt() -> None:
    cache = CachedProvider(CountingProvider(), max_entries=2)
    pts = [EQUATOR, ONE_DEGREE_NORTH]
    cache.matrices(pts, "van").durations_s[0][1] = -1
    assert cache.matrices(pts, "van").durations_s[0][1] == 17_347


def test_cache_can_bucket_by_speed_band() -> None:
    inner = CountingProvider()
    profile = SpeedProfile()
    cache = CachedProvider(inner, max_entries=4, bucket=profile.band_index)
    pts = [EQUATOR, ONE_DEGREE_NORTH]
    cache.matrices(pts, "van", datetime(2024, 5, 2, 7, 10))
    cache.matrices(pts, "van", datetime(2024, 5, 2, 9, 50))  # same morning-rush band
    assert (cache.hits, inner.calls) == (1, 1)
