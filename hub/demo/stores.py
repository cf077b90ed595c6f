"""`hub demo`, the stores step: a Shopify shop and a WooCommerce store send orders through their real
webhook formats, the hub turns them into deliveries, and status changes flow back to the stores.

Each store is a local stand-in (hub.demo.shopify, hub.demo.woo) installed through the hub's own API,
so webhook registration really happens. ``wait`` is whatever lets the hub catch up: in ``hub demo``
polling until the worker is idle (:func:`wait_for_worker`), in the tests running the queued jobs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from sqlalchemy import func, select

from hub.canonical.statuses import InvalidTransition
from hub.db.engine import transaction
from hub.db.models import Delivery, DeliveryEvent, InboxItem, OutboxItem
from hub.demo import shopify as demo_shopify
from hub.demo import woo as demo_woo
from hub.demo.data import day_of_orders
from hub.ledger.deliveries import change_status
from hub.runtime import Runtime
from hub.testing.standin import Call, StandInServer

ORDERS_PER_STORE = 20
#: How many of each store's deliveries the demo drives to delivered: enough to show each kind of write-back.
DRIVEN_PER_STORE = 3
#: The walk a delivery makes; one already further along (the assignment job) starts where it is.
WALK = ("received", "assigned", "planned", "dispatched", "in_transit", "delivered")
ACTOR = {"kind": "system", "id": "demo"}
#: A write-back goes out in well under a second; a minute means the worker is stuck, and the demo says so.
IDLE_TIMEOUT_S = 60


@dataclass
class StoreReport:
    name: str
    installation_id: str
    registered: list[str]
    sent: int = 0
    created: int = 0
    updated: int = 0
    cancelled: int = 0
    driven: dict[str, str] = field(default_factory=dict)  # delivery id -> status reached
    writebacks: list[Call] = field(default_factory=list)


def wait_for_worker(runtime: Runtime, timeout_s: float = IDLE_TIMEOUT_S) -> bool:
    """Poll until no webhook waits in the inbox and no write-back is open; False after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with runtime.sessions() as session:
            inbox = session.scalar(select(func.count()).select_from(InboxItem).where(InboxItem.state == "pending"))
            outbox = session.scalar(select(func.count()).select_from(OutboxItem).where(
                OutboxItem.kind == "writeback", OutboxItem.state == "pending"))
        if not inbox and not outbox:
            return True
        time.sleep(0.2)  # a poll every 0.2 s keeps the demo snappy without loading SQLite
    return False


def install(hub_url: str, key: str, connector: str, settings: dict[str, Any], label: str) -> dict[str, Any]:
    """POST /api/v1/installations: the hub validates the settings and registers its webhooks at the store."""
    response = requests.post(f"{hub_url}/api/v1/installations", headers={"Authorization": f"Bearer {key}"},
                             json={"connector": connector, "settings": settings, "label": label}, timeout=30)
    if response.status_code != 201:
        raise RuntimeError(f"installing {connector} failed: {response.status_code} {response.text[:300]}")
    return response.json()  # type: ignore[no-any-return]


def _drive(runtime: Runtime, installation_ids: list[str], excluded: set[str], wait: Callable[[], None]) -> dict[str, str]:
    """Walk DRIVEN_PER_STORE deliveries of each installation forward to delivered, one status at a time
    (waiting in between, so each write-back finds the one before it done: Shopify's events need the fulfilment)."""
    chosen: list[str] = []
    with runtime.sessions() as session:
        for installation_id in installation_ids:
            rows = session.execute(select(Delivery.id, Delivery.external_id, Delivery.status)
                                   .where(Delivery.installation_id == installation_id).order_by(Delivery.external_id)).all()
            chosen += [r.id for r in rows if r.external_id not in excluded and r.status in WALK][:DRIVEN_PER_STORE]
    reached: dict[str, str] = {}
    for target in WALK[1:]:
        with transaction(runtime.sessions) as session:
            for delivery_id in chosen:
                delivery = session.get(Delivery, delivery_id)
                if delivery.status not in WALK or WALK.index(delivery.status) >= WALK.index(target):
                    continue  # already there or further (a colleague's job moved it), or off the walk
                try:
                    change_status(session, delivery, target, actor=ACTOR, reason="hub demo")
                except InvalidTransition:
                    continue
        wait()
    with runtime.sessions() as session:
        for delivery_id in chosen:
            reached[delivery_id] = session.get(Delivery, delivery_id).status
    return reached


def _count(runtime: Runtime, report: StoreReport) -> None:
    with runtime.sessions() as session:
        where = Delivery.installation_id == report.installation_id
        report.created = session.scalar(select(func.count()).select_from(Delivery).where(where)) or 0
        report.cancelled = session.scalar(select(func.count()).select_from(Delivery).where(
            where, Delivery.status == "cancelled")) or 0
        report.updated = session.scalar(select(func.count(func.distinct(DeliveryEvent.delivery_id))).join(
            Delivery, Delivery.id == DeliveryEvent.delivery_id).where(where, DeliveryEvent.type == "delivery.updated")) or 0


def run_store_demo(runtime: Runtime, hub_url: str, key: str, wait: Callable[[], None],
                   orders: int = ORDERS_PER_STORE) -> list[StoreReport]:
    """Install both stores, send their orders, one update and one cancellation each, drive a few
    deliveries to delivered, and report what each store sent and what it got back."""
    shop, woo = demo_shopify.store(), demo_woo.store()
    stores: list[tuple[StandInServer, Any]] = [(shop, demo_shopify), (woo, demo_woo)]
    try:
        reports = []
        for standin, module in stores:
            made = install(hub_url, key, "shopify" if module is demo_shopify else "woocommerce",
                           module.settings(standin), f"{standin.name} demo store")
            reports.append(StoreReport(standin.name, made["id"], [h["topic"] for h in made["registered_webhooks"]]))
        # Both stores sell the same kind of Berlin day as the canonical posts, but other customers (seed).
        sent = [module.send_orders(standin, hub_url, day_of_orders(orders, seed=seed))
                for (standin, module), seed in zip(stores, (101, 202))]
        wait()
        excluded: set[str] = set()
        for (standin, module), placed in zip(stores, sent):
            excluded.update(module.send_changes(standin, hub_url, placed))
        wait()
        registration = {id(s): len(s.seen) for s, _ in stores}
        reached = _drive(runtime, [r.installation_id for r in reports], excluded, wait)
        for (standin, _), report, placed in zip(stores, reports, sent):
            report.sent = len(placed) + 2
            report.writebacks = standin.seen[registration[id(standin)]:]
            _count(runtime, report)
            with runtime.sessions() as session:
                mine = set(session.scalars(select(Delivery.id).where(Delivery.installation_id == report.installation_id)))
            report.driven = {d: s for d, s in reached.items() if d in mine}
        return reports
    finally:
        for standin, _ in stores:
            standin.stop()


def print_store_report(reports: list[StoreReport]) -> None:
    print("\nStores sending orders through their own webhook formats (local stand-ins, installed through the API):")
    for r in reports:
        print(f"  {r.name} (installation {r.installation_id}): registered {', '.join(r.registered)}")
        print(f"    sent {r.sent} signed webhooks ({r.sent - 2} new orders, 1 update, 1 cancellation): "
              f"{r.created} deliveries created, {r.updated} updated, {r.cancelled} cancelled")
        statuses = sorted(set(r.driven.values()))
        print(f"    drove {len(r.driven)} deliveries to {', '.join(statuses) or '-'}; the store received "
              f"{len(r.writebacks)} write-back calls:")
        for call in r.writebacks:
            print(f"      {call.method:<4} {call.path:<58} {call.summary}")
