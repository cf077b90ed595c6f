"""The demo's Shopify shop: a stand-in Admin REST API and orders/* webhooks signed the way Shopify signs them.

Orders are built from Shopify's own ``orders/create`` sample (tests/data/payloads) with the Berlin customers,
streets and products of hub.demo.data; without that file a small built-in template stands in.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import uuid
from datetime import datetime, timezone
from typing import Any

from werkzeug import Request, Response

from hub.demo.standin import StandInServer, hmac_b64, payload_sample, short

SHOP = "kiezladen-berlin.myshopify.com"
API_VERSION = "2026-07"
TOKEN = "shpat_demo0123456789abcdef"
CLIENT_SECRET = "shpss_demo_client_secret"
LOCATION_ID = 24826418
#: Shopify's REST bucket size for a standard plan; the stand-in reports it nearly empty so nobody paces.
BUCKET = 40
FALLBACK_ORDER: dict[str, Any] = {  # the fields of the real sample the connector reads
    "id": 820982911946154508, "admin_graphql_api_id": "gid://shopify/Order/820982911946154508", "name": "#9999",
    "order_number": 1234, "currency": "EUR", "financial_status": "paid", "fulfillment_status": None,
    "cancelled_at": None, "cancel_reason": None, "tags": "", "note": None, "note_attributes": [],
    "total_weight": 0, "total_price": "0.00",
    "line_items": [{"id": 487817672276298554, "name": "Item", "title": "Item", "sku": None, "quantity": 1,
                    "current_quantity": 1, "fulfillable_quantity": 1, "grams": 0, "price": "0.00",
                    "requires_shipping": True, "gift_card": False, "product_exists": True}],
    "shipping_lines": [{"id": 271878346596884015, "code": None, "title": "Standard", "price": "0.00", "is_removed": False}],
    "shipping_address": {}, "billing_address": {}, "customer": {},
}
SHIPPING_TITLES = {"same_day": "Same Day Delivery", "next_day": "Next Day", "scheduled": "Scheduled delivery",
                   "express": "Express", "economy": "Standard Shipping"}


def _template() -> dict[str, Any]:
    sample = payload_sample("shopify_webhook_orders_create.json")
    return sample if isinstance(sample, dict) and sample.get("line_items") else FALLBACK_ORDER


def shopify_order(canonical: dict[str, Any], n: int, template: dict[str, Any]) -> dict[str, Any]:
    """An orders/create body: the real sample's shape, this canonical demo order's content."""
    order = copy.deepcopy(template)
    order_id = 6_100_000_000_000 + n  # Shopify ids are 13+ digit integers
    contact, address = canonical["dropoff"]["contact"], canonical["dropoff"]["address"]
    first, _, last = contact["name"].partition(" ")
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    ship = {"first_name": first, "last_name": last, "name": contact["name"], "company": None,
            "address1": address["line1"], "address2": f"Wohnung {address['unit']}" if address.get("unit") else None,
            "city": "Berlin", "zip": address["postal_code"], "province": "Berlin", "province_code": "BE",
            "country": "Germany", "country_code": "DE", "phone": contact["phone"],
            "latitude": address["geo"]["lat"], "longitude": address["geo"]["lng"]}
    line = template["line_items"][0]
    items = [{**copy.deepcopy(line), "id": order_id * 10 + i, "name": p["description"], "title": p["description"],
              "sku": p["sku"], "quantity": p["quantity"], "current_quantity": p["quantity"],
              "fulfillable_quantity": p["quantity"], "grams": p["weight_g"], "requires_shipping": True,
              "gift_card": False, "product_exists": True, "fulfillment_status": None}
             for i, p in enumerate(canonical["parcels"])]
    shipping = {**copy.deepcopy(template["shipping_lines"][0]), "code": None,
                "title": SHIPPING_TITLES[canonical["service_level"]], "is_removed": False}
    order.update({
        "id": order_id, "admin_graphql_api_id": f"gid://shopify/Order/{order_id}", "name": f"#{2001 + n}",
        "order_number": 2001 + n, "number": 1001 + n, "email": contact["email"], "contact_email": contact["email"],
        "phone": None, "currency": "EUR", "presentment_currency": "EUR", "financial_status": "paid",
        "fulfillment_status": None, "cancelled_at": None, "cancel_reason": None, "closed_at": None,
        "created_at": now, "updated_at": now, "processed_at": now, "tags": "vip" if canonical["priority_tier"] == "vip" else "",
        "note": (canonical["dropoff"].get("access") or {}).get("instructions"), "note_attributes": [],
        "total_price": canonical["declared_value"]["amount"], "total_weight": sum(p["weight_g"] * p["quantity"] for p in canonical["parcels"]),
        "line_items": items, "shipping_lines": [shipping], "shipping_address": ship, "billing_address": dict(ship),
        "fulfillments": [], "refunds": [], "test": False,
    })
    if isinstance(order.get("customer"), dict):
        order["customer"] = {**order["customer"], "first_name": first, "last_name": last, "email": contact["email"],
                             "default_address": {**ship, "default": True}}
    return order


class ShopifyStandIn(StandInServer):
    """Answers what the connector calls: webhooks (list, create), fulfillment orders, fulfillments, events."""

    name = "Shopify"
    prefix = f"/admin/api/{API_VERSION}/"

    def __init__(self) -> None:
        super().__init__()
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
                   "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": SHOP, "X-Shopify-API-Version": API_VERSION,
                   "X-Shopify-Webhook-Id": str(uuid.uuid4()), "X-Shopify-Event-Id": str(uuid.uuid4()),
                   "X-Shopify-Triggered-At": datetime.now(timezone.utc).isoformat(),
                   "X-Shopify-Hmac-Sha256": hmac_b64(CLIENT_SECRET, body)}
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
        if request.headers.get("X-Shopify-Access-Token") != TOKEN:
            self.record(method, path, "refused: wrong access token", body)
            return self.json({"errors": "[API] Invalid API key or access token"}, 401)
        if path == "webhooks.json" and method == "GET":
            address = request.args.get("address")
            self.record(method, path, f"list webhooks for {address}", body)
            return self.json({"webhooks": [h for h in self.webhooks if not address or h["address"] == address]}, headers=limit)
        if path == "webhooks.json" and method == "POST":
            hook = {**body["webhook"], "id": next(self._ids), "api_version": API_VERSION}
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


def settings(standin: ShopifyStandIn) -> dict[str, Any]:
    """What the shop owner would paste when installing, pointed at the stand-in."""
    return {"shop": SHOP, "access_token": TOKEN, "client_secret": CLIENT_SECRET, "api_version": API_VERSION,
            "api_url": standin.url, "tracking_company": "Kiezkurier Berlin"}


def send_orders(standin: ShopifyStandIn, hub_url: str, canonical: list[dict[str, Any]]) -> list[dict[str, Any]]:
    template = _template()
    orders = [shopify_order(doc, n, template) for n, doc in enumerate(canonical)]
    for order in orders:
        standin.webhook(hub_url, "orders/create", order)
    return orders


def send_changes(standin: ShopifyStandIn, hub_url: str, orders: list[dict[str, Any]]) -> tuple[str, str]:
    """One address change (orders/updated) and one cancellation (orders/cancelled); their order ids."""
    moved, dropped = orders[0], orders[1]
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    moved = {**moved, "updated_at": now,
             "shipping_address": {**moved["shipping_address"], "address1": "Torstraße 49", "zip": "10119"}}
    standin.webhook(hub_url, "orders/updated", moved)
    standin.webhook(hub_url, "orders/cancelled", {**dropped, "updated_at": now, "cancelled_at": now,
                                                  "cancel_reason": "customer", "financial_status": "refunded"})
    return str(moved["id"]), str(dropped["id"])
