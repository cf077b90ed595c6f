"""Data-quality checks every delivery goes through on the way in (connector mapping and API posts).

``check(content)`` is pure: canonical delivery content in, data-quality flags out
(``{code, message, field, severity}``, schemas/delivery.v1.json#/$defs/DataQualityFlag). The ingest
step merges them into ``data_quality_flags`` (``with_quality_flags``); a warning or error flag makes a new
delivery ``needs_attention`` (hub/ledger/deliveries.py), and the flags are the reasons shown by the API.

What is checked, on the drop-off address and contact (the pickup address: postal code and geo only):
- ``address_missing_unit`` (warning): a line says "Tower", "Apartment", "c/o"... and there is no unit.
- ``geo_missing`` (info): no coordinates; a geocoder or the driver will have to find the place.
- ``geo_far_from_postal_code`` (warning): the coordinates lie outside the postal code's area. Only for
  postal prefixes in mappings/common/postal_codes.yaml (a few big cities per country); elsewhere nothing is said.
- ``postal_code_invalid`` (warning): the code does not have the country's format (countries in the table).
- ``phone_unparsable`` / ``phone_invalid`` (warning): hub.canonical.normalize_phone cannot read the number.
- ``window_in_past`` (warning): a new delivery's promised window had already ended when it came in
  (``with_window_flag``, with the clock passed in; an update to an old delivery is not flagged).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from hub.canonical.fields import parse_aware_timestamp
from hub.canonical.phone import normalize_phone
from hub.paths import MAPPINGS_DIR
from hub.plugins.address import ADDRESS_WORDS
from hub.plugins.tables import load_table

# Added to each area's radius before a point counts as far: the centroids are read off a map and a
# geocoder may place a large plot's point at its edge; a smaller margin would flag honest data.
GEO_MARGIN_KM = 15.0
EARTH_RADIUS_KM = 6371.0
# What follows a unit word when the unit is written in the line: "4B", "12", "B", "2-07", "no. 5".
_IDENTIFIER = r"\.?\s*(?:no\.?\s*|nr\.?\s*|#\s*)?(?:\d[\w/-]*|[a-z]\d[\w/-]*|[a-z](?![\w]))"
_HASH_UNIT = re.compile(r"#\s*\w+")

Flag = dict[str, str]


@dataclass(frozen=True)
class Centroid:
    lat: float
    lng: float
    radius_km: float


@dataclass(frozen=True)
class PostalRule:
    country: str
    pattern: re.Pattern[str]
    example: str
    prefix: re.Pattern[str] | None
    centroids: Mapping[str, Centroid]


@dataclass(frozen=True)
class Hints:
    unit_words: tuple[re.Pattern[str], ...]
    unit_with_identifier: tuple[re.Pattern[str], ...]
    building_words: tuple[re.Pattern[str], ...]
    street_after: re.Pattern[str]


def _word(word: str) -> str:
    return rf"(?<!\w){re.escape(word)}(?!\w)"


@cache
def postal_rules() -> dict[str, PostalRule]:
    """mappings/common/postal_codes.yaml; the schema checks its shape, this what it cannot (an example
    that matches its own pattern, centroids only where there is a prefix): a TableError at first use."""
    table = load_table(MAPPINGS_DIR / "common", "postal_codes")
    rules: dict[str, PostalRule] = {}
    for country, entry in table["countries"].items():
        pattern = re.compile(f"(?:{entry['pattern']})")
        example = str(entry["example"])
        if not pattern.fullmatch(example):
            raise table.error(("countries", country, "example"), f"the example {example!r} does not match its own pattern")
        prefix = re.compile(entry["prefix"]) if entry.get("prefix") else None
        if entry.get("centroids") and prefix is None:
            raise table.error(("countries", country, "centroids"), "centroids need a prefix that names the area")
        centroids = {str(key): Centroid(float(c["lat"]), float(c["lng"]), float(c["radius_km"]))
                     for key, c in (entry.get("centroids") or {}).items()}
        rules[str(country)] = PostalRule(str(country), pattern, example, prefix, centroids)
    return rules


@cache
def hints() -> Hints:
    """The common address words (mappings/common/address_words.yaml), compiled."""
    words = ADDRESS_WORDS["words"]
    missing = {"unit", "building", "street"} - set(words)
    if missing:
        raise ADDRESS_WORDS.error(("words",), f"the address words need the lists {sorted(missing)}")
    units, buildings, streets = ([str(w).lower() for w in words[group]] for group in ("unit", "building", "street"))
    return Hints(
        unit_words=tuple(re.compile(_word(w), re.I) for w in units),
        unit_with_identifier=tuple(re.compile(_word(w) + _IDENTIFIER, re.I) for w in units),
        building_words=tuple(re.compile(_word(w), re.I) for w in buildings),
        street_after=re.compile(r"\s+(?:" + "|".join(re.escape(w) for w in streets) + r")(?!\w)", re.I),
    )


def _flag(code: str, message: str, field: str, severity: str) -> Flag:
    return {"code": code, "message": message, "field": field, "severity": severity}


def normalize_postal_code(code: str) -> str:
    return " ".join(code.upper().split())


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle (haversine) distance."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def area_of(country: str, postal_code: str) -> tuple[str, Centroid] | None:
    """The known area (prefix, centroid) of a valid postal code, or None when the table does not know it."""
    rule = postal_rules().get(country)
    code = normalize_postal_code(postal_code)
    if rule is None or rule.prefix is None or not rule.pattern.fullmatch(code):
        return None
    found = rule.prefix.match(code.replace(" ", ""))
    if found is None or found.group(0) not in rule.centroids:
        return None
    return found.group(0), rule.centroids[found.group(0)]


def _unit_hint(address: Mapping[str, Any]) -> str | None:
    """The word that makes the address look multi-unit, or None (also None when a line names the unit)."""
    lines = [str(address[k]) for k in ("line1", "line2") if address.get(k)]
    table = hints()
    if any(p.search(line) for line in lines for p in table.unit_with_identifier) or any(_HASH_UNIT.search(line) for line in lines):
        return None
    for line in lines:
        for pattern in (*table.unit_words, *table.building_words):
            for found in pattern.finditer(line):
                if not table.street_after.match(line, found.end()):  # "Tower Road" is a street
                    return found.group(0)
    return None


def _postal_flags(address: Mapping[str, Any], base: str) -> list[Flag]:
    country, code = str(address.get("country", "")), address.get("postal_code")
    rule = postal_rules().get(country)
    if rule is None or not isinstance(code, str) or not code.strip():
        return []
    if rule.pattern.fullmatch(normalize_postal_code(code)):
        return []
    return [_flag("postal_code_invalid",
                  f"The postal code {code!r} does not look like a {country} postal code (e.g. {rule.example}).",
                  f"{base}.postal_code", "warning")]


def _geo_far_flags(address: Mapping[str, Any], base: str) -> list[Flag]:
    geo, code = address.get("geo"), address.get("postal_code")
    if not isinstance(geo, Mapping) or not isinstance(code, str):
        return []
    area = area_of(str(address.get("country", "")), code)
    if area is None:
        return []
    prefix, centroid = area
    away = distance_km(float(geo["lat"]), float(geo["lng"]), centroid.lat, centroid.lng)
    if away <= centroid.radius_km + GEO_MARGIN_KM:
        return []
    return [_flag("geo_far_from_postal_code",
                  f"The coordinates are {away:.0f} km from the area of postal code {code!r} (prefix {prefix}); "
                  "check the address or the coordinates.", f"{base}.geo", "warning")]


def check(delivery_content: Mapping[str, Any]) -> list[Flag]:
    """Every data-quality problem of a canonical delivery (content as submitted or mapped). Pure."""
    flags: list[Flag] = []
    dropoff = delivery_content.get("dropoff") or {}
    address = dropoff.get("address") or {}
    base = "$.dropoff.address"
    if address:
        hint = _unit_hint(address)
        if hint and not str(address.get("unit", "")).strip():
            flags.append(_flag("address_missing_unit",
                               f"The address mentions {hint!r}, so it looks like a building with several units, "
                               "but no unit (apartment, suite) is given.", f"{base}.unit", "warning"))
        if not address.get("geo"):
            flags.append(_flag("geo_missing", "The address has no coordinates; it will need geocoding.",
                               f"{base}.geo", "info"))
        flags += _postal_flags(address, base) + _geo_far_flags(address, base)
    phone = (dropoff.get("contact") or {}).get("phone")
    if isinstance(phone, str):
        _, problem = normalize_phone(phone, address.get("country"), field="$.dropoff.contact.phone")
        if problem is not None:
            flags.append(_flag(problem["code"], problem["message"], problem["field"], "warning"))
    pickup_address = (delivery_content.get("pickup") or {}).get("address") or {}
    if pickup_address:
        flags += _postal_flags(pickup_address, "$.pickup.address") + _geo_far_flags(pickup_address, "$.pickup.address")
    return flags


def merge_flags(*groups: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """All flags, first one wins for each (code, field): re-checking never duplicates a flag."""
    seen: set[tuple[Any, Any]] = set()
    merged = []
    for flag in (f for group in groups for f in group):
        key = (flag.get("code"), flag.get("field"))
        if key not in seen:
            seen.add(key)
            merged.append(dict(flag))
    return merged


def with_quality_flags(content: dict[str, Any]) -> dict[str, Any]:
    """``content`` with the checks' flags merged into ``data_quality_flags`` (a new dict; unchanged when
    there is nothing to add)."""
    flags = merge_flags(content.get("data_quality_flags", []), check(content))
    if not flags:
        return content
    return {**content, "data_quality_flags": flags}


def window_flags(delivery_content: Mapping[str, Any], now: datetime) -> list[Flag]:
    """A promised window that ended before the delivery came in cannot be kept: someone must agree a new one."""
    end_text = (delivery_content.get("promised_window") or {}).get("end")
    end = parse_aware_timestamp(end_text)
    if end is None or end > now:
        return []
    return [_flag("window_in_past", f"The promised window ended at {end_text}, before the delivery reached the hub; "
                  "agree a new window with the customer.", "$.promised_window.end", "warning")]


def with_window_flag(content: dict[str, Any], now: datetime) -> dict[str, Any]:
    """``content`` with ``window_in_past`` merged in when it applies (for a delivery about to be created)."""
    flags = window_flags(content, now)
    if not flags:
        return content
    return {**content, "data_quality_flags": merge_flags(content.get("data_quality_flags", []), flags)}
