"""Analytics benchmark: `python bench/analytics.py [--days 90] [--per-day 2000] [--requests 30]`.

On the database of HUB_BENCH_DATABASE_URL (default: postgresql://postgres@127.0.0.1:5432/hub_bench; SQLite works
too, slower), it writes a synthetic history for a fresh tenant in bulk: per day `--per-day` deliveries with
their hash-chained events (created, assigned, planned with a route event, on the road, arrived, delivered or
failed, some exceptions and ratings), own-fleet route plans, carrier assignments with their prices, route
pings. Then it times `hub analytics rebuild --tenant T` (the real command, in a subprocess) and the p95 of
every analytics endpoint over the whole range, JSON and CSV, through the app. Prints one table.
Targets: every endpoint p95 <= 500 ms; the rebuild <= 5 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402

from hub.canonical.ids import sortable_id  # noqa: E402
from bench.console import signed_in, timed  # noqa: E402
from hub.db.engine import migrate, transaction  # noqa: E402
from hub.db.models import Tenant  # noqa: E402
from hub.ledger.events import GENESIS_HASH, link_hash  # noqa: E402
from hub.ledger.tenants import create_tenant, issue_key  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/hub_bench"
DEPOTS, VANS_PER_DEPOT, CARRIERS = 4, 5, 3
OWN_SHARE = 0.6  # of deliveries on the own fleet; the rest with carriers
FAIL_RATE, RATED_RATE, EXCEPTION_RATE = 0.08, 0.2, 0.03
REASONS = ["not_home", "address_not_found", "refused", "access_denied", "damaged"]
LEVELS = ["next_day", "same_day", "express", "scheduled", "economy"]
CONNECTORS = ["shopify", "woocommerce", "magento", "api"]
AREAS = [f"1{n:02d}" for n in range(60)]
TARGET_P95_MS = 500
TARGET_REBUILD_S = 300


class Ev:
    """An event row being made: the attributes link_hash reads."""

    __slots__ = ("id", "tenant_id", "delivery_id", "sequence", "type", "occurred_at", "recorded_at", "actor", "data",
                 "prev_hash", "hash")


def _engine_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


def synthesize(tenant_id: str, start: date, days: int, per_day: int, rng: random.Random) -> dict[str, list[tuple]]:
    tag = tenant_id[-6:]  # fleet ids are global keys: each run's tenant gets its own
    rows: dict[str, list[tuple]] = {"deliveries": [], "delivery_events": [], "route_plans": [], "assignments": [],
                                    "driver_pings": []}
    system = {"kind": "system", "id": "bench"}
    for offset in range(days):
        day = start + timedelta(days=offset)
        base = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
        routes: dict[str, list[int]] = {}
        for d in range(DEPOTS):
            plan_id = f"plan_{tag}_{day.isoformat()}_{d}"
            rows["route_plans"].append((plan_id, tenant_id, f"dep_{tag}_{d}", day, 1, "active", "bench", "bench", 0.0, 1.0,
                                        VANS_PER_DEPOT, 0, 0, 0, 0, 0.0, "{}", "{}", base))
            for v in range(VANS_PER_DEPOT):
                routes[f"{plan_id}:veh_{tag}_{d}_{v}"] = [0]
                for k in range(0, 9 * 60, 15):  # a ping every 15 minutes on the road
                    rows["driver_pings"].append((tenant_id, f"drv_{tag}_{d}_{v}", 52.45 + rng.random() * 0.1,
                                                 13.3 + rng.random() * 0.2, base + timedelta(hours=8, minutes=k), base))
        route_ids = list(routes)
        for i in range(per_day):
            delivery_id = sortable_id("dlv_", now_ms=int((base.timestamp() + i) * 1000))
            level, connector, area = rng.choice(LEVELS), rng.choice(CONNECTORS), rng.choice(AREAS)
            w_start = base + timedelta(hours=8 + rng.randint(0, 9))
            window = {"start": w_start.isoformat(), "end": (w_start + timedelta(hours=2)).isoformat()}
            doc = {"id": delivery_id, "status": "received", "service_level": level, "source": {"connector": connector},
                   "promised_window": window, "tags": ["b2b"] if rng.random() < 0.2 else [],
                   "dropoff": {"address": {"postal_code": f"{area}{rng.randint(10, 99)}",
                                           "geo": {"lat": 52.45 + rng.random() * 0.12, "lng": 13.25 + rng.random() * 0.3}}}}
            chain: list[tuple[str, dict[str, Any], datetime]] = [("delivery.created", {"delivery": doc}, base)]
            chain.append(("delivery.status_changed", {"status": "assigned", "previous_status": "received"}, base))
            own = rng.random() < OWN_SHARE
            asg = f"asg_{delivery_id[4:]}"
            if own:
                route_id = rng.choice(route_ids)
                plan_id, vehicle = route_id.split(":")
                depot = plan_id.rsplit("_", 1)[1]
                routes[route_id][0] += 1
                position = routes[route_id][0]
                eta = base + timedelta(hours=8, minutes=8 * position)
                chain.append(("delivery.assigned", {"assignment_id": asg, "capacity": "own_fleet",
                                                    "depot_id": f"dep_{tag}_{depot}"}, base))
                chain.append(("delivery.status_changed", {"status": "planned", "previous_status": "assigned"}, base))
                chain.append(("route.planned", {"route_id": route_id, "vehicle_id": vehicle,
                                                "driver_id": vehicle.replace("veh", "drv"), "distance_m": 60_000,
                                                "duration_s": 8 * 3600, "stops": [{"delivery_id": delivery_id,
                                                "position": position, "eta": eta.isoformat()}]}, base))
                on_road = base + timedelta(hours=8)
            else:
                carrier = f"car_{rng.randrange(CARRIERS)}"
                rows["assignments"].append((asg, tenant_id, delivery_id, 1, day, carrier, "carrier", None, carrier,
                                            "accepted", 1, 0, 0, 0, json.dumps({"chosen": carrier, "candidates": [
                                                {"candidate_id": carrier, "cost": f"{rng.uniform(4, 12):.2f}"}]}),
                                            "", "{}", base, base))
                chain.append(("delivery.assigned", {"assignment_id": asg, "capacity": "carrier",
                                                    "carrier_id": carrier}, base))
                eta = base + timedelta(hours=8 + rng.random() * 9)
                on_road = base + timedelta(hours=7)
            chain.append(("delivery.status_changed", {"status": "in_transit", "previous_status": "planned"}, on_road))
            arrive = eta + timedelta(minutes=rng.gauss(0, 25))
            chain.append(("delivery.status_changed", {"status": "arriving", "previous_status": "in_transit"}, arrive))
            if rng.random() < EXCEPTION_RATE:
                chain.append(("delivery.exception", {"code": "running_late", "severity": "warning"}, arrive))
            done = arrive + timedelta(seconds=rng.randint(60, 600))
            failed = rng.random() < FAIL_RATE
            outcome = {"status": "failed_attempt", "reason_code": rng.choice(REASONS)} if failed else {"status": "delivered"}
            chain.append(("delivery.status_changed", {**outcome, "previous_status": "arriving"}, done))
            if not failed and rng.random() < RATED_RATE:
                chain.append(("delivery.rated", {"rating": rng.choice([1, 2, 3, 4, 4, 5, 5, 5])}, done + timedelta(hours=2)))
            prev = GENESIS_HASH
            for sequence, (kind, data, at) in enumerate(chain, start=1):
                ev = Ev()
                ev.id, ev.tenant_id, ev.delivery_id, ev.sequence = f"evt_{delivery_id[4:]}{sequence:02d}", tenant_id, delivery_id, sequence
                ev.type, ev.occurred_at, ev.recorded_at, ev.actor, ev.data, ev.prev_hash = kind, at, at, system, data, prev
                ev.hash = link_hash(prev, ev)
                prev = ev.hash
                rows["delivery_events"].append((ev.id, tenant_id, delivery_id, sequence, kind, at, at,
                                                json.dumps(system), json.dumps(data), ev.prev_hash, ev.hash))
            final = outcome["status"]
            rows["deliveries"].append((delivery_id, tenant_id, f"bench:{tenant_id}", connector, delivery_id, final, level,
                                       json.dumps({**doc, "status": final}), 1, base, base, day, len(chain), prev))
    return rows


COLUMNS = {
    "deliveries": "id, tenant_id, source_key, source_connector, external_id, status, service_level, document, version, "
                  "created_at, updated_at, window_day, events_head_sequence, events_head_hash",
    "delivery_events": "id, tenant_id, delivery_id, sequence, type, occurred_at, recorded_at, actor, data, prev_hash, hash",
    "route_plans": "id, tenant_id, depot_id, plan_date, version, status, trigger, backend, objective, time_limit_s, "
                   "vehicles_used, stops_planned, unassigned, distance_m, duration_s, cost, plan, problem, created_at",
    "assignments": "id, tenant_id, delivery_id, attempt, day, candidate_id, capacity, depot_id, carrier_id, state, "
                   "parcels, weight_g, volume_cm3, policy_version, decision, reason, actor, created_at, updated_at",
    "driver_pings": "tenant_id, driver_id, lat, lng, recorded_at, received_at",
}


def bulk(engine: Any, table: str, rows: Iterable[tuple]) -> None:
    columns = COLUMNS[table]
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns.split(","))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})",
                               [tuple(v.isoformat(" ") if isinstance(v, (datetime, date)) else v for v in r) for r in rows])
        raw.commit()
    finally:
        raw.close()


def fleet(engine: Any, tenant_id: str) -> None:
    now, tag = datetime.now(timezone.utc), tenant_id[-6:]
    with engine.begin() as conn:
        for d in range(DEPOTS):
            conn.execute(text("INSERT INTO depots (id, tenant_id, name, address, utc_offset_min, coverage, service_levels,"
                              " active, created_at) VALUES (:id, :t, :n, '{}', 60, '{}', '[]', false, :now)"),
                         {"id": f"dep_{tag}_{d}", "t": tenant_id, "n": f"Depot {d}", "now": now})
            for v in range(VANS_PER_DEPOT):
                conn.execute(text("INSERT INTO vehicles (id, tenant_id, depot_id, name, features, cost_per_km, cost_per_hour,"
                                  " speed_kmh, active, created_at) VALUES (:id, :t, :d, :n, '[]', '0.32', '4', 30, false, :now)"),
                             {"id": f"veh_{tag}_{d}_{v}", "t": tenant_id, "d": f"dep_{tag}_{d}", "n": f"Van {d}.{v}", "now": now})


def _change_day(tenant_id: str, day: date) -> None:
    """What the analytics feed does when a fact of `day` changes: the day's sums are stale until read."""
    from hub.analytics.rollup import touch
    from hub.runtime import get_runtime

    with transaction(get_runtime().sessions) as session:
        touch(session, tenant_id, [day])


def measure_console(app: Any, tenant_id: str, day: date, requests: int) -> list[tuple[str, float, float]]:
    """The operator console's pages, signed in as a dispatcher, on the history's last day. (The routes page is
    timed on a day the hub really planned: bench/slots.py --console; this history's plans hold no solver output.)"""
    from hub.runtime import get_runtime

    client = signed_in(app, tenant_id)
    depot = f"dep_{tenant_id[-6:]}_0"
    with get_runtime().sessions() as session:
        one = session.execute(text("SELECT delivery_id FROM analytics_delivery_facts WHERE tenant_id = :t AND day = :d "
                                   "LIMIT 1"), {"t": tenant_id, "d": day}).scalar_one()
    pages = [("today", "/console/today", {"day": day.isoformat()}),
             ("today, searched", "/console/today", {"day": day.isoformat(), "q": "1"}),
             ("a delivery's timeline", f"/console/deliveries/{one}", {}),
             ("exceptions", "/console/exceptions", {}),
             ("integrations", "/console/integrations", {}),
             ("map", "/console/map", {"depot": depot, "day": day.isoformat()}),
             ("analytics, 90 days by driver per day", "/console/analytics",
              {"from": (day - timedelta(days=89)).isoformat(), "to": day.isoformat(), "by": "driver", "period": "day"})]
    out = []
    for name, path, query in pages:
        p50, p95, _ = timed(client.get, path, query, requests)
        out.append((f"console: {name}", p50, p95))
    return out


def measure(url: str, tenant_key: str, tenant_id: str, start: date, end: date,
            requests: int) -> list[tuple[str, float, float]]:
    os.environ["HUB_DATABASE_URL"] = url
    from hub.app import create_app  # the app reads HUB_* when it starts; imported here once they are set

    app = create_app()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {tenant_key}"}
    span = {"from": start.isoformat(), "to": end.isoformat()}
    month = {"from": (end - timedelta(days=29)).isoformat(), "to": end.isoformat()}
    cases: list[tuple[str, dict[str, Any]]] = []
    for by in ("tenant", "depot", "carrier", "driver", "connector", "service_level"):
        for period in ("day", "week"):
            cases.append((f"figures?by={by}&period={period}", {**span, "by": by, "period": period}))
    for path in ("scorecards/drivers", "scorecards/carriers", "heatmap", "dwell", "profitability", "planned-vs-actual"):
        cases.append((path, span))
        cases.append((f"{path} (csv)", {**span, "format": "csv"}))
    cases.append(("figures?by=driver (30 days)", {**month, "by": "driver"}))
    # The feed changes today's facts all day: each of these requests first finds one day to sum again.
    cases.append(("figures?by=driver&period=day, 1 day changed", {**span, "by": "driver", "period": "day",
                                                                    "__touch__": end}))
    cases.append(("figures (csv)", {**span, "by": "depot", "format": "csv"}))
    cases.append(("deliveries?figure=late (first 1000)", {**span, "figure": "late"}))
    cases.append(("deliveries?by=depot&key=<depot>&figure=failed", {**span, "by": "depot", "key": "__depot__",
                                                                   "figure": "failed"}))
    cases.append(("deliveries?cell= (heatmap drill)", {**span, "figure": "failed", "cell": "__cell__"}))
    out = []
    cell = depot = None
    for name, query in cases:
        path = name.split(" ")[0].split("?")[0]
        if "cell" in query:
            query = {**query, "cell": cell}
        if query.get("key") == "__depot__":
            query = {**query, "key": depot}
        touched = query.get("__touch__")
        query = {k: v for k, v in query.items() if k != "__touch__"}
        p50, p95, answer = timed(lambda p, **kw: client.get(p, headers=headers, **kw), f"/api/v1/analytics/{path}",
                                  query, requests, (lambda: _change_day(tenant_id, touched)) if touched else None)
        if path == "heatmap" and cell is None:
            cell = answer.json["items"][0]["cell"]
        if path == "figures" and query.get("by") == "depot" and depot is None and answer.is_json:
            depot = answer.json["items"][0]["key"]
        out.append((name, p50, p95))
    out += measure_console(app, tenant_id, end, requests)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--per-day", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=30, help="requests per endpoint (p95 over these)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--measure-only", action="store_true",
                        help="only the endpoints, on the largest tenant an earlier run left in the database")
    args = parser.parse_args()
    url = os.environ.get("HUB_BENCH_DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("HUB_REDIS_URL", "redis://127.0.0.1:6379/5")
    os.environ.setdefault("HUB_SECRET_KEY", "bench-secret")
    migrate(url)
    engine = create_engine(_engine_url(url))
    from sqlalchemy.orm import sessionmaker

    if args.measure_only:
        with transaction(sessionmaker(engine)) as session:
            tenant_id, count, first, last = session.execute(text(
                "SELECT tenant_id, count(*), min(day), max(day) FROM analytics_delivery_facts GROUP BY tenant_id "
                "ORDER BY count(*) DESC LIMIT 1")).one()
            _, key = issue_key(session, session.get(Tenant, tenant_id), "admin")
        print(f"\nanalytics endpoints on {engine.dialect.name}, {os.cpu_count()} cores (shared machine): {count} "
              f"deliveries from {first} to {last}")
        return _print_timings(measure(url, key, tenant_id, first, last, args.requests), first, last)

    name = f"bench-{uuid.uuid4().hex[:8]}"
    with transaction(sessionmaker(engine)) as session:
        tenant = create_tenant(session, name)
        _, key = issue_key(session, tenant, "admin")
        tenant_id = tenant.id
    end = date.today() - timedelta(days=1)  # a history up to yesterday: the console's "this week" windows see a week
    start = end - timedelta(days=args.days - 1)
    began = time.perf_counter()
    rows = synthesize(tenant_id, start, args.days, args.per_day, random.Random(args.seed))
    made = time.perf_counter() - began
    fleet(engine, tenant_id)
    for table in ("deliveries", "delivery_events", "route_plans", "assignments", "driver_pings"):
        bulk(engine, table, rows[table])
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    loaded = time.perf_counter() - began
    events = len(rows["delivery_events"])
    del rows
    began = time.perf_counter()
    rebuilt = subprocess.run([sys.executable, "-m", "hub.cli", "analytics", "rebuild", "--tenant", name, "--json"],
                             env={**os.environ, "HUB_DATABASE_URL": url}, capture_output=True, text=True)
    rebuild_s = time.perf_counter() - began
    if rebuilt.returncode != 0:
        print(rebuilt.stdout, rebuilt.stderr)
        return 1
    result = json.loads(rebuilt.stdout)["tenants"][0]
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE analytics_delivery_facts"))
            conn.execute(text("ANALYZE analytics_route_facts"))
    timings = measure(url, key, tenant_id, start, end, args.requests)
    print(f"\nanalytics benchmark on {engine.dialect.name}, {os.cpu_count()} cores (shared machine): {args.days} days x "
          f"{args.per_day} deliveries/day = {result['deliveries']} deliveries, {events} events, "
          f"{result['route_days']} route-days")
    print(f"history synthesized in {made:.0f} s, loaded in {loaded - made:.0f} s (total {loaded:.0f} s)")
    ok_rebuild = rebuild_s <= TARGET_REBUILD_S
    print(f"hub analytics rebuild: {rebuild_s:.1f} s (in-process {result['seconds']} s)  target <= {TARGET_REBUILD_S} s "
          f"{'OK' if ok_rebuild else 'MISSED'}")
    return max(_print_timings(timings, start, end), 0 if ok_rebuild else 2)


def _print_timings(timings: list[tuple[str, float, float]], start: date, end: date) -> int:
    print(f"\n{'endpoint (range ' + start.isoformat() + ' .. ' + end.isoformat() + ')':<52} {'p50 ms':>8} {'p95 ms':>8}  target")
    worst = 0.0
    for name, p50, p95 in timings:
        worst = max(worst, p95)
        print(f"{name:<52} {p50:>8.1f} {p95:>8.1f}  {'OK' if p95 <= TARGET_P95_MS else 'MISSED'}")
    print(f"\nworst p95 {worst:.1f} ms (target <= {TARGET_P95_MS} ms)")
    return 0 if worst <= TARGET_P95_MS else 2


if __name__ == "__main__":
    sys.exit(main())
