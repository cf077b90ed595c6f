"""Slot query benchmark: `python bench/slots.py [--stops 200] [--vehicles 12] [--queries 200] [--seed 7]`.

A synthetic Berlin day: a depot at Hauptbahnhof, 12 vans on 08:00-18:00 shifts, 200 deliveries spread over
~8 km with 2-hour promised windows, planned by the hub's own solver (OR-Tools, a few seconds) and stored as
the active plan with its stops, in a fresh SQLite database. Then GET /api/v1/slots's engine answers the same
question `--queries` times (one postal code, one day): load the plan and the held reservations, re-schedule
every route, try the stop in every window by cheapest insertion. Prints p50/p95/max; target p95 <= 200 ms.
`--console N` also times the console's routes and live map pages of that day (N requests each).
`--address` asks for a street address instead, found among `--history` known addresses of the tenant
(hub/intake/known_addresses.py: the indexed lookup that replaces a geocoder).
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.console import signed_in, timed  # noqa: E402
from hub.canonical.ids import sortable_id  # noqa: E402
from hub.config import Config  # noqa: E402
from hub.db.engine import transaction  # noqa: E402
from hub.db.models import Delivery  # noqa: E402
from hub.db.models.fleet import Depot, Driver, Vehicle  # noqa: E402
from hub.db.models.planning import RoutePlanRow, RouteStopRow  # noqa: E402
from hub.ledger.tenants import create_tenant  # noqa: E402
from hub.planning.builder import build_problem  # noqa: E402
from hub.routing.solve import solve  # noqa: E402
from hub.runtime import build_runtime  # noqa: E402
from hub.db.models.slots import KnownAddress  # noqa: E402
from hub.intake.known_addresses import address_keys  # noqa: E402
from hub.slots.engine import Drop, slots_for  # noqa: E402

DEPOT = (52.5250, 13.3690)  # Berlin Hauptbahnhof
RADIUS_KM = 8.0  # the inner city a van depot serves in a day
DAY = date(2030, 3, 14)


def _deliveries(n: int, rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        angle, r = rng.uniform(0, 2 * math.pi), RADIUS_KM * math.sqrt(rng.random())
        lat = DEPOT[0] + r / 111.0 * math.cos(angle)
        lng = DEPOT[1] + r / (111.0 * math.cos(math.radians(DEPOT[0]))) * math.sin(angle)
        start = 8 + 2 * rng.randrange(0, 5)  # 08:00 .. 16:00 starts: five 2-hour windows
        out.append({
            "id": f"dlv_bench{i:05d}", "source": {"connector": "api", "external_id": f"B-{i}"},
            "dropoff": {"address": {"line1": f"Street {i}", "postal_code": "10178", "country": "DE",
                                    "geo": {"lat": round(lat, 6), "lng": round(lng, 6)}},
                        "contact": {"name": "Bench"}},
            "parcels": [{"quantity": 1, "weight_g": rng.randint(500, 8000)}],
            "promised_window": {"start": f"{DAY.isoformat()}T{start:02d}:00:00+00:00",
                                "end": f"{DAY.isoformat()}T{start + 2:02d}:00:00+00:00"},
        })
    return out


def setup(runtime: Any, stops: int, vehicles: int, seed: int, time_limit_s: float) -> tuple[str, int, int]:
    rng = random.Random(seed)
    with transaction(runtime.sessions) as session:
        tenant = create_tenant(session, "bench")
        depot = Depot(id="dep_bench", tenant_id=tenant.id, name="Berlin Hbf", lat=DEPOT[0], lng=DEPOT[1],
                      utc_offset_min=0, coverage={"postal_prefixes": ["10"]}, address={"country": "DE"})
        session.add(depot)
        session.flush()
        fleet = []
        for k in range(vehicles):
            v = Vehicle(id=f"veh_{k:02d}", tenant_id=tenant.id, depot_id=depot.id, name=f"Van {k}",
                        capacity_weight_g=400_000, capacity_parcels=40, speed_kmh=30.0, active=True,
                        cost_per_km="0.5", cost_per_hour="20", features=[])
            d = Driver(id=f"drv_{k:02d}", tenant_id=tenant.id, depot_id=depot.id, vehicle_id=v.id, name=f"D{k}",
                       shift_start="08:00", shift_end="18:00", max_hours=10.0, available=True, zones=[], skills=[])
            session.add(v)
            session.flush()
            session.add(d)
            fleet.append((v, d))
        session.flush()
        docs = _deliveries(stops, rng)
        for doc in docs:
            session.add(Delivery(id=doc["id"], tenant_id=tenant.id, source_key="api", source_connector="api",
                                 external_id=doc["source"]["external_id"], status="planned", service_level="scheduled",
                                 document={**doc, "tenant": tenant.id, "status": "planned"}))
        session.flush()
        built = build_problem(SimpleNamespace(id=depot.id, lat=depot.lat, lng=depot.lng, utc_offset_min=0, name="bench"),
                              fleet, docs, DAY)
        plan = solve(built.problem, time_limit_s=time_limit_s)
        row = RoutePlanRow(id=sortable_id("rpl_"), tenant_id=tenant.id, depot_id=depot.id, plan_date=DAY, version=1,
                           status="active", trigger="bench", backend=plan.backend, time_limit_s=time_limit_s,
                           plan=plan.to_dict(), problem=built.stored)
        session.add(row)
        session.flush()
        origin = datetime.fromisoformat(built.problem.origin or "")
        for route in plan.routes:
            for seq, visit in enumerate(route.visits, start=1):
                at = origin + timedelta(seconds=visit.arrival)
                session.add(RouteStopRow(plan_id=row.id, tenant_id=tenant.id, delivery_id=visit.stop_id,
                                         vehicle_id=route.vehicle_id, driver_id=built.drivers[route.vehicle_id],
                                         sequence=seq, eta=at, service_start=at, departure=at))
        return tenant.id, sum(len(r.visits) for r in plan.routes), len(plan.unassigned)


def known_history(runtime: Any, tenant_id: str, count: int, rng: random.Random) -> None:
    """`count` street addresses the tenant delivered to (two keys each: by postal code and by city)."""
    with transaction(runtime.sessions) as session:
        for i in range(count):
            point = (DEPOT[0] + rng.uniform(-0.07, 0.07), DEPOT[1] + rng.uniform(-0.1, 0.1))
            for key in address_keys(f"Street {i}", f"10{rng.randrange(100, 999)}", "Berlin", "DE"):
                session.add(KnownAddress(tenant_id=tenant_id, key=key, lat=point[0], lng=point[1], seen=1,
                                         last_seen_at=datetime(2030, 3, 1, tzinfo=timezone.utc)))
        session.add_all(KnownAddress(tenant_id=tenant_id, key=key, lat=DEPOT[0] + 0.01, lng=DEPOT[1] + 0.02, seen=1,
                                     last_seen_at=datetime(2030, 3, 1, tzinfo=timezone.utc))
                        for key in address_keys("Torstraße 109", "10178", "Berlin", "DE"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stops", type=int, default=200)
    parser.add_argument("--vehicles", type=int, default=12)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--time-limit", type=float, default=5.0, help="seconds for planning the day first")
    parser.add_argument("--address", action="store_true", help="query a street address the tenant knows")
    parser.add_argument("--history", type=int, default=20000, help="known addresses with --address")
    parser.add_argument("--console", type=int, default=0, metavar="N",
                        help="also time the console's routes and live map pages of the planned day, N requests each")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = Config.from_env({}, data_dir=Path(tmp), database_url=f"sqlite:///{tmp}/bench.db",
                                 redis_url="redis://127.0.0.1:6379/15", secret_key="bench")  # Redis is never used here
        runtime = build_runtime(config)
        tenant_id, planned, unassigned = setup(runtime, args.stops, args.vehicles, args.seed, args.time_limit)
        now = datetime(2030, 3, 13, 12, 0, tzinfo=timezone.utc)  # the day before: no cut-off closes a window
        drop = Drop(postal_code="10178", country="DE", point=None, weight_g=2000, parcels=1)
        if args.address:
            known_history(runtime, tenant_id, args.history, random.Random(args.seed))
            drop = Drop(postal_code="10178", country="DE", point=None, weight_g=2000, parcels=1, street="Torstr. 109")
        times, answer = [], None
        for _ in range(args.queries):
            t0 = time.perf_counter()
            with runtime.sessions() as session:
                answer = slots_for(session, tenant_id, DAY, drop, now)
            times.append((time.perf_counter() - t0) * 1000)
        pages = console_pages(runtime, tenant_id, args.console) if args.console else []
        runtime.close()
    assert answer is not None
    assert not args.address or answer.location_source == "known_address", answer.location_source
    times.sort()
    p95 = times[max(0, math.ceil(0.95 * len(times)) - 1)]
    opened = sum(w.open for w in answer.windows)
    print("| stops planned | unassigned | vehicles | queries | p50 ms | p95 ms | max ms | windows open/full | target |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {planned} | {unassigned} | {args.vehicles} | {args.queries} | {statistics.median(times):.1f} | {p95:.1f} | "
          f"{times[-1]:.1f} | {opened}/{len(answer.windows) - opened} | p95 <= 200 ms: "
          f"{'met' if p95 <= 200 else 'missed'} |")
    if pages:
        print("\n| console page of the planned day | requests | p50 ms | p95 ms | target |\n|---|---|---|---|---|")
        for name, p50, page_p95 in pages:
            print(f"| {name} | {args.console} | {p50:.1f} | {page_p95:.1f} | p95 <= 500 ms: "
                  f"{'met' if page_p95 <= 500 else 'missed'} |")


def console_pages(runtime: Any, tenant_id: str, requests: int) -> list[tuple[str, float, float]]:
    """The routes page (the plan with every stop's times and loads) and the live map of the planned day."""
    from hub.app import create_app

    client = signed_in(create_app(runtime=runtime), tenant_id)
    query = {"depot": "dep_bench", "day": DAY.isoformat()}
    return [(name, *timed(client.get, path, query, requests)[:2])
            for name, path in (("routes", "/console/routes"), ("live map", "/console/map"))]


if __name__ == "__main__":
    main()
