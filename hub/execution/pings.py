"""Drivers' location pings: validated in batches and stored once per (driver, device time)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.canonical.fields import parse_aware_timestamp
from hub.canonical.validation import FieldError
from hub.db.models.execution import DriverPing
from hub.ledger.envelope import utc

# A phone that was offline for ~40 minutes, sampling every 5 s, sends about this many points at once.
MAX_POINTS = 500
# Phone clocks drift; a point further ahead than this is a broken clock, not a position.
MAX_CLOCK_AHEAD = timedelta(minutes=5)
# Physical bounds: accuracy beyond 100 km or speed beyond 100 m/s (360 km/h) is a broken sensor, not a van.
RANGES = {"lat": (-90.0, 90.0), "lng": (-180.0, 180.0), "accuracy_m": (0.0, 100_000.0),
          "speed_mps": (0.0, 100.0), "heading_deg": (0.0, 360.0)}
REQUIRED = ("lat", "lng", "recorded_at")


def parse_points(body: Any, now: datetime) -> tuple[list[dict[str, Any]], list[FieldError]]:
    """{"points": [{"lat", "lng", "recorded_at", "accuracy_m"?, "speed_mps"?, "heading_deg"?, "delivery_id"?}]}"""
    points = body.get("points") if isinstance(body, dict) else None
    if not isinstance(points, list) or not points:
        return [], [FieldError("$.points", "send a non-empty list of points")]
    if len(points) > MAX_POINTS:
        return [], [FieldError("$.points", f"at most {MAX_POINTS} points per request")]
    good, errors = [], []
    for index, point in enumerate(points):
        where = f"$.points[{index}]"
        if not isinstance(point, dict):
            errors.append(FieldError(where, "must be an object"))
            continue
        errors += [FieldError(f"{where}.{name}", "is required") for name in REQUIRED if point.get(name) is None]
        for name, (low, high) in RANGES.items():
            value = point.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or not low <= value <= high):
                errors.append(FieldError(f"{where}.{name}", f"must be a number from {low:g} to {high:g}"))
        recorded = parse_aware_timestamp(point.get("recorded_at"))
        if point.get("recorded_at") is not None and recorded is None:
            errors.append(FieldError(f"{where}.recorded_at", "must be an ISO 8601 time with a timezone"))
        elif recorded is not None and recorded > now + MAX_CLOCK_AHEAD:
            errors.append(FieldError(f"{where}.recorded_at", "is in the future: check the device clock"))
        if point.get("delivery_id") is not None and not isinstance(point["delivery_id"], str):
            errors.append(FieldError(f"{where}.delivery_id", "must be a string"))
        good.append({**point, "recorded_at": recorded})
    return good, errors


def store_pings(session: Session, tenant_id: str, driver_id: str, points: list[dict[str, Any]]) -> int:
    """Insert the points not stored before; returns how many were new."""
    times = [p["recorded_at"] for p in points]
    seen = {utc(t).timestamp() for t in session.execute(select(DriverPing.recorded_at).where(
        DriverPing.tenant_id == tenant_id, DriverPing.driver_id == driver_id,
        DriverPing.recorded_at >= min(times), DriverPing.recorded_at <= max(times))).scalars()}
    new = 0
    for point in points:
        stamp = point["recorded_at"].timestamp()
        if stamp in seen:
            continue
        seen.add(stamp)
        session.add(DriverPing(tenant_id=tenant_id, driver_id=driver_id, delivery_id=point.get("delivery_id"),
                               lat=point["lat"], lng=point["lng"], accuracy_m=point.get("accuracy_m"),
                               speed_mps=point.get("speed_mps"), heading_deg=point.get("heading_deg"),
                               recorded_at=point["recorded_at"]))
        new += 1
    return new
