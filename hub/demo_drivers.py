"""`hub demo`, the execution step: one driver works a route through the driver API (start, pings, arrive,
proof of delivery, a failed attempt) and a planned delivery is cancelled, which re-plans the day."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import requests

from hub.db.engine import transaction
from hub.db.models import Tenant
from hub.runtime import Runtime
from hub.tenants import issue_key

# A 1x1 PNG: the demo's signature image (real apps upload a drawn signature or a photo).
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


@dataclass
class Drive:
    lines: list[str]
    delivered: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)


def drive(runtime: Runtime, base: str, admin: requests.Session, tenant_id: str, driver_id: str, day: str) -> Drive:
    """Start, pings, three deliveries with a signature, a failed attempt, then a customer cancellation."""
    with transaction(runtime.sessions) as session:
        _, key = issue_key(session, session.get(Tenant, tenant_id), "driver", subject_id=driver_id)
    driver = requests.Session()
    driver.headers["Authorization"] = f"Bearer {key}"
    driver.params = {"date": day}  # the demo works tomorrow's route
    api = f"{base}/api/v1/driver"
    stops = driver.get(f"{api}/route", timeout=30).json().get("stops", [])
    result = Drive([f"driver {driver_id}: {len(stops)} stops on the route for {day}"])
    lines = result.lines
    if len(stops) < 5:
        lines.append("  (too few stops to show the whole flow)")
        return result
    started = driver.post(f"{api}/route/start", timeout=30).json()
    lines.append(f"  started the route: {sum(s['changed'] for s in started['stops'])} stops in transit")
    now = datetime.now(timezone.utc)
    points = [{"lat": s["dropoff"]["address"]["geo"]["lat"], "lng": s["dropoff"]["address"]["geo"]["lng"],
               "recorded_at": (now + timedelta(seconds=i)).isoformat()} for i, s in enumerate(stops[:3])
              if s.get("dropoff", {}).get("address", {}).get("geo")]
    if points:
        driver.post(f"{api}/pings", json={"points": points}, timeout=30)
        lines.append(f"  sent {len(points)} location pings")
    for stop in stops[:3]:
        delivery_id = stop["delivery_id"]
        driver.post(f"{api}/stops/{delivery_id}/arrive", json={}, timeout=30)
        done = driver.post(f"{api}/stops/{delivery_id}/complete", timeout=30,
                           data={"recipient_name": stop.get("dropoff", {}).get("contact", {}).get("name", "Recipient")},
                           files={"signature": ("signature.png", TINY_PNG, "image/png")})
        lines.append(f"  {delivery_id}: delivered with a signature ({done.status_code})")
        result.delivered.append(delivery_id)
    failed = stops[3]["delivery_id"]
    driver.post(f"{api}/stops/{failed}/arrive", json={}, timeout=30)
    answer = driver.post(f"{api}/stops/{failed}/fail", json={"reason_code": "customer_unavailable"}, timeout=30)
    lines.append(f"  {failed}: failed attempt, customer unavailable ({answer.status_code})")
    result.failed.append(failed)
    cancelled = stops[4]["delivery_id"]
    admin.post(f"{base}/api/v1/deliveries/{cancelled}/cancel", timeout=30,
                    json={"reason": "customer cancelled by phone"})
    lines.append(f"  {cancelled}: cancelled by the customer; the day is re-planned")
    result.cancelled.append(cancelled)
    return result
