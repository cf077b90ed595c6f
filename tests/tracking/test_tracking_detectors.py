"""Exception detectors on hand-made Berlin coordinates."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hub.canonical.validation import validate_document
from hub.routing.matrix import haversine_m
from hub.tracking.exceptions import (
    DEVIATION_DISTANCE_M, Ping, address_mismatch, distance_to_polyline_m, failed_attempt, late_risk, route_deviation,
    to_event_data,
)

T0 = datetime(2026, 3, 10, 10, 0, tzinfo=timezone.utc)
ALEX = (52.5219, 13.4132)
BRANDENBURGER = (52.5163, 13.3777)
MIDWAY = (52.5193, 13.3952)  # Unter den Linden / Friedrichstrasse side, ~10 m off the straight line
TEMPELHOF = (52.4730, 13.4039)  # ~5 km south of that line


def test_late_risk_only_past_the_window_end_and_severity_grows() -> None:
    end = T0
    assert late_risk(T0 - timedelta(minutes=1), end) is None
    assert late_risk(T0, end) is None
    assert late_risk(T0 + timedelta(hours=2), None) is None
    small = late_risk(T0 + timedelta(minutes=10), end)
    assert small and small["type"] == "late_risk" and small["severity"] == "warning"
    assert small["details"]["late_s"] == 600
    assert late_risk(T0 + timedelta(minutes=45), end)["severity"] == "error"  # type: ignore[index]


def test_failed_attempt_from_the_status_event() -> None:
    assert failed_attempt({"status": "delivered"}) is None
    rec = failed_attempt({"status": "failed_attempt", "previous_status": "arriving", "reason": "Nobody was there",
                          "reason_code": "customer_unavailable", "note": "rang twice",
                          "location": {"lat": 52.52, "lng": 13.41}})
    assert rec == {"type": "failed_attempt", "cause": "Nobody was there", "severity": "warning",
                   "details": {"reason_code": "customer_unavailable", "note": "rang twice",
                               "location": {"lat": 52.52, "lng": 13.41}}}
    data = to_event_data(rec)
    assert validate_document("events/exception.v1", data) == []
    assert data["code"] == "failed_attempt" and data["note"] == "rang twice"


def test_distance_to_polyline() -> None:
    path = [ALEX, BRANDENBURGER]
    assert distance_to_polyline_m(ALEX, path) < 1
    assert distance_to_polyline_m(MIDWAY, path) < 30  # near the segment, far from either end
    assert min(haversine_m(MIDWAY, ALEX), haversine_m(MIDWAY, BRANDENBURGER)) > 400
    far = distance_to_polyline_m(TEMPELHOF, path)
    assert 4500 < far < 5500
    assert abs(distance_to_polyline_m(TEMPELHOF, [ALEX]) - haversine_m(TEMPELHOF, ALEX)) < 1e-6
    # past the end of the segment the distance is to the end point
    beyond = (52.5163, 13.3500)
    assert abs(distance_to_polyline_m(beyond, path) - haversine_m(beyond, BRANDENBURGER)) < 5


def pings(points: list[tuple[float, float]], every_min: int = 2) -> list[Ping]:
    return [Ping(lat, lng, T0 + timedelta(minutes=every_min * i)) for i, (lat, lng) in enumerate(points)]


def test_route_deviation_needs_distance_and_duration() -> None:
    path = [ALEX, BRANDENBURGER]
    on_path = pings([ALEX, MIDWAY, MIDWAY])
    assert route_deviation(on_path, path) is None
    short = pings([ALEX, MIDWAY] + [TEMPELHOF] * 3)  # off for 4 minutes
    assert route_deviation(short, path) is None
    long = pings([ALEX, MIDWAY] + [TEMPELHOF] * 7)  # off for 12 minutes
    rec = route_deviation(long, path)
    assert rec and rec["type"] == "route_deviation" and rec["severity"] == "warning"
    assert rec["details"]["max_distance_m"] > DEVIATION_DISTANCE_M
    assert rec["details"]["since"] == (T0 + timedelta(minutes=4)).isoformat()
    assert validate_document("events/exception.v1", to_event_data(rec)) == []
    back = pings([ALEX] + [TEMPELHOF] * 7 + [MIDWAY])  # back on the path: the stretch is over
    assert route_deviation(back, path) is None
    assert route_deviation(long, path, min_duration=timedelta(minutes=20)) is None
    assert route_deviation(long, path, max_distance_m=10_000) is None


def test_address_mismatch() -> None:
    geo = {"lat": 52.5219, "lng": 13.4132}
    assert address_mismatch({"lat": 52.5221, "lng": 13.4135}, geo) is None  # ~30 m
    assert address_mismatch(None, geo) is None and address_mismatch({"lat": 1.0, "lng": 1.0}, None) is None
    rec = address_mismatch({"lat": 52.5163, "lng": 13.3777}, geo)  # Brandenburger Tor, ~2.5 km
    assert rec and rec["type"] == "address_mismatch" and 2000 < rec["details"]["distance_m"] < 3000
    near_edge = {"lat": 52.5219 + 0.0027, "lng": 13.4132}  # ~300 m north
    assert address_mismatch(near_edge, geo) is not None
    assert address_mismatch({**near_edge, "accuracy_m": 80.0}, geo) is None  # a poor fix gets its accuracy
    assert validate_document("events/exception.v1", to_event_data(rec)) == []
