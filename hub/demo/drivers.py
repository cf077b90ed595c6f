"""`hub demo`, the execution step: one driver works a route through the driver API (start, pings, arrive,
proof of delivery, a failed attempt), and a delivery planned on another van is cancelled, which re-plans the day."""

from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import requests

from hub.db.engine import transaction
from hub.db.models import Tenant
from hub.ledger.tenants import issue_key
from hub.runtime import Runtime

# A signature pad's size in pixels, small enough to keep the demo's media folder tiny.
SIGNATURE_SIZE = (120, 40)


def signature_png(n: int) -> bytes:
    """A drawn-looking signature as a greyscale PNG, a different stroke for each ``n`` (real apps upload the
    customer's own): a wave whose frequency, height and slant depend on ``n``."""
    width, height = SIGNATURE_SIZE
    ink = set()
    for x in range(8, width - 8):
        y = height / 2 + (height / 3) * math.sin(x / (5 + n % 7) + n) - (x - width / 2) * (n % 3 - 1) * 0.08
        for dy in (0, 1):
            ink.add((x, min(height - 1, max(0, int(y) + dy))))
    rows = b"".join(b"\x00" + bytes(0 if (x, y) in ink else 255 for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@dataclass
class Drive:
    lines: list[str]
    delivered: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class DemoStepFailed(RuntimeError):
    """The hub answered a demo call with an error: the demo stops and says which call and why."""


def _ok(response: requests.Response, what: str) -> dict[str, Any]:
    if not response.ok:
        raise DemoStepFailed(f"{what}: {response.status_code} {response.text[:300]}")
    body: dict[str, Any] = response.json()
    return body


def drive(runtime: Runtime, base: str, admin: requests.Session, tenant_id: str, driver_id: str, day: str) -> Drive:
    """Start, pings, three deliveries with a signature, then a failed attempt."""
    with transaction(runtime.sessions) as session:
        _, key = issue_key(session, session.get(Tenant, tenant_id), "driver", subject_id=driver_id)
    driver = requests.Session()
    driver.headers["Authorization"] = f"Bearer {key}"
    driver.params = {"date": day}  # the demo works tomorrow's route
    api = f"{base}/api/v1/driver"
    stops = _ok(driver.get(f"{api}/route", timeout=30), "my route").get("stops", [])
    result = Drive([f"driver {driver_id}: {len(stops)} stops on the route for {day}"])
    lines = result.lines
    if len(stops) < 4:
        lines.append("  (too few stops to show the whole flow)")
        return result
    started = _ok(driver.post(f"{api}/route/start", timeout=30), "start the route")
    lines.append(f"  started the route: {sum(s['changed'] for s in started['stops'])} stops in transit")
    now = datetime.now(timezone.utc)
    points = [{"lat": s["dropoff"]["address"]["geo"]["lat"], "lng": s["dropoff"]["address"]["geo"]["lng"],
               "recorded_at": (now + timedelta(seconds=i)).isoformat()} for i, s in enumerate(stops[:3])
              if s.get("dropoff", {}).get("address", {}).get("geo")]
    if points:
        _ok(driver.post(f"{api}/pings", json={"points": points}, timeout=30), "location pings")
        lines.append(f"  sent {len(points)} location pings")
    for n, stop in enumerate(stops[:3]):
        delivery_id = stop["delivery_id"]
        _ok(driver.post(f"{api}/stops/{delivery_id}/arrive", json={}, timeout=30), f"arrive at {delivery_id}")
        done = _ok(driver.post(f"{api}/stops/{delivery_id}/complete", timeout=30, data={
            "recipient_name": stop.get("dropoff", {}).get("contact", {}).get("name", "Recipient")},
            files={"signature": ("signature.png", signature_png(n), "image/png")}), f"complete {delivery_id}")
        lines.append(f"  {delivery_id}: {done['status']} with a signature "
                     f"(SHA-256 {done['pod']['signature']['sha256'][:12]}...)")
        result.delivered.append(delivery_id)
    failed = stops[3]["delivery_id"]
    _ok(driver.post(f"{api}/stops/{failed}/arrive", json={}, timeout=30), f"arrive at {failed}")
    answer = _ok(driver.post(f"{api}/stops/{failed}/fail", json={"reason_code": "customer_unavailable"}, timeout=30),
                 f"fail {failed}")
    lines.append(f"  {failed}: {answer['status']}, customer unavailable")
    result.failed.append(failed)
    return result


def cancel(base: str, admin: requests.Session, delivery_id: str) -> str:
    """A customer cancels a planned delivery (an operator, through the API): the depot's day is re-planned."""
    answer = _ok(admin.post(f"{base}/api/v1/deliveries/{delivery_id}/cancel", timeout=30,
                            json={"reason": "customer cancelled by phone"}), f"cancel {delivery_id}")
    return f"{delivery_id}: {answer['status']} by the customer before its van left; the day is re-planned"
