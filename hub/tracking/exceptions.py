"""Exception detectors. Pure: each takes plain values and returns an exception record or None.

A record is {"type", "cause", "severity", "details"}: `type` is a snake_case code (the event's `code`),
`cause` says what happened in words, `severity` is info | warning | error, `details` holds the numbers.
`to_event_data` turns a record into the data of a `delivery.exception` event (schemas/events/exception.v1.json).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hub.routing.matrix import EARTH_RADIUS_M, LatLng, haversine_m

Record = dict[str, Any]

# A delivery that will be up to half an hour late can still be saved by a call to the recipient; beyond
# that the promise is broken and someone should act now (reorder the route, re-assign, reschedule).
LATE_ERROR_S = 30 * 60
# The polyline joins stops with straight lines while roads wind: with a circuity of ~1.3 (see
# hub.routing.matrix.DEFAULT_ROAD_FACTOR) a road can bulge several hundred metres off the straight line on a
# 2-3 km urban leg, and GPS adds 5-50 m. 1 km off the line is a different way, not a different street.
DEVIATION_DISTANCE_M = 1000.0
# A blocked street, a one-way loop or a fuel stop takes a few minutes off the path; ten minutes or more
# off the path is worth an operator's look (wrong stop order, a personal errand, a vehicle problem).
DEVIATION_DURATION = timedelta(minutes=10)
# Phone GPS in cities is off by 5-50 m, and geocoders place an address on its parcel or street segment,
# usually within ~100 m; large blocks and campuses add the rest. Past 250 m (plus the fix's own accuracy)
# the driver was most likely at another address.
ADDRESS_MISMATCH_M = 250.0


def record(type_: str, cause: str, severity: str, **details: Any) -> Record:
    return {"type": type_, "cause": cause, "severity": severity, "details": details}


def _minutes(seconds: float) -> int:
    return int(math.ceil(seconds / 60))


def late_risk(eta: datetime, window_end: datetime | None) -> Record | None:
    """The ETA lies past the end of the promised window."""
    if window_end is None or eta <= window_end:
        return None
    late_s = (eta - window_end).total_seconds()
    return record("late_risk", f"expected about {_minutes(late_s)} min after the promised window ends",
                  "error" if late_s > LATE_ERROR_S else "warning",
                  eta=eta.isoformat(), window_end=window_end.isoformat(), late_s=int(late_s))


def failed_attempt(status_data: dict[str, Any]) -> Record | None:
    """From the data of a delivery.status_changed event: a failed attempt, with its reason."""
    if status_data.get("status") != "failed_attempt":
        return None
    details = {k: status_data[k] for k in ("reason_code", "note", "location") if status_data.get(k) is not None}
    cause = status_data.get("reason") or "the delivery attempt failed"
    return record("failed_attempt", cause, "warning", **details)


# ---- route deviation ------------------------------------------------------------------------------------

def _project(origin: LatLng, point: LatLng) -> tuple[float, float]:
    """Metres east / north of origin on a local flat plane (equirectangular: exact enough within a city)."""
    x = math.radians(point[1] - origin[1]) * math.cos(math.radians(origin[0])) * EARTH_RADIUS_M
    y = math.radians(point[0] - origin[0]) * EARTH_RADIUS_M
    return x, y


def distance_to_polyline_m(point: LatLng, path: Sequence[LatLng]) -> float:
    """Shortest distance in metres from point to the polyline through `path` (a single point: to that point)."""
    if not path:
        raise ValueError("the path has no points")
    if len(path) == 1:
        return haversine_m(point, path[0])
    best = math.inf
    for a, b in zip(path, path[1:]):
        ax, ay = _project(point, a)
        bx, by = _project(point, b)
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length2))
        best = min(best, math.hypot(ax + t * dx, ay + t * dy))  # the point is the plane's origin
    return best


@dataclass(frozen=True)
class Ping:
    lat: float
    lng: float
    at: datetime


def route_deviation(pings: Sequence[Ping], path: Sequence[LatLng], *,
                    max_distance_m: float = DEVIATION_DISTANCE_M,
                    min_duration: timedelta = DEVIATION_DURATION) -> Record | None:
    """The latest pings have all been farther than max_distance_m from the path for at least min_duration.

    Only the current stretch counts: a ping back near the path ends a deviation."""
    if not path or not pings:
        return None
    ordered = sorted(pings, key=lambda p: p.at)
    off: list[tuple[Ping, float]] = []
    for ping in reversed(ordered):
        distance = distance_to_polyline_m((ping.lat, ping.lng), path)
        if distance <= max_distance_m:
            break
        off.append((ping, distance))
    if not off:
        return None
    first, last = off[-1][0], off[0][0]
    if last.at - first.at < min_duration:
        return None
    farthest = max(d for _, d in off)
    return record("route_deviation",
                  f"off the planned path for {_minutes((last.at - first.at).total_seconds())} min, "
                  f"up to {round(farthest)} m away", "warning",
                  since=first.at.isoformat(), until=last.at.isoformat(), max_distance_m=round(farthest),
                  location={"lat": last.lat, "lng": last.lng}, threshold_m=max_distance_m)


def address_mismatch(position: dict[str, float] | None, geocode: dict[str, float] | None, *,
                     max_distance_m: float = ADDRESS_MISMATCH_M) -> Record | None:
    """A completion was reported farther than max_distance_m (plus the fix's accuracy) from the address."""
    if not position or not geocode or "lat" not in position or "lat" not in geocode:
        return None
    distance = haversine_m((position["lat"], position["lng"]), (geocode["lat"], geocode["lng"]))
    allowed = max_distance_m + float(position.get("accuracy_m") or 0.0)
    if distance <= allowed:
        return None
    return record("address_mismatch", f"completed {round(distance)} m from the delivery address", "warning",
                  distance_m=round(distance), allowed_m=round(allowed),
                  location={"lat": position["lat"], "lng": position["lng"]},
                  geocode={"lat": geocode["lat"], "lng": geocode["lng"]})


def to_event_data(rec: Record) -> dict[str, Any]:
    """The data of a delivery.exception event for this record (exception.v1: code, message, severity, location)."""
    data: dict[str, Any] = {"code": rec["type"], "message": rec["cause"], "severity": rec["severity"]}
    location = rec["details"].get("location")
    if isinstance(location, dict) and "lat" in location and "lng" in location:
        data["location"] = {k: location[k] for k in ("lat", "lng", "accuracy_m") if k in location}
    note = rec["details"].get("note")
    if isinstance(note, str) and note:
        data["note"] = note
    return data
