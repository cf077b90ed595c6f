"""`hub demo`, the events-out step: a subscriber's endpoint, subscribed through the API like any customer's,
that checks every webhook with the `standardwebhooks` library. It is down (503) for its first seconds, so the
demo also shows the hub retrying; at the end it reports what arrived, and whether exactly once and in order.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import requests
from sqlalchemy import func, select
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from werkzeug import Request, Response

from hub.db.models.webhooks import OPEN_STATES, WebhookDelivery
from hub.demo.fleet import berlin_time
from hub.runtime import Runtime
from hub.testing.standin import StandInServer

#: The receiver answers 503 for this long after its first request, as if it were being deployed.
OUTAGE_S = 3.0
#: The first retry comes 10-12.5 s after a failure and the sweeper looks every 15 s: a minute is plenty.
SETTLE_TIMEOUT_S = 120
SUBSCRIBED_TYPES = ["delivery.*", "route.*"]


@dataclass(frozen=True)
class Message:
    webhook_id: str
    type: str
    delivery_id: str | None
    sequence: int
    data: dict[str, Any]
    at: float = 0.0  # time.monotonic() on arrival: two arrivals of one webhook-id close together are a double send


class WebhookReceiver(StandInServer):
    """Verifies each message with the subscription's secret; keeps the ones it accepted (2xx)."""

    def __init__(self, outage_s: float = OUTAGE_S) -> None:
        super().__init__()
        self.secret = ""
        self.outage_s = outage_s
        self.first_request_at: float | None = None
        self.refused = 0  # answered 503 during the outage
        self.forged = 0  # failed verification (none expected)
        self.messages: list[Message] = []

    def subscribe(self, hub_url: str, key: str) -> dict[str, Any]:
        """POST /api/v1/subscriptions: the answer carries the signing secret, this once."""
        response = requests.post(f"{hub_url}/api/v1/subscriptions", headers={"Authorization": f"Bearer {key}"},
                                 json={"url": f"{self.url}/hooks/hub", "event_types": SUBSCRIBED_TYPES,
                                       "description": "hub demo receiver"}, timeout=30)
        if response.status_code != 201:
            raise RuntimeError(f"subscribing failed: {response.status_code} {response.text[:300]}")
        subscription: dict[str, Any] = response.json()
        self.secret = subscription["secret"]
        return subscription

    def handle(self, request: Request, path: str, body: Any) -> Response:
        now = time.monotonic()
        self.first_request_at = self.first_request_at or now
        if now - self.first_request_at < self.outage_s:
            self.refused += 1
            return self.json({"error": "deploying, try again shortly"}, status=503)
        try:
            Webhook(self.secret).verify(request.get_data(), {k.lower(): v for k, v in request.headers.items()})
        except WebhookVerificationError:
            self.forged += 1
            return self.json({"error": "signature does not verify"}, status=401)
        event = body["data"]["event"]
        self.messages.append(Message(request.headers["webhook-id"], body["type"], event.get("delivery_id"),
                                     int(body["data"]["sequence"]), event.get("data") or {}, now))
        return self.json({"ok": True})

    def report(self, subscription_id: str) -> list[str]:
        ids = Counter(m.webhook_id for m in self.messages)
        duplicates = sum(n - 1 for n in ids.values())
        by_delivery: dict[str | None, list[int]] = defaultdict(list)
        for m in self.messages:
            by_delivery[m.delivery_id].append(m.sequence)
        out_of_order = [d for d, seqs in by_delivery.items() if seqs != sorted(seqs)]
        lines = [
            f"subscription {subscription_id} to {', '.join(SUBSCRIBED_TYPES)} at {self.url}/hooks/hub",
            f"down for its first {self.outage_s:.0f} s: answered 503 to {self.refused} tries, which the hub retried",
            f"received {len(self.messages)} webhooks for {len(by_delivery)} deliveries, each verified with the "
            f"standardwebhooks library ({self.forged} failed)",
            f"exactly once per webhook-id: {'yes' if not duplicates else f'no, {duplicates} repeats'}; "
            f"in per-delivery order: {'yes' if not out_of_order else f'no, {len(out_of_order)} deliveries out of order'}",
            "by type: " + ", ".join(f"{t} {n}" for t, n in Counter(m.type for m in self.messages).most_common()),
        ]
        return lines

    def timeline(self, delivery_id: str) -> list[str]:
        """One delivery's webhooks in the order they arrived."""
        return [f"{delivery_id} as the subscriber saw it:"] + [
            f"  {m.sequence:>3}  {m.type:<26} {_gist(m)}" for m in self.messages if m.delivery_id == delivery_id]


def _gist(message: Message) -> str:
    """One line of what the event says, for the events this demo produces."""
    data = message.data
    if message.type == "delivery.status_changed":
        return f"{data.get('previous_status')} -> {data.get('status')}"
    if message.type == "delivery.pod_captured":
        photos = len(data.get("photos") or [])
        return (f"recipient {data.get('recipient_name', '?')}, signature {'yes' if data.get('signature') else 'no'}, "
                f"{photos} photo(s)")
    if message.type == "delivery.assigned":
        return f"{data.get('capacity', '')} {data.get('carrier_id') or data.get('depot_id') or ''}".strip()
    if message.type.startswith("route."):
        stop = (data.get("stops") or [{}])[0]
        return f"{data.get('vehicle_id', '')} stop {stop.get('position', '?')}, ETA {berlin_time(stop.get('eta', '?'))}"
    if message.type == "delivery.eta_changed":
        return f"ETA {berlin_time(data.get('previous_eta'))} -> {berlin_time(data.get('eta'))}"
    if message.type == "delivery.exception":
        return f"{data.get('code')}: {data.get('message', '')}"
    if message.type == "delivery.handoff":
        return f"{_holder(data.get('from'))} -> {_holder(data.get('to'))}"
    if message.type == "delivery.recovery":
        decided = data.get("decided_by") or {}
        window = (data.get("window") or {}).get("start", "")
        return (f"{data.get('action')} ({decided.get('kind')}: {decided.get('rule') or decided.get('id')})"
                + (f", new window from {berlin_time(window)}" if window else ""))
    if message.type in ("delivery.message_sent", "delivery.message_status"):
        return f"{data.get('trigger')} {data.get('channel')} via {data.get('provider') or '-'}: {data.get('status')}"
    return ""


def _holder(holder: Any) -> str:
    holder = holder if isinstance(holder, dict) else {}
    who = holder.get("id") or holder.get("name")
    return f"{holder.get('kind', '?')}" + (f" {who}" if who else "")


def wait_for_webhooks(runtime: Runtime, timeout_s: float = SETTLE_TIMEOUT_S) -> bool:
    """Poll until every webhook message is closed (they are written with their events); False on timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with runtime.sessions() as session:
            open_rows = session.scalar(select(func.count()).select_from(WebhookDelivery).where(
                WebhookDelivery.state.in_(OPEN_STATES)))
        if not open_rows:
            return True
        time.sleep(0.5)
    return False
