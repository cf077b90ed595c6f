"""`hub demo --history N`: N past days of deliveries, lived through by the hub's own pipeline on a moved clock.

The process clock is moved with time-machine (every `datetime.now`, `time.time` of the hub reads it; nothing
else changes), and the day is played in order: the evening before, a day of orders is posted through the
HTTP API and the in-process jobs ingest, assign (own fleet first, then the 3PL and the crowd, whose stand-ins
accept every offer) and plan the depot's day; then each driver works their route through the driver API
(start, location pings, arrive, proof of delivery or a failed attempt) at the planned times with some
noise, and the carriers report their jobs through the carrier API with `occurred_at`. Customers rate some
deliveries in the evening (`delivery.rated`, written through the ledger: the rating page is another room's).
Jobs run in this process (hub.worker.drain_all, as `hub worker --burst` does), so no clock differs between
processes. The analytics facts are fed by the same outbox rows as in production.
"""

from __future__ import annotations

import heapq
import logging
import os
import random
import shutil
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import requests
import time_machine
from sqlalchemy import select
from werkzeug.serving import make_server

from hub.analytics.figures import Scope, figures
from hub.app import create_app
from hub.config import Config
from hub.db.engine import transaction
from hub.db.models import Delivery, Tenant
from hub.db.models.fleet import Assignment
from hub.demo import fleet as demo_fleet
from hub.demo.data import day_of_orders
from hub.demo.drivers import DemoStepFailed, signature_png
from hub.embedded_redis import _free_port, stop_embedded_redis
from hub.ledger.events import append_event
from hub.ledger.tenants import create_tenant, issue_key
from hub.runtime import Runtime, build_runtime, set_runtime
from hub.worker import drain_all

BERLIN = demo_fleet.BERLIN
# How a simulated day goes: a failed attempt for about one stop in twelve, a rating from one customer in four,
# arrivals scattered around the planned ETA (minutes, one standard deviation), dwell at the door in seconds.
FAIL_SHARE, RATED_SHARE, ETA_NOISE_MIN, DWELL_S = 1 / 12, 0.25, 12.0, (60, 420)
FAIL_REASONS = ["customer_unavailable", "customer_unavailable", "address_not_found", "access_denied", "refused"]
RATINGS = [5, 5, 5, 4, 4, 4, 3, 2, 1]
# A day of a few dozen stops on four vans is solved well within a second or two; the default 10 s per
# (re-)plan would make a month of history take most of an hour.
PLAN_TIME_LIMIT_S = 1.5


class History:
    def __init__(self, data_dir: Path, days: int, per_day: int, seed: int = 11,
                 serving: tuple[Runtime, str] | None = None) -> None:
        """`serving`: a runtime and the URL of an app already serving it (tests); else start both here."""
        self.data_dir, self.days, self.per_day = data_dir, days, per_day
        self.rng = random.Random(seed)
        self.port = _free_port()
        self.base = serving[1] if serving else f"http://127.0.0.1:{self.port}"
        self.env = {"HUB_DATA_DIR": str(data_dir), "HUB_PUBLIC_URL": self.base,
                    "HUB_ALLOW_PRIVATE_WEBHOOK_TARGETS": "true"}
        self.runtime: Runtime | None = serving[0] if serving else None
        self.server: Any = None
        self.tenant_id = ""
        self.counts = {"orders": 0, "delivered": 0, "failed": 0, "rated": 0, "pings": 0, "carrier_reports": 0}

    # -- plumbing --------------------------------------------------------------------------------------
    def start(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        logging.getLogger("hub.outbox.relay").setLevel(logging.ERROR)  # retries are part of the story, not news
        self.runtime = build_runtime(Config.from_env(self.env))
        set_runtime(self.runtime)
        self.server = make_server("127.0.0.1", self.port, create_app(runtime=self.runtime), threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is None:
            return  # a runtime and app it was given: not its to stop
        self.server.shutdown()
        if self.runtime is not None:
            self.runtime.close()
            set_runtime(None)

    def jobs(self) -> None:
        assert self.runtime is not None
        drain_all(self.runtime, rounds=200)

    def key(self, role: str, subject: str | None = None) -> requests.Session:
        assert self.runtime is not None
        with transaction(self.runtime.sessions) as session:
            tenant = session.get(Tenant, self.tenant_id)
            if tenant is None:
                tenant = create_tenant(session, "demo")
                self.tenant_id = tenant.id
            _, key = issue_key(session, tenant, role, subject_id=subject, label=f"demo history {role}")
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {key}"
        return http

    @staticmethod
    def ok(response: requests.Response, what: str) -> dict[str, Any]:
        if not response.ok:
            raise DemoStepFailed(f"{what}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else {}  # type: ignore[no-any-return]

    # -- one day ---------------------------------------------------------------------------------------
    def orders(self, clock: Any, admin: requests.Session, day: datetime) -> None:
        advance(clock, day - timedelta(hours=6))  # the evening before: the shop's orders come in
        orders = day_of_orders(self.per_day, seed=day.toordinal(), day=day)
        for order in orders:
            order["source"]["external_id"] = f"{day.date().isoformat()}-{order['source']['external_id']}"
            self.ok(admin.post(f"{self.base}/api/v1/deliveries", json=order, timeout=30), "post an order")
        self.counts["orders"] += len(orders)
        self.jobs()  # ingest, assign, dispatch to the carriers' stand-ins
        # past the plan's debounce: the depot's day is planned
        advance(clock, max(day - timedelta(hours=5), datetime.now(timezone.utc) + timedelta(hours=1)))
        self.jobs()

    def drive(self, clock: Any, driver_ids: list[str], day: datetime) -> None:
        """Every driver's day at once, step by step in time order, so the clock never goes back (a re-plan or
        a report read against a clock that jumped back to the morning would find the day out of reach)."""
        waiting: list[tuple[datetime, int, Iterator[datetime]]] = []
        for order, driver_id in enumerate(driver_ids):
            _queue(waiting, order, self.shift(driver_id, day))
        while waiting:
            when, order, steps = heapq.heappop(waiting)
            advance(clock, when)
            _queue(waiting, order, steps)

    def shift(self, driver_id: str, day: datetime) -> Iterator[datetime]:
        """One driver's day: yields when its next step happens, and takes it once the clock is there."""
        http = self.key("driver", driver_id)
        http.params = {"date": day.date().isoformat()}
        api = f"{self.base}/api/v1/driver"
        stops = self.ok(http.get(f"{api}/route", timeout=30), "my route").get("stops", [])
        if not stops:
            return
        yield day.replace(hour=8)
        self.ok(http.post(f"{api}/route/start", json={}, timeout=30), "start the route")
        for stop in stops:
            eta = datetime.fromisoformat(stop["eta"]) if stop.get("eta") else datetime.now(timezone.utc)
            arrival = max(datetime.now(timezone.utc) + timedelta(minutes=2),
                          eta + timedelta(minutes=self.rng.gauss(0, ETA_NOISE_MIN)))
            opens = (stop.get("window") or {}).get("start")
            if opens and arrival < datetime.fromisoformat(opens):  # early: the van waits for the window to open
                arrival = datetime.fromisoformat(opens) + timedelta(minutes=self.rng.uniform(0, 10))
            yield arrival
            geo = (stop.get("dropoff") or {}).get("address", {}).get("geo") or {}
            if geo:
                points = [{"lat": geo["lat"] + self.rng.uniform(-0.01, 0.01) * k / 3,
                           "lng": geo["lng"] + self.rng.uniform(-0.01, 0.01) * k / 3,
                           "recorded_at": (arrival - timedelta(minutes=k)).isoformat()} for k in (6, 3, 0)]
                self.ok(http.post(f"{api}/pings", json={"points": points}, timeout=30), "pings")
                self.counts["pings"] += len(points)
            delivery_id = stop["delivery_id"]
            self.ok(http.post(f"{api}/stops/{delivery_id}/arrive", json={}, timeout=30), "arrive")
            yield arrival + timedelta(seconds=self.rng.randint(*DWELL_S))
            if self.rng.random() < FAIL_SHARE:
                self.ok(http.post(f"{api}/stops/{delivery_id}/fail", timeout=30,
                                  json={"reason_code": self.rng.choice(FAIL_REASONS)}), "fail")
                self.counts["failed"] += 1
            else:
                name = (stop.get("dropoff") or {}).get("contact", {}).get("name", "Recipient")
                self.ok(http.post(f"{api}/stops/{delivery_id}/complete", timeout=30,
                                  data={"recipient_name": name},
                                  files={"signature": ("signature.png", signature_png(len(delivery_id)), "image/png")}),
                        "complete")
                self.counts["delivered"] += 1

    def carriers(self, clock: Any, day: datetime) -> None:
        """Each carrier reports its jobs of the day (09:00 to 18:00) through the carrier API, with the time it
        happened: at the end of that day, whenever the vans came back (the hub refuses reports from its future)."""
        assert self.runtime is not None
        advance(clock, day.replace(hour=18, minute=1))
        with self.runtime.sessions() as session:
            jobs = session.execute(select(Assignment.carrier_id, Assignment.job_id, Delivery.id).join(
                Delivery, Delivery.id == Assignment.delivery_id).where(
                Assignment.tenant_id == self.tenant_id, Assignment.state == "accepted",
                Delivery.status == "dispatched")).all()
        keys: dict[str, requests.Session] = {}
        for carrier_id, job_id, _ in jobs:
            http = keys.get(carrier_id) or keys.setdefault(carrier_id, self.key("carrier", carrier_id))
            moment = day.replace(hour=9) + timedelta(minutes=self.rng.randint(0, 9 * 60))
            steps = [("in_transit", moment - timedelta(minutes=40), {})]
            if self.rng.random() < FAIL_SHARE:
                steps.append(("failed_attempt", moment, {"reason_code": self.rng.choice(FAIL_REASONS)}))
            else:
                steps.append(("delivered", moment, {}))
            for status, at, extra in steps:
                answer = http.post(f"{self.base}/api/v1/carrier/jobs/{job_id}/status", timeout=30, json={
                    "type": "delivery.status_changed", "occurred_at": at.isoformat(),
                    "data": {"status": status, **extra}})
                if answer.status_code == 422 and status == "delivered":  # proof required: report it instead
                    answer = http.post(f"{self.base}/api/v1/carrier/jobs/{job_id}/status", timeout=30, json={
                        "type": "delivery.pod_captured", "occurred_at": at.isoformat(),
                        "data": {"captured_at": at.isoformat(), "recipient_name": "Recipient"}})
                self.ok(answer, f"carrier report {status}")
                self.counts["carrier_reports"] += 1
        self.jobs()

    def ratings(self, clock: Any, day: datetime) -> None:
        """In the evening some customers rate their delivery (1 to 5)."""
        assert self.runtime is not None
        advance(clock, day.replace(hour=21))
        start, end = day.astimezone(timezone.utc), (day + timedelta(days=1)).astimezone(timezone.utc)
        with transaction(self.runtime.sessions) as session:
            for delivery in session.execute(select(Delivery).where(
                    Delivery.tenant_id == self.tenant_id, Delivery.status == "delivered")).scalars():
                window = (delivery.document.get("promised_window") or {}).get("start")
                if not window or not start <= datetime.fromisoformat(window) < end:
                    continue  # another day's delivery
                if self.rng.random() < RATED_SHARE:
                    append_event(session, delivery, "delivery.rated", {"rating": self.rng.choice(RATINGS)},
                                 actor={"kind": "system", "id": "demo-customer"})
                    self.counts["rated"] += 1
        self.jobs()

    def run(self) -> tuple[date, date]:
        today = datetime.now(BERLIN).date()
        first = today - timedelta(days=self.days)
        eve = datetime(first.year, first.month, first.day, tzinfo=BERLIN) - timedelta(hours=7)
        with time_machine.travel(eve, tick=True) as clock:
            admin = self.key("admin")
            standins: dict[str, demo_fleet.CarrierStandIn] = {}
            try:
                with transaction(self.runtime.sessions) as session:  # type: ignore[union-attr]
                    tenant = session.get(Tenant, self.tenant_id)
                    tenant.settings = {**(tenant.settings or {}), "routing": {"time_limit_s": PLAN_TIME_LIMIT_S}}
                names = demo_fleet.setup_capacity(demo_fleet.Api(self.base, admin.headers["Authorization"][7:]),
                                                  standins)
                for n in range(self.days):
                    day = eve + timedelta(hours=7) + timedelta(days=n)
                    day = datetime(day.year, day.month, day.day, tzinfo=BERLIN)
                    self.orders(clock, admin, day)
                    self.drive(clock, list(names["drivers"]), day)
                    self.jobs()  # tracking, write-back, webhooks, analytics of the routes, once every van is back
                    self.carriers(clock, day)
                    self.ratings(clock, day)
                    print(f"  {day.date().isoformat()}: {self.counts['orders']} orders so far, "
                          f"{self.counts['delivered']} delivered by drivers, {self.counts['failed']} failed, "
                          f"{self.counts['rated']} rated", flush=True)
            finally:
                for standin in standins.values():
                    standin.stop()
        return first, today - timedelta(days=1)


def advance(clock: Any, when: datetime) -> None:
    """Move the moved clock on to `when`, never back: the hub's jobs, plans and reports read it in order."""
    clock.move_to(max(datetime.now(timezone.utc), when))


def _queue(waiting: list[tuple[datetime, int, Iterator[datetime]]], order: int, steps: Iterator[datetime]) -> None:
    """The driver's next step in the day's queue (none once their day is over)."""
    when = next(steps, None)
    if when is not None:
        heapq.heappush(waiting, (when, order, steps))


def run_history(days: int, per_day: int = 40) -> int:
    data_dir = (Path(os.environ.get("HUB_DATA_DIR") or "var") / "demo").resolve()
    stop_embedded_redis(data_dir)
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    history = History(data_dir, days, per_day)
    print(f"Delivery hub demo, {days} days of history: SQLite at {data_dir / 'hub.db'}, {per_day} orders a day, "
          "lived through the API, the jobs and the driver and carrier APIs on a moved clock")
    try:
        history.start()
        first, last = history.run()
        assert history.runtime is not None
        with history.runtime.sessions() as session:
            weekly = figures(session, Scope(history.tenant_id, first, last), period="week")
        print("\nPer week (on time = delivered inside the promised window):")
        for row in weekly:
            print(f"  week of {row['period_start']}: {row['deliveries']} deliveries, on time {row['on_time_rate']}, "
                  f"first attempt {row['first_attempt_rate']}, cost/delivery {row['cost_per_delivery']}, "
                  f"CSAT {row['csat']}")
        print(f"\nSee it: HUB_DATA_DIR={data_dir} hub report --tenant demo --from {first} --to {last} --out report/"
              f"\n    or: HUB_DATA_DIR={data_dir} hub serve, then GET /api/v1/analytics/figures?from={first}&to={last}")
        return 0
    except DemoStepFailed as exc:
        print(f"\n!! the hub refused a demo step: {exc}")
        return 1
    finally:
        history.stop()
        stop_embedded_redis(data_dir)
