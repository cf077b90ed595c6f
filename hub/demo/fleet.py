"""`hub demo`, the capacity step: a Berlin depot with vans and drivers, a 3PL and a crowd network, all set up
through the HTTP API before the deliveries arrive; then where the deliveries went and why, and the routes.

The carriers speak the hub carrier protocol (docs/carriers.md) to :class:`CarrierStandIn`, a local werkzeug
server that accepts every job offer, so dispatch really happens.
"""

from __future__ import annotations

import base64
import time
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import func, select
from werkzeug import Request, Response

from hub.db.models import Delivery, InboxItem
from hub.db.models.fleet import Assignment
from hub.demo.data import DEPOT
from hub.planning.days import plan_pending
from hub.planning.report import print_plan
from hub.runtime import Runtime
from hub.testing.standin import StandInServer

BERLIN = ZoneInfo("Europe/Berlin")
#: Assignment and dispatch of a few hundred deliveries take seconds; a minute means something is stuck.
ASSIGN_TIMEOUT_S = 90
#: The plan job waits DEBOUNCE_S (5 s) after the last own-fleet assignment, then solves for up to 10 s.
PLAN_TIMEOUT_S = 90
# Every district prefix the demo day uses is covered by someone; the crowd takes the inner city only.
INNER = ["101", "104", "109", "102", "1024"]
ALL_BERLIN = ["10", "12", "13"]
# Most demo orders hold a chilled or frozen item, so two of the vans have cold chain: the engine pools a
# depot's vehicles, but the route planner puts a cold delivery only on a cold-chain van.
VANS = [  # name, parcels, weight g, features
    ("Van 1 (cold chain)", 40, 400_000, ["cold_chain"]),
    ("Van 2 (cold chain)", 40, 400_000, ["cold_chain"]),
    ("Van 3", 40, 400_000, []),
    ("Cargo bike", 15, 80_000, []),
]
DRIVERS = ["Aylin", "Bernd", "Chiara", "Dmitri"]


def berlin_time(value: Any) -> str:
    """An ISO time from the hub (UTC with microseconds, or a depot offset) as Berlin wall time, e.g. '07 Dec 10:15';
    anything that is not such a time comes back as it is."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        return str(value)
    return moment.astimezone(BERLIN).strftime("%d %b %H:%M")


def demo_day(now: datetime | None = None) -> datetime:
    """Tomorrow in Berlin at midnight: every window of the demo day is still ahead, whenever the demo runs."""
    local = (now or datetime.now(BERLIN)).astimezone(BERLIN)
    day = (local + timedelta(days=1)).date()
    return datetime(day.year, day.month, day.day, tzinfo=BERLIN)


def berlin_offset_min(day: datetime | None = None) -> int:
    """The depot's utc_offset_min: Berlin's offset now (the hub stores offsets, not zone names)."""
    offset = (day or datetime.now(BERLIN)).astimezone(BERLIN).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 60


class CarrierStandIn(StandInServer):
    """A carrier's offer endpoint: accepts every job and answers with its own reference."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.jobs: dict[str, str] = {}  # job id -> reference

    def handle(self, request: Request, path: str, body: Any) -> Response:
        data = body.get("data", {}) if isinstance(body, dict) else {}
        kind = body.get("type") if isinstance(body, dict) else None
        self.record(request.method, path, str(kind), body)
        if kind == "carrier.job.offered" and data.get("job_id"):
            ref = self.jobs.setdefault(data["job_id"], f"{self.name[:3].upper()}-{len(self.jobs) + 1:04d}")
            return self.json({"accepted": True, "reference": ref})
        return self.json({"ok": True})


class Api:
    """The few calls the demo makes, with the tenant's admin key."""

    def __init__(self, base: str, key: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {key}"

    def call(self, method: str, path: str, body: Any = None, ok: tuple[int, ...] = (200, 201, 202)) -> Any:
        response = self.http.request(method, f"{self.base}/api/v1{path}", json=body, timeout=30)
        if response.status_code not in ok:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None


def _secret(name: str) -> str:
    return "whsec_" + base64.b64encode(f"demo-{name}-secret-32-bytes-long!!"[:32].encode()).decode()


def setup_capacity(api: Api, standins: dict[str, CarrierStandIn]) -> dict[str, Any]:
    """Depot, vans, drivers, two carriers and the policy, through the API; returns names by id."""
    geo = DEPOT["address"]["geo"]
    offset = berlin_offset_min(demo_day())
    depot = api.call("POST", "/depots", {
        "name": "Berlin Neukölln hub", "address": DEPOT["address"], "lat": geo["lat"], "lng": geo["lng"],
        "utc_offset_min": offset, "coverage": {"postal_prefixes": ALL_BERLIN},
        "service_levels": ["same_day", "next_day", "scheduled", "express", "economy"]})
    names: dict[str, Any] = {depot["id"]: depot["name"], "depot_id": depot["id"], "vehicles": [], "drivers": {}}
    for (van, parcels, grams, features), driver in zip(VANS, DRIVERS):
        vehicle = api.call("POST", "/vehicles", {
            "depot_id": depot["id"], "name": van, "capacity_parcels": parcels, "capacity_weight_g": grams,
            "features": features, "cost_per_km": "0.35" if "bike" not in van else "0.05",
            "cost_per_hour": "24.00", "speed_kmh": 22.0 if "bike" not in van else 15.0})
        # The whole day: the engine needs a driver on shift at the moment it assigns, whenever the demo runs.
        row = api.call("POST", "/drivers", {
            "depot_id": depot["id"], "vehicle_id": vehicle["id"], "name": driver, "shift_start": "00:00",
            "shift_end": "23:59", "max_hours": 24, "rating": 4.6})
        names["vehicles"].append(vehicle["id"])
        names["drivers"][row["id"]] = vehicle["id"]
        names[vehicle["id"]] = van
    carriers = [
        ("Spree Logistik", "3pl", ALL_BERLIN, ["cold_chain"], 120,
         {"currency": "EUR", "base": "4.90", "per_km": "0.40", "per_kg": "0.20", "surcharges": {"cold_chain": "2.50"}},
         {"failed_attempt_rate": 0.04, "avg_delay_min": 12, "pod_compliance": 0.97, "acceptance_rate": 0.95}),
        ("KiezKurier crowd", "crowd", INNER, [], 60,
         {"currency": "EUR", "base": "3.20", "per_km": "0.55", "per_kg": "0.10", "surcharges": {"express": "3.00"}},
         {"failed_attempt_rate": 0.08, "avg_delay_min": 6, "pod_compliance": 0.9, "acceptance_rate": 0.85}),
    ]
    for name, kind, prefixes, features, daily, price, quality in carriers:
        standin = standins[name] = CarrierStandIn(name)
        installation = api.call("POST", "/installations", {
            "connector": "hub_carrier", "label": name,
            "settings": {"endpoint_url": f"{standin.url}/offers", "secret": _secret(name)}})
        carrier = api.call("POST", "/carriers", {
            "name": name, "kind": kind, "installation_id": installation["id"],
            "coverage": {"postal_prefixes": prefixes}, "origin": {"lat": 52.5200, "lng": 13.4050},
            "utc_offset_min": offset, "service_levels": ["same_day", "next_day", "scheduled", "express", "economy"],
            "features": features, "daily_capacity": daily, "price_card": price, "quality": quality,
            "speed_kmh": 20.0 if kind == "3pl" else 16.0, "rating": 4.2 if kind == "3pl" else 4.5})
        names[carrier["id"]] = name
    api.call("PUT", "/assignment-policy", {"strategy": "own_fleet_first"})
    return names


def print_capacity(names: dict[str, Any], offset: int) -> None:
    print(f"\nCapacity set up through the API: depot {names['depot_id']} ({names[names['depot_id']]}, "
          f"Europe/Berlin = UTC{offset // 60:+d}), {len(names['vehicles'])} vehicles with drivers on shift "
          f"00:00-23:59, 3PL Spree Logistik and crowd KiezKurier (hub_carrier stand-ins accepting offers), "
          f"policy own_fleet_first")


def wait_for_assignment(runtime: Runtime, timeout_s: float = ASSIGN_TIMEOUT_S) -> bool:
    """Until the inbox is empty, no delivery waits for its decision and no carrier offer for its answer."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with runtime.sessions() as session:
            busy = (session.scalar(select(func.count()).select_from(InboxItem).where(InboxItem.state == "pending"))
                    or session.scalar(select(func.count()).select_from(Assignment).where(Assignment.state == "proposed"))
                    or session.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "received")))
        if not busy:
            return True
        time.sleep(0.3)
    return False


def print_assignment(runtime: Runtime, api: Api, names: dict[str, Any]) -> None:
    with runtime.sessions() as session:
        latest = session.execute(select(Assignment.delivery_id, Assignment.candidate_id, Assignment.capacity,
                                        Assignment.state).order_by(Assignment.created_at)).all()
        statuses = Counter(dict(session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all()))
    final = {d: (cid, cap, state) for d, cid, cap, state in latest}  # the last attempt per delivery
    counts = Counter((names.get(cid or "", "nobody"), cap, state) for cid, cap, state in final.values())
    print(f"\nWhere the {len(final)} deliveries went (latest decision each; "
          "own_fleet_first ranks an eligible depot first):")
    for (who, cap, state), n in counts.most_common():
        print(f"  {n:>4}  {who:<22} {cap:<9} ({state})")
    print("  statuses now: " + ", ".join(f"{k} {v}" for k, v in statuses.most_common()))
    samples = [next((d for d, (_, cap, _) in final.items() if cap == c), None) for c in ("own_fleet", "carrier")]
    for delivery_id in [s for s in samples if s]:
        _explain(api, delivery_id, names)


def _explain(api: Api, delivery_id: str, names: dict[str, Any]) -> None:
    doc = api.call("GET", f"/deliveries/{delivery_id}/assignment")
    attempt = doc.get("assignment", doc)
    decision = attempt.get("decision") or {}
    print(f"\nWhy {delivery_id} went to {names.get(attempt.get('candidate_id') or '', 'nobody')} "
          f"(policy v{attempt.get('policy_version', decision.get('policy_version', '?'))}):")
    for c in decision.get("candidates", [])[:4]:
        who = names.get(c.get("id") or c.get("candidate_id") or "", c.get("name", "?"))
        if c.get("excluded_by"):
            print(f"    excluded  {who:<22} {c['excluded_by']}: {c.get('detail', '')}")
        else:
            print(f"    rank {c.get('rank')}    {who:<22} score {c.get('score', 0):.2f}, cost {c.get('cost')}, "
                  f"ETA {c.get('eta_min', 0):.0f} min, {c.get('distance_km', 0):.1f} km")


def wait_for_plan(runtime: Runtime, api: Api, tenant_id: str, depot_id: str, day: date,
                  timeout_s: float = PLAN_TIMEOUT_S) -> dict[str, Any] | None:
    """The newest plan of the day once no plan job is waiting or running for it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        busy = plan_pending(runtime, tenant_id, depot_id, day.isoformat())
        items = api.call("GET", f"/plans?depot_id={depot_id}&date={day.isoformat()}")["items"]
        if items and not busy:
            return api.call("GET", f"/plans/{items[0]['id']}")  # type: ignore[no-any-return]
        time.sleep(0.5)
    return None


def print_routes(plan: dict[str, Any] | None, names: dict[str, Any], max_stops: int = 6) -> None:
    if plan is None:
        print("\n!! No route plan appeared in time; see worker.log")
        return
    print()
    shown: dict[str, int] = Counter()

    def echo(line: str) -> None:  # every route and its km, hours and load; its first stops only
        if line.startswith("    ") and line.strip()[0].isdigit():
            shown["stop"] += 1
            if shown["stop"] > max_stops:
                return
        elif line.startswith("  unassigned"):
            shown["unassigned"] += 1
            if shown["unassigned"] > 3:
                return
        elif line.startswith("  veh_"):
            shown["stop"] = 0
            vid = line.split(":")[0].split("/")[0].strip()
            line = line.replace(vid, f"{vid} ({names.get(vid, '?')})", 1)
        if "  arrive " in line:  # the plan's times in Berlin wall time, like every time the demo prints
            head, _, rest = line.partition("  arrive ")
            when, _, tail = rest.partition("  ")
            line = f"{head}  arrive {berlin_time(when)}  {tail}"
        print(line)

    print_plan(plan, echo=echo)
    more = max(0, shown["unassigned"] - 3)
    print(f"  (first {max_stops} stops of each route shown" + (f"; {more} more unassigned)" if more else ")"))


class FleetDemo:
    """What hub/demo/main.py calls: :meth:`setup` before posting, :meth:`report` once the worker ingested them."""

    def __init__(self, base: str, key: str) -> None:
        self.api = Api(base, key)
        self.day = demo_day()
        self.standins: dict[str, CarrierStandIn] = {}
        self.names: dict[str, Any] = {}
        self.plan: dict[str, Any] | None = None

    def setup(self) -> None:
        self.names = setup_capacity(self.api, self.standins)
        print_capacity(self.names, berlin_offset_min(self.day))
        print(f"Demo day: {self.day.date().isoformat()} (tomorrow in Berlin, so every window is still ahead)")

    def report(self, runtime: Runtime, tenant_id: str, posted_at: float) -> None:
        """``posted_at``: time.perf_counter() when the first delivery was posted (plans are debounced from then)."""
        started = time.perf_counter()
        if not wait_for_assignment(runtime):
            print(f"!! assignment still busy after {ASSIGN_TIMEOUT_S} s; see worker.log")
        print(f"\nAssignment and carrier dispatch done {time.perf_counter() - started:.1f} s after ingest "
              f"(offers accepted: " + ", ".join(f"{n} {len(s.jobs)}" for n, s in self.standins.items()) + ")")
        print_assignment(runtime, self.api, self.names)
        self.plan = wait_for_plan(runtime, self.api, tenant_id, self.names["depot_id"], self.day.date())
        print(f"\nRoute plan for {self.day.date().isoformat()} ready {time.perf_counter() - posted_at:.1f} s after "
              f"the first delivery was posted (debounced, then solved by the worker):")
        print_routes(self.plan, self.names)

    def stop(self) -> None:
        for standin in self.standins.values():
            standin.stop()
