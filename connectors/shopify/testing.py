"""A stand-in Shopify shop (Admin REST API): real HTTP, answering what the connector calls as Shopify does, and
orders/* webhooks signed the way Shopify signs them (HMAC-SHA256 of the raw body with the app's client secret).
The connector's tests and ``hub demo`` both use it.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from datetime import datetime, timezone
from typing import Any

from werkzeug import Request, Response

from hub.testing.standin import StandInServer, hmac_b64, short

API_VERSION = "2026-07"
LOCATION_ID = 24826418
#: Shopify's REST bucket size for a standard plan; the stand-in reports it nearly empty so nobody paces.
BUCKET = 40


class ShopifyStandIn(StandInServer):
    """Answers what the connector calls: webhooks (list, create), an order (read, update its note), fulfillment
    orders, fulfillments, events."""

    name = "Shopify"
    def __init__(self, *, shop: str, token: str, client_secret: str, api_version: str = API_VERSION) -> None:
        super().__init__()
        self.shop, self.token, self.client_secret, self.api_version = shop, token, client_secret, api_version
        self.prefix = f"/admin/api/{api_version}/"
        self.webhooks: list[dict[str, Any]] = []
        self.orders: dict[int, dict[str, Any]] = {}
        self.fulfillments: dict[int, list[dict[str, Any]]] = {}
        self._ids = itertools.count(5_500_000_000)

    # -- the store sends ----------------------------------------------------------------------------------

    def webhook(self, hub_url: str, topic: str, order: dict[str, Any]) -> dict[str, Any]:
        """Send ``topic`` as Shopify does: JSON body, HMAC of the raw bytes with the app's client secret."""
        if topic.startswith("orders/"):
            self.orders[int(order["id"])] = order
        hook = next(h for h in self.webhooks if h["topic"] == topic)
        body = json.dumps(order, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json", "User-Agent": "Shopify-Captain-Hook",
                   "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": self.shop, "X-Shopify-API-Version": self.api_version,
                   "X-Shopify-Webhook-Id": str(uuid.uuid4()), "X-Shopify-Event-Id": str(uuid.uuid4()),
                   "X-Shopify-Triggered-At": datetime.now(timezone.utc).isoformat(),
                   "X-Shopify-Hmac-Sha256": hmac_b64(self.client_secret, body)}
        return self.send(hub_url, hook["address"], body, headers)

    # -- the store answers --------------------------------------------------------------------------------

    def _fulfillment_orders(self, order_id: int) -> list[dict[str, Any]]:
        order = self.orders.get(order_id, {})
        done = bool(self.fulfillments.get(order_id))
        return [{"id": order_id + 1, "order_id": order_id, "assigned_location_id": LOCATION_ID,
                 "status": "closed" if done else "open", "request_status": "unsubmitted",
                 "line_items": [{"id": li["id"] + 1, "line_item_id": li["id"], "quantity": li["quantity"],
                                 "fulfillable_quantity": 0 if done else li["quantity"]}
                                for li in order.get("line_items", [])]}]

    def handle(self, request: Request, path: str, body: Any) -> Response:
        method, limit = request.method, {"X-Shopify-Shop-Api-Call-Limit": f"1/{BUCKET}"}
        if request.headers.get("X-Shopify-Access-Token") != self.token:
            self.record(method, path, "refused: wrong access token", body)
            return self.json({"errors": "[API] Invalid API key or access token"}, 401)
        if path == "webhooks.json" and method == "GET":
            address = request.args.get("address")
            self.record(method, path, f"list webhooks for {address}", body)
            return self.json({"webhooks": [h for h in self.webhooks if not address or h["address"] == address]}, headers=limit)
        if path == "webhooks.json" and method == "POST":
            hook = {**body["webhook"], "id": next(self._ids), "api_version": self.api_version}
            self.webhooks.append(hook)
            self.record(method, path, f"subscribe {hook['topic']}", body)
            return self.json({"webhook": hook}, 201, limit)
        match = re.fullmatch(r"orders/(\d+)/(fulfillment_orders|fulfillments)\.json", path)
        if match and method == "GET":
            order_id = int(match.group(1))
            self.record(method, path, f"look up {match.group(2).replace('_', ' ')}", body)
            found = self._fulfillment_orders(order_id) if match.group(2) == "fulfillment_orders" else self.fulfillments.get(order_id, [])
            return self.json({match.group(2): found}, headers=limit)
        if path == "fulfillments.json" and method == "POST":
            return self._fulfil(body["fulfillment"], limit)
        match = re.fullmatch(r"orders/(\d+)\.json", path)
        if match and int(match.group(1)) in self.orders:
            order = self.orders[int(match.group(1))]
            if method == "PUT":  # the fields sent change; Shopify answers the whole order
                order.update({k: v for k, v in body["order"].items() if k != "id"})
                self.record(method, path, f"update {', '.join(sorted(set(body['order']) - {'id'}))}", body)
            else:
                self.record(method, path, "read the order", body)
            fields = request.args.get("fields")
            shown = {k: v for k, v in order.items() if k in fields.split(",")} if fields else order
            return self.json({"order": shown}, headers=limit)
        match = re.fullmatch(r"orders/(\d+)/fulfillments/(\d+)/events\.json", path)
        if match and method == "POST":
            event = {**body["event"], "id": next(self._ids), "fulfillment_id": int(match.group(2)),
                     "order_id": int(match.group(1))}
            self.record(method, path, f"fulfilment event {event['status']}", body)
            return self.json({"fulfillment_event": event}, 201, limit)
        self.record(method, path, "no such route", body)
        return self.json({"errors": "Not Found"}, 404)

    def _fulfil(self, body: dict[str, Any], limit: dict[str, str]) -> Response:
        fo_ids = [fo["fulfillment_order_id"] for fo in body.get("line_items_by_fulfillment_order", [])]
        order_id = next((o for o in self.orders if o + 1 in fo_ids), None)
        if order_id is None:
            self.record("POST", "fulfillments.json", f"refused: unknown fulfillment order {fo_ids}", {"fulfillment": body})
            return self.json({"errors": {"fulfillment_order_id": ["not found"]}}, 422)
        info = body.get("tracking_info") or {}
        number = len(self.fulfillments.setdefault(order_id, [])) + 1
        made = {"id": next(self._ids), "order_id": order_id, "status": "success", "location_id": LOCATION_ID,
                "name": f"{self.orders[order_id]['name']}.{number}", "tracking_company": info.get("company"),
                "tracking_number": info.get("number"), "tracking_numbers": [info.get("number")],
                "tracking_url": info.get("url"), "tracking_urls": [info.get("url")] if info.get("url") else []}
        self.fulfillments[order_id].append(made)
        self.record("POST", "fulfillments.json", f"fulfil {self.orders[order_id]['name']}: "
                    f"{short(info.get('company'))}, tracking {short(info.get('url') or info.get('number'), 60)}",
                    {"fulfillment": body})
        return self.json({"fulfillment": made}, 201, limit)
