"""A day on a Berlin route as the tracking page's customer sees it: three deliveries planned for one driver
(through the API and the route store), the customer's stop last, and the driver working the route through the
hub's own driver API."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from hub.db.engine import transaction
from hub.db.models import Tenant
from hub.ledger.tracking_links import tracking_token
from hub.runtime import Runtime
from tests.fixtures import make_key
from tests.tracking.setup import DEPOT, STOPS, berlin_delivery, post, store_route

BERLIN = timezone(timedelta(hours=1))
ORDER = ("alex", "hackescher", "tor")  # the customer's stop is the last one: two stops before it


@dataclass
class Scene:
    ids: dict[str, str]  # stop name -> delivery id
    fleet: dict[str, str]
    driver: dict[str, str]  # the driver key's headers
    tokens: dict[str, str]  # stop name -> tracking token

    def path(self, name: str = "tor") -> str:
        return f"/t/{self.tokens[name]}"


def berlin_fleet(client: Any, tenant: dict[str, Any]) -> dict[str, str]:
    """A depot on Berlin time (UTC+1 in winter), a van and its driver."""
    headers = tenant["headers"]
    depot = client.post("/api/v1/depots", json={"name": "Berlin Mitte", "lat": DEPOT[0], "lng": DEPOT[1],
                                                 "utc_offset_min": 60}, headers=headers).get_json()
    vehicle = client.post("/api/v1/vehicles", json={"depot_id": depot["id"], "name": "Van 1"},
                          headers=headers).get_json()
    driver = client.post("/api/v1/drivers", json={"depot_id": depot["id"], "vehicle_id": vehicle["id"],
                                                  "name": "Jonas Albrecht"}, headers=headers).get_json()
    assert "id" in driver, driver
    return {"depot_id": depot["id"], "vehicle_id": vehicle["id"], "driver_id": driver["id"]}


def plan_day(client: Any, tenant: dict[str, Any], runtime: Runtime, run_jobs: Any,
             window_start: datetime | None = None) -> Scene:
    start = window_start or datetime.now(BERLIN).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    window = (start, start + timedelta(hours=2))
    ids = {name: post(client, tenant, run_jobs, berlin_delivery(f"BER-{name}", name, window)) for name in ORDER}
    crew = berlin_fleet(client, tenant)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    planned = [now + timedelta(minutes=20 * (i + 1)) for i in range(len(ORDER))]
    day = now.astimezone(BERLIN).date()  # the depot's local day: the driver API's "today"
    store_route(runtime, tenant["id"], crew, [(ids[n], n) for n in ORDER], day, planned)
    driver = make_key(runtime, tenant["id"], "driver", subject_id=crew["driver_id"])
    with runtime.sessions() as session:
        tokens = {name: tracking_token(session, ids[name]) for name in ORDER}
    return Scene(ids, crew, driver, tokens)  # type: ignore[arg-type]


def start_route(client: Any, scene: Scene, run_jobs: Any) -> None:
    answer = client.post("/api/v1/driver/route/start", headers=scene.driver)
    assert answer.status_code == 200, answer.get_json()
    run_jobs()


def ping(client: Any, scene: Scene, at: tuple[float, float], run_jobs: Any) -> None:
    point = {"lat": at[0], "lng": at[1], "recorded_at": datetime.now(timezone.utc).isoformat()}
    answer = client.post("/api/v1/driver/pings", json={"points": [point]}, headers=scene.driver)
    assert answer.status_code == 202, answer.get_json()
    run_jobs()


def arrive(client: Any, scene: Scene, name: str, run_jobs: Any) -> None:
    lat, lng = STOPS[name][:2]
    answer = client.post(f"/api/v1/driver/stops/{scene.ids[name]}/arrive", json={"lat": lat, "lng": lng},
                         headers=scene.driver)
    assert answer.status_code == 200, answer.get_json()
    run_jobs()


# A 1x1 PNG: the smallest real image for a proof of delivery.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a5d8d0a10000000049454e44ae426082")


def complete(client: Any, scene: Scene, name: str, run_jobs: Any, recipient: str = "Lena Vogel") -> None:
    lat, lng = STOPS[name][:2]
    answer = client.post(f"/api/v1/driver/stops/{scene.ids[name]}/complete", headers=scene.driver,
                         content_type="multipart/form-data",
                         data={"recipient_name": recipient, "lat": str(lat), "lng": str(lng),
                               "photos": (io.BytesIO(PNG), "door.png", "image/png"),
                               "signature": (io.BytesIO(PNG), "sig.png", "image/png")})
    assert answer.status_code == 200, answer.get_json()
    run_jobs()


def fail(client: Any, scene: Scene, name: str, run_jobs: Any, reason: str = "customer_unavailable") -> None:
    answer = client.post(f"/api/v1/driver/stops/{scene.ids[name]}/fail", json={"reason_code": reason},
                         headers=scene.driver)
    assert answer.status_code == 200, answer.get_json()
    run_jobs()


def set_page_settings(runtime: Runtime, tenant_id: str, **values: Any) -> None:
    with transaction(runtime.sessions) as session:
        tenant = session.get(Tenant, tenant_id)
        tenant.settings = {**(tenant.settings or {}), "tracking_page": values}
