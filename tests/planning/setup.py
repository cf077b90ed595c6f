"""A Toronto depot with three vans (one refrigerated) and a day of deliveries posted through the API."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import or_, select

from hub.db.engine import transaction
from hub.db.models import OutboxItem, Tenant, utcnow
from hub.paths import SCHEMAS_DIR
from hub.runtime import Runtime

TORONTO_OFFSET_MIN = -300  # EST
DEPOT = (43.6447, -79.4024)
# Drivers on shift around the clock, so a same-day delivery finds a depot with a driver on shift now.
ALL_DAY = {"shift_start": "00:00", "shift_end": "23:59", "max_hours": 24}


def noon_offset_min() -> int:
    """A depot UTC offset that puts its local clock near noon now. The assignment engine reads the real clock
    and wants a driver on shift who can still arrive today, so a depot where it is 23:50 would get nothing."""
    now = datetime.now(timezone.utc)
    return 12 * 60 - (now.hour * 60 + now.minute)


def plan_day(offset_min: int) -> date:
    """The depot's tomorrow: the promised windows lie ahead of the real clock the assign job reads."""
    return (datetime.now(timezone(timedelta(minutes=offset_min))) + timedelta(days=1)).date()


def post(client: Any, headers: dict[str, str], path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201, 202), (path, response.status_code, response.json)
    return response.json


def fleet(client: Any, headers: dict[str, str], offset_min: int) -> dict[str, Any]:
    depot = post(client, headers, "/api/v1/depots", {
        "name": "Toronto West", "lat": DEPOT[0], "lng": DEPOT[1], "utc_offset_min": offset_min,
        "coverage": {"postal_prefixes": ["M5", "M6"]}})
    vans = []
    for n, features in enumerate((["cold_chain"], [], []), start=1):
        van = post(client, headers, "/api/v1/vehicles", {
            "depot_id": depot["id"], "name": f"Van {n}", "capacity_parcels": 20, "capacity_weight_g": 400_000,
            "features": features, "cost_per_km": "0.60", "cost_per_hour": "35"})
        post(client, headers, "/api/v1/drivers", {"depot_id": depot["id"], "vehicle_id": van["id"],
                                                  "name": f"Driver {n}", **ALL_DAY})
        vans.append(van)
    return {"depot": depot, "vans": vans}


def delivery(external_id: str, day: date, lat: float, lng: float, window: tuple[int, int], *,
             cold: bool = False, offset_min: int = TORONTO_OFFSET_MIN) -> dict[str, Any]:
    doc = json.loads((SCHEMAS_DIR / "examples" / "delivery_input.v1.json").read_text())
    doc["source"]["external_id"] = external_id
    tz = timezone(timedelta(minutes=offset_min))
    start = datetime(day.year, day.month, day.day, window[0], tzinfo=tz)
    end = datetime(day.year, day.month, day.day, window[1], tzinfo=tz)
    doc["promised_window"] = {"start": start.isoformat(), "end": end.isoformat()}
    doc["dropoff"]["address"]["geo"] = {"lat": lat, "lng": lng}
    doc["priority_tier"] = "standard"
    if cold:
        doc["parcels"] = [{"quantity": 2, "weight_g": 900, "temperature": "chilled"}]
    return doc


def post_day(client: Any, headers: dict[str, str], day: date, offset_min: int, count: int = 30,
             seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    windows = [(9, 13), (12, 17), (8, 18)]
    ids = []
    for n in range(count):
        lat = DEPOT[0] + rng.uniform(-0.03, 0.03)
        lng = DEPOT[1] + rng.uniform(-0.05, 0.05)
        body = delivery(f"ORD-{n:03d}", day, lat, lng, windows[n % 3], cold=(n == 0), offset_min=offset_min)
        ids.append(post(client, headers, "/api/v1/deliveries", body)["id"])
    return ids


def set_time_limit(runtime: Runtime, tenant_id: str, seconds: float) -> None:
    with transaction(runtime.sessions) as session:
        tenant = session.get(Tenant, tenant_id)
        tenant.settings = {**(tenant.settings or {}), "routing": {"time_limit_s": seconds}}


def _waiting(runtime: Runtime) -> Any:
    now = utcnow()
    return select(OutboxItem).where(OutboxItem.state == "pending", OutboxItem.due_at > now,
                                    or_(OutboxItem.claimed_by.is_(None), OutboxItem.lease_until < now))


def release_scheduled(runtime: Runtime) -> list[str]:
    """Make every scheduled work row (a debounced plan, a retry after backoff) due now, as time would.
    Returns their keys (a plan's key, or work-<id>)."""
    with transaction(runtime.sessions) as session:
        rows = session.execute(_waiting(runtime)).scalars().all()
        for row in rows:
            row.due_at = utcnow() - timedelta(seconds=1)
        return [row.dedupe_key or f"work-{row.id}" for row in rows]


def scheduled_ids(runtime: Runtime) -> list[str]:
    """Keys of the scheduled work rows (a plan's key, or work-<id>) that are not due yet."""
    with runtime.sessions() as session:
        return [row.dedupe_key or f"work-{row.id}" for row in session.execute(_waiting(runtime)).scalars()]


def events(client: Any, headers: dict[str, str], delivery_id: str) -> list[dict[str, Any]]:
    return client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=headers).json["items"]

