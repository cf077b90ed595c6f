"""Small geometry: great-circle distance, postal prefixes, GeoJSON point-in-polygon. Pure."""

from __future__ import annotations

import math
from typing import Any, Iterable, Sequence

EARTH_RADIUS_KM = 6371.0088
# Streets are not straight lines: urban road distance is about 1.3 times the great-circle distance.
ROAD_FACTOR = 1.3


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def road_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    return haversine_km(a, b) * ROAD_FACTOR


def normalize_postal(code: str | None) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def matches_prefix(postal_code: str, prefixes: Iterable[str]) -> bool:
    code = normalize_postal(postal_code)
    return bool(code) and any(code.startswith(normalize_postal(p)) for p in prefixes)


def _in_ring(lng: float, lat: float, ring: Sequence[Sequence[float]]) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat) and lng < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def _in_polygon(lng: float, lat: float, rings: Sequence[Sequence[Sequence[float]]]) -> bool:
    if not rings or not _in_ring(lng, lat, rings[0]):
        return False
    return not any(_in_ring(lng, lat, hole) for hole in rings[1:])


def contains(geometry: dict[str, Any], point: tuple[float, float]) -> bool:
    """Whether a GeoJSON Polygon / MultiPolygon (or a Feature holding one) contains (lat, lng)."""
    if geometry.get("type") == "Feature":
        geometry = geometry.get("geometry") or {}
    lat, lng = point  # GeoJSON positions are [lng, lat]
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    if kind == "Polygon":
        return _in_polygon(lng, lat, coords)
    if kind == "MultiPolygon":
        return any(_in_polygon(lng, lat, polygon) for polygon in coords)
    return False
