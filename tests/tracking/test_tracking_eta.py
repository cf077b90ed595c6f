"""Pure ETA recomputation: on time, waiting when early, delayed; and the eta_changed threshold."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hub.routing.matrix import HaversineProvider, SpeedProfile, ceil_int, haversine_m
from hub.tracking.eta import DEFAULT_ETA_THRESHOLD_S, RemainingStop, eta_changed, recompute_etas

BERLIN = timezone(timedelta(hours=1))
ALEX = (52.5219, 13.4132)  # Alexanderplatz
HACKESCHER = (52.5225, 13.4020)  # Hackescher Markt
BRANDENBURGER = (52.5163, 13.3777)  # Brandenburger Tor
FLAT = HaversineProvider(profile=SpeedProfile.flat())  # no rush-hour effect: the numbers below are exact


def drive_s(a: tuple[float, float], b: tuple[float, float], kmh: float = 30.0) -> int:
    return ceil_int(haversine_m(a, b) * 1.3 / (kmh / 3.6))


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 10, hour, minute, tzinfo=BERLIN)


def test_on_time_stops_follow_each_other_with_service_times() -> None:
    stops = [RemainingStop("a", HACKESCHER, service_s=300, window_start=at(10), window_end=at(12)),
             RemainingStop("b", BRANDENBURGER, service_s=120, window_end=at(12))]
    etas = recompute_etas(ALEX, at(10, 30), stops, provider=FLAT)
    first = at(10, 30) + timedelta(seconds=drive_s(ALEX, HACKESCHER))
    assert etas[0].arrival == etas[0].service_start == first
    assert etas[0].wait_s == 0 and not etas[0].late
    assert etas[0].departure == first + timedelta(seconds=300)
    assert etas[1].arrival == etas[0].departure + timedelta(seconds=drive_s(HACKESCHER, BRANDENBURGER))
    assert not etas[1].late


def test_early_arrival_waits_for_the_window_and_pushes_the_next_stop() -> None:
    stops = [RemainingStop("a", HACKESCHER, service_s=300, window_start=at(11), window_end=at(12)),
             RemainingStop("b", BRANDENBURGER, service_s=0)]
    etas = recompute_etas(ALEX, at(10), stops, provider=FLAT)
    assert etas[0].arrival < at(11)
    assert etas[0].service_start == at(11)
    assert etas[0].wait_s == int((at(11) - etas[0].arrival).total_seconds())
    assert etas[1].arrival == at(11, 5) + timedelta(seconds=drive_s(HACKESCHER, BRANDENBURGER))


def test_delayed_vehicle_is_late_for_the_window() -> None:
    stops = [RemainingStop("a", BRANDENBURGER, window_start=at(9), window_end=at(10))]
    etas = recompute_etas(ALEX, at(9, 55), stops, provider=FLAT)
    expected_late = (at(9, 55) + timedelta(seconds=drive_s(ALEX, BRANDENBURGER)) - at(10)).total_seconds()
    assert etas[0].late and etas[0].late_s == int(expected_late)


def test_busy_at_the_current_stop_delays_departure() -> None:
    stops = [RemainingStop("a", HACKESCHER)]
    free = recompute_etas(ALEX, at(14), stops, provider=FLAT)[0].arrival
    busy = recompute_etas(ALEX, at(14), stops, provider=FLAT, busy_until=at(14, 10))[0].arrival
    assert busy - free == timedelta(minutes=10)


def test_vehicle_type_and_rush_hour_change_travel_times() -> None:
    stops = [RemainingStop("a", BRANDENBURGER)]
    van = recompute_etas(ALEX, at(14), stops, vehicle_type="van", provider=FLAT)[0].arrival
    bike = recompute_etas(ALEX, at(14), stops, vehicle_type="bike", provider=FLAT)[0].arrival
    assert bike - at(14) == timedelta(seconds=drive_s(ALEX, BRANDENBURGER, 15.0)) > van - at(14)
    rush = recompute_etas(ALEX, datetime(2026, 3, 10, 8, tzinfo=timezone.utc), stops)[0]  # 07-10: x0.7 speed
    assert rush.arrival - datetime(2026, 3, 10, 8, tzinfo=timezone.utc) > van - at(14)


def test_eta_changed_threshold() -> None:
    base = at(12)
    assert eta_changed(None, base)  # the first estimate is always told
    assert not eta_changed(base, base + timedelta(seconds=DEFAULT_ETA_THRESHOLD_S))
    assert eta_changed(base, base + timedelta(seconds=DEFAULT_ETA_THRESHOLD_S + 1))
    assert eta_changed(base, base - timedelta(minutes=6))  # earlier counts too
    assert not eta_changed(base, base + timedelta(minutes=9), threshold_s=600)
    assert eta_changed(base, base + timedelta(seconds=1), threshold_s=0)
