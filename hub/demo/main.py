"""`hub demo`: the main job end to end on the embedded default (SQLite, the hub's own Redis).

Starts the web app and a real worker process, creates a tenant, sets up its capacity (hub.demo.fleet),
posts a day of canonical deliveries through the HTTP API, waits for the worker to process them, and prints
what happened: the assignment, the route plan, then the stores step (hub.demo.stores).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from hub.app import create_app
from hub.config import Config
from hub.db.engine import transaction
from hub.db.models import Delivery, DeliveryEvent, InboxItem
from hub.demo import fleet as demo_fleet
from hub.demo.data import day_of_orders
from hub.demo.drivers import DemoStepFailed, Drive, cancel, drive
from hub.demo.messages import MessagesDemo
from hub.demo.receiver import SETTLE_TIMEOUT_S, WebhookReceiver, wait_for_webhooks
from hub.demo.stores import print_store_report, run_store_demo, wait_for_worker
from hub.demo.tracking import tracking_lines
from hub.embedded_redis import _free_port, stop_embedded_redis
from hub.ledger.tenants import create_tenant, issue_key
from hub.runtime import Runtime, build_runtime, set_runtime

# Long enough for a slow machine to ingest thousands of deliveries; the demo reports if it is exceeded.
PROCESS_TIMEOUT_S = 300


class Demo:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("HUB_")}, "HUB_DATA_DIR": str(data_dir)}
        self.port = _free_port()
        self.env["HUB_PUBLIC_URL"] = f"http://127.0.0.1:{self.port}"
        # The demo's webhook receiver listens on 127.0.0.1; a real deployment keeps private targets refused.
        self.env["HUB_ALLOW_PRIVATE_WEBHOOK_TARGETS"] = "true"
        self.runtime: Runtime | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.server: Any = None
        self.tenant_id = ""

    def start(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request would drown the summary
        self.runtime = build_runtime(Config.from_env(self.env))
        set_runtime(self.runtime)
        self.server = make_server("127.0.0.1", self.port, create_app(runtime=self.runtime), threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        log = open(self.data_dir / "worker.log", "wb")
        self.worker = subprocess.Popen([sys.executable, "-m", "hub.cli", "worker"], env=self.env,
                                       stdout=log, stderr=subprocess.STDOUT)

    def stop(self, keep: bool) -> None:
        if self.worker is not None:
            self.worker.terminate()
            try:
                self.worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.worker.kill()
        if self.server is not None:
            self.server.shutdown()
        if self.runtime is not None:
            self.runtime.close()
            set_runtime(None)
        if not keep:
            stop_embedded_redis(self.data_dir)

    def tenant_key(self) -> str:
        assert self.runtime is not None
        with transaction(self.runtime.sessions) as session:
            tenant = create_tenant(session, "demo")
            _, key = issue_key(session, tenant, "admin", label="hub demo")
            self.tenant_id = tenant.id
        return key

    def pending(self) -> int:
        assert self.runtime is not None
        with self.runtime.sessions() as session:
            return session.scalar(select(func.count()).select_from(InboxItem).where(InboxItem.state == "pending")) or 0


def _post_all(base: str, key: str, orders: list[dict[str, Any]]) -> list[str]:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    ids = []
    for order in orders:
        response = session.post(f"{base}/api/v1/deliveries", json=order,
                                headers={"Idempotency-Key": order["source"]["external_id"]}, timeout=30)
        response.raise_for_status()
        ids.append(response.json()["id"])
    return ids


def _summary(runtime: Runtime) -> dict[str, Any]:
    with runtime.sessions() as session:
        statuses = Counter(dict(session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all()))
        levels = Counter(dict(session.execute(
            select(Delivery.service_level, func.count()).group_by(Delivery.service_level)).all()))
        events = session.scalar(select(func.count()).select_from(DeliveryEvent))
        flagged = [d for d in session.execute(select(Delivery.document)).scalars() if d.get("data_quality_flags")]
    return {"statuses": statuses, "levels": levels, "events": events, "flagged": flagged}


def print_slots(fleet: demo_fleet.FleetDemo) -> None:
    """What a shop's checkout asks: the windows of the planned day for one postal code, for a parcel and for an
    order bigger than any van has room for (45 parcels: the vans take 40)."""
    day = fleet.day.date().isoformat()
    small, bulky = (fleet.api.call("GET", f"/slots?date={day}&postal_code=10178&country=DE&parcels={n}")["windows"]
                    for n in (1, 45))
    print(f"\nDelivery slots on {day} for postal code 10178 (cheapest insertion into the day's routes):")
    print("  window        1 parcel   45 parcels")
    for one, many in zip(small, bulky):
        print(f"  {one['start'][11:16]}-{one['end'][11:16]}   {one.get('reason', 'open'):<10} {many.get('reason', 'open')}")


def drive_a_route(demo: Demo, fleet: demo_fleet.FleetDemo) -> Drive | None:
    """One driver works the busiest route through the driver API (the answers come back synchronously)."""
    routes = [r for r in (fleet.plan or {}).get("routes", []) if r.get("driver_id") and len(r.get("stops", [])) >= 5]
    if not routes:
        print("\n(no route with five stops and a driver: the driver step is skipped)")
        return None
    assert demo.runtime is not None
    busiest = max(routes, key=lambda r: len(r["stops"]))
    print("\nA driver works a route through the driver API:")
    result = drive(demo.runtime, demo.env["HUB_PUBLIC_URL"], fleet.api.http, demo.tenant_id,
                   busiest["driver_id"], fleet.day.date().isoformat())
    others = [r for r in routes if r is not busiest]
    if others:
        result.lines.append(cancel(demo.env["HUB_PUBLIC_URL"], fleet.api.http, others[0]["stops"][-1]["delivery_id"]))
    for line in result.lines:
        print("  " + line)
    return result


def report_webhooks(demo: Demo, receiver: WebhookReceiver, subscription_id: str, driven: Drive | None) -> bool:
    """Wait until every event is delivered (the receiver's outage means some are retried), then print."""
    assert demo.runtime is not None
    settled = wait_for_webhooks(demo.runtime)
    print("\nWhat a subscriber's endpoint received (Standard Webhooks, signed by the hub):")
    if not settled:
        print(f"!! some webhooks were still open after {SETTLE_TIMEOUT_S} s; see {demo.data_dir / 'worker.log'}")
    lines = receiver.report(subscription_id)
    for delivery_id in [*driven.delivered[:1], *driven.failed[:1]] if driven else []:
        lines += receiver.timeline(delivery_id)
    for line in lines:
        print("  " + line)
    return settled


def run_demo(deliveries: int = 120, keep: bool = False) -> int:
    data_dir = (Path(os.environ.get("HUB_DATA_DIR") or "var") / "demo").resolve()
    stop_embedded_redis(data_dir)
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    demo = Demo(data_dir)
    print(f"Delivery hub demo: SQLite at {data_dir / 'hub.db'}, the hub's own Redis under {data_dir / 'redis'}")
    stack = ExitStack()
    try:
        demo.start()
        assert demo.runtime is not None
        print(f"  web app on {demo.env['HUB_PUBLIC_URL']} (OpenAPI at /api/docs), worker pid {demo.worker.pid}")
        key = demo.tenant_key()
        base = demo.env["HUB_PUBLIC_URL"]
        receiver = WebhookReceiver()
        stack.callback(receiver.stop)
        subscription = receiver.subscribe(base, key)
        print(f"  a subscriber's endpoint on {receiver.url} subscribed to {', '.join(subscription['event_types'])}")
        messages = MessagesDemo()
        stack.callback(messages.stop)
        print(f"  messages to customers: {messages.setup(base, key)}")
        fleet = demo_fleet.FleetDemo(base, key)
        stack.callback(fleet.stop)
        fleet.setup()
        orders = day_of_orders(deliveries, day=fleet.day)
        started = time.perf_counter()
        _post_all(demo.env["HUB_PUBLIC_URL"], key, orders)
        posted = time.perf_counter() - started
        print(f"\nPosted {len(orders)} canonical deliveries (a day of orders around Berlin) in {posted:.1f} s "
              f"({len(orders) / posted:.0f}/s); each answered 202 and waits in the inbox")
        deadline = time.monotonic() + PROCESS_TIMEOUT_S
        while (left := demo.pending()) and time.monotonic() < deadline:
            time.sleep(0.2)
        processed = time.perf_counter() - started
        if left:
            print(f"!! {left} deliveries were still waiting after {PROCESS_TIMEOUT_S} s; see {data_dir / 'worker.log'}")
            return 1
        print(f"The worker ingested all of them {processed:.1f} s after the first post")
        summary = _summary(demo.runtime)
        print("\nDeliveries by status:   " + ", ".join(f"{k} {v}" for k, v in summary["statuses"].most_common()))
        print("By service level:       " + ", ".join(f"{k} {v}" for k, v in summary["levels"].most_common()))
        print(f"Events recorded:        {summary['events']} (hash-chained per delivery)")
        print(f"With data-quality flags: {len(summary['flagged'])}")
        for doc in summary["flagged"][:3]:
            print(f"  {doc['source']['external_id']}: " + "; ".join(f["message"] for f in doc["data_quality_flags"]))
        fleet.report(demo.runtime, demo.tenant_id, posted_at=started)
        print_slots(fleet)
        driven = drive_a_route(demo, fleet)
        print("\nThe customer's tracking page (a private link, as the store and the messages send it):")
        busiest = max((r for r in (fleet.plan or {}).get("routes", []) if r.get("stops")),
                      key=lambda r: len(r["stops"]), default={"stops": []})
        for line in tracking_lines(demo.runtime, base, demo.tenant_id,
                                   [s["delivery_id"] for s in busiest["stops"]]):
            print("  " + line)
        print_store_report(run_store_demo(demo.runtime, demo.env["HUB_PUBLIC_URL"], key,
                                          wait=lambda: wait_for_worker(demo.runtime)))
        print("\nMessages to customers (hub/notify):")
        for line in messages.report(demo.runtime, base):
            print("  " + line)
        settled = report_webhooks(demo, receiver, subscription["id"], driven)
        print(f"\nDone. The data is in {data_dir}" + (", and its Redis is still running." if keep else "."))
        return 0 if settled else 1
    except DemoStepFailed as exc:
        print(f"\n!! the hub refused a demo step: {exc}\n   see {data_dir / 'worker.log'}")
        return 1
    finally:
        stack.close()
        demo.stop(keep)
