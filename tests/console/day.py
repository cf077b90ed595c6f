"""A realistic day for the console, made through the hub's own API and jobs: a Berlin depot with two vans,
a dozen deliveries assigned and planned by the hub, one driver half-way through the route (arrivals, proofs
of delivery, one completed far from its address), drivers' positions, one delivery outside every depot's
area (needs_attention), and, last, a failed attempt that nobody has acted on yet.

Used by tests/console and scripts/screenshots_console.py."""

from __future__ import annotations

import io
import json
import struct
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable

from hub.paths import SCHEMAS_DIR
from hub.runtime import Runtime
from tests.fixtures import make_key
from tests.planning.setup import ALL_DAY, noon_offset_min, plan_day, release_scheduled, set_time_limit

DEPOT = (52.5250, 13.3690)  # Berlin Hauptbahnhof
# (customer, street, postal code, lat, lng): real Berlin streets around Mitte.
ADDRESSES = [
    ("Lena Vogel", "Alexanderplatz 1", "10178", 52.5219, 13.4132),
    ("Jonas Weber", "Hackescher Markt 2", "10178", 52.5225, 13.4020),
    ("Mia Schulz", "Pariser Platz 1", "10117", 52.5163, 13.3777),
    ("Paul Fischer", "Friedrichstraße 43", "10117", 52.5070, 13.3904),
    ("Emma Wagner", "Torstraße 125", "10119", 52.5290, 13.4010),
    ("Ben Becker", "Invalidenstraße 50", "10115", 52.5300, 13.3770),
    ("Hannah Hoffmann", "Oranienburger Straße 28", "10117", 52.5250, 13.3950),
    ("Luis Schäfer", "Leipziger Straße 60", "10117", 52.5110, 13.3950),
    ("Sofia Koch", "Rosenthaler Straße 40", "10178", 52.5260, 13.4030),
    ("Noah Richter", "Chausseestraße 10", "10115", 52.5290, 13.3840),
    ("Lea Klein", "Karl-Liebknecht-Straße 13", "10178", 52.5230, 13.4090),
    ("Felix Wolf", "Unter den Linden 77", "10117", 52.5170, 13.3810),
]
OUTSIDE = ("Clara Neumann", "Marienplatz 8", "80331", 48.1374, 11.5755)  # Munich: no depot covers it


@dataclass
class Day:
    day: date
    depot_id: str
    vans: list[str]
    drivers: list[str]
    orders: dict[str, str] = field(default_factory=dict)  # order number -> delivery id
    failed: str = ""  # order number of the failed attempt
    mismatch: str = ""  # order number completed far from its address
    outside: str = ""  # order number no depot covers
    plan_id: str = ""


def png(width: int = 8, height: int = 4, rgb: tuple[int, int, int] = (20, 60, 140)) -> bytes:
    """A small real PNG (a signature stand-in): the media store checks it is an image."""
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _post(client: Any, path: str, body: Any, headers: dict[str, str], **kwargs: Any) -> dict[str, Any]:
    answer = client.post(path, json=body, headers=headers, **kwargs) if body is not None else \
        client.post(path, headers=headers, **kwargs)
    assert answer.status_code in (200, 201, 202), (path, answer.status_code, answer.get_json())
    return answer.get_json()  # type: ignore[no-any-return]


def delivery_input(number: int, who: tuple[str, str, str, float, float], day: date, offset_min: int,
              window: tuple[int, int]) -> dict[str, Any]:
    doc = json.loads((SCHEMAS_DIR / "examples" / "delivery_input.v1.json").read_text())
    name, street, postal, lat, lng = who
    tz = timezone(timedelta(minutes=offset_min))
    doc["source"] = {"connector": "api", "external_id": f"BER-{number}", "external_order_number": str(number),
                     "store": "Mitte Flowers"}
    doc["promised_window"] = {"start": datetime(day.year, day.month, day.day, window[0], tzinfo=tz).isoformat(),
                              "end": datetime(day.year, day.month, day.day, window[1], tzinfo=tz).isoformat()}
    doc["pickup"] = {"location_id": "mitte", "address": {"line1": "Invalidenstraße 10", "city": "Berlin",
                                                         "postal_code": "10115", "country": "DE"}}
    doc["dropoff"] = {"contact": {"name": name, "phone": "+4930123456" + f"{number % 100:02d}"},
                      "address": {"line1": street, "city": "Berlin" if postal.startswith("1") else "München",
                                  "postal_code": postal, "country": "DE", "geo": {"lat": lat, "lng": lng}}}
    doc["requirements"] = {}
    doc["declared_value"] = {"amount": "39.00", "currency": "EUR"}
    doc["priority_tier"] = "standard"
    return doc


def seed_day(client: Any, runtime: Runtime, tenant: dict[str, Any], run_jobs: Callable[[], Any]) -> Day:
    headers = tenant["headers"]
    set_time_limit(runtime, tenant["id"], 1)
    offset = noon_offset_min()
    day = plan_day(offset)
    depot = _post(client, "/api/v1/depots", {"name": "Berlin Mitte", "lat": DEPOT[0], "lng": DEPOT[1],
                                             "utc_offset_min": offset, "coverage": {"postal_prefixes": ["10"]}}, headers)
    vans, drivers = [], []
    for number, name in enumerate(("Jonas", "Aylin"), start=1):
        van = _post(client, "/api/v1/vehicles", {"depot_id": depot["id"], "name": f"Van {number}",
                                                 "capacity_parcels": 20, "cost_per_km": "0.60",
                                                 "cost_per_hour": "35"}, headers)
        driver = _post(client, "/api/v1/drivers", {"depot_id": depot["id"], "vehicle_id": van["id"], "name": name,
                                                   **ALL_DAY}, headers)
        vans.append(van["id"])
        drivers.append(driver["id"])
    found = Day(day=day, depot_id=depot["id"], vans=vans, drivers=drivers)
    windows = [(9, 13), (12, 17), (8, 18)]
    for index, who in enumerate(ADDRESSES):
        number = 1040 + index
        found.orders[str(number)] = _post(client, "/api/v1/deliveries",
                                          delivery_input(number, who, day, offset, windows[index % 3]), headers)["id"]
    found.outside = "1099"
    found.orders[found.outside] = _post(client, "/api/v1/deliveries",
                                        delivery_input(1099, OUTSIDE, day, offset, (9, 17)), headers)["id"]
    run_jobs()
    release_scheduled(runtime)  # the debounced plan of the day, due now
    run_jobs()
    plans = client.get(f"/api/v1/plans?depot_id={depot['id']}&date={day.isoformat()}", headers=headers).get_json()
    if not plans["items"]:
        _post(client, "/api/v1/plans?wait=true", {"depot_id": depot["id"], "date": day.isoformat(),
                                                  "time_limit_s": 1}, headers)
        plans = client.get(f"/api/v1/plans?depot_id={depot['id']}&date={day.isoformat()}", headers=headers).get_json()
    plan = client.get(f"/api/v1/plans/{plans['items'][0]['id']}", headers=headers).get_json()
    found.plan_id = plan["id"]
    _drive(client, runtime, tenant, found, plan, run_jobs)
    return found


def _drive(client: Any, runtime: Runtime, tenant: dict[str, Any], found: Day, plan: dict[str, Any],
           run_jobs: Callable[[], Any]) -> None:
    """The first driver starts, delivers two stops (the second 600 m from its address) and fails the third;
    both drivers report where they are."""
    by_id = {v: k for k, v in found.orders.items()}
    routes = sorted(plan["routes"], key=lambda r: -len(r["stops"]))
    first = routes[0]
    driver = first["driver_id"]
    key = make_key(runtime, tenant["id"], "driver", driver)
    query = f"?date={found.day.isoformat()}"
    _post(client, f"/api/v1/driver/route/start{query}", None, key)
    stops = [s["delivery_id"] for s in first["stops"]]
    where = {found.orders[str(1040 + i)]: (a[3], a[4]) for i, a in enumerate(ADDRESSES)}
    now = datetime.now(timezone.utc)
    for number, delivery_id in enumerate(stops[:2]):
        lat, lng = where[delivery_id]
        if number == 1:
            lat += 0.0055  # about 600 m north: an address mismatch
            found.mismatch = by_id[delivery_id]
        _post(client, f"/api/v1/driver/stops/{delivery_id}/arrive{query}", {"lat": lat, "lng": lng}, key)
        form = {"recipient_name": "at the door", "lat": str(lat), "lng": str(lng),
                "signature": (io.BytesIO(png()), "signature.png", "image/png")}
        _post(client, f"/api/v1/driver/stops/{delivery_id}/complete{query}", None, key, data=form,
              content_type="multipart/form-data")
    points = [{"lat": where[stops[2]][0] + 0.001, "lng": where[stops[2]][1], "recorded_at": (now - timedelta(seconds=30)).isoformat()}]
    _post(client, "/api/v1/driver/pings", {"points": points}, key)
    for other in [d for d in found.drivers if d != driver]:  # on the way, or waiting at the depot without a route
        other_key = make_key(runtime, tenant["id"], "driver", other)
        _post(client, "/api/v1/driver/pings", {"points": [{"lat": DEPOT[0] - 0.004, "lng": DEPOT[1] + 0.006,
                                                            "recorded_at": (now - timedelta(minutes=1)).isoformat()}]},
              other_key)
    run_jobs()
    # Last, and left for an operator: the policy would reschedule it on the next run of the jobs.
    failing = stops[2]
    found.failed = by_id[failing]
    _post(client, f"/api/v1/driver/stops/{failing}/arrive{query}", {}, key)
    _post(client, f"/api/v1/driver/stops/{failing}/fail{query}", {"reason_code": "customer_unavailable",
                                                                   "note": "nobody home, no neighbour"}, key)
