"""The demo's WooCommerce store: a stand-in REST API (wc/v3) and order.* webhooks as WooCommerce sends them.

The body is ``trim(wp_json_encode($order))``: compact, ``/`` escaped as ``\\/``, non-ASCII as ``\\uXXXX``;
signed with the secret the hub registered (X-WC-Webhook-Signature). Orders take the shape of the real
``GET orders/727`` sample (tests/data/payloads) with the Berlin customers of hub.demo.data.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
import time
from datetime import datetime, timezone
from typing import Any

from werkzeug import Request, Response

from hub.demo.standin import StandInServer, hmac_b64, payload_sample, short

CONSUMER_KEY = "ck_demo4b1f0e2d9c8b7a6f5e4d3c2b1a0f9e8d7c6b"
CONSUMER_SECRET = "cs_demo0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f"
USER_AGENT = "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)"
FALLBACK_ORDER: dict[str, Any] = {  # the fields of the real sample the connector reads
    "id": 727, "parent_id": 0, "number": "727", "status": "processing", "currency": "EUR", "total": "0.00",
    "customer_note": "", "billing": {}, "shipping": {}, "meta_data": [],
    "line_items": [{"id": 315, "name": "Item", "product_id": 93, "variation_id": 0, "quantity": 1, "sku": "",
                    "meta_data": [], "total": "0.00", "price": 0}],
    "shipping_lines": [{"id": 317, "method_title": "Flat Rate", "method_id": "flat_rate", "total": "0.00"}],
}
SHIPPING = {"same_day": ("same_day", "Same-day delivery"), "next_day": ("next_day", "Next-day delivery"),
            "scheduled": ("local_delivery", "Local delivery"), "express": ("express", "Express"),
            "economy": ("flat_rate", "Flat Rate")}


def wp_json_encode(payload: Any) -> bytes:
    """PHP ``json_encode`` with no flags: no spaces, ``\\/``, ``\\uXXXX`` for anything beyond ASCII."""
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode("ascii")


def _template() -> dict[str, Any]:
    sample = payload_sample("woo_order_1.json")
    return sample if isinstance(sample, dict) and sample.get("line_items") else FALLBACK_ORDER


def woo_order(canonical: dict[str, Any], n: int, template: dict[str, Any], store_url: str) -> dict[str, Any]:
    order = copy.deepcopy(template)
    order_id = 4100 + n
    contact, address = canonical["dropoff"]["contact"], canonical["dropoff"]["address"]
    first, _, last = contact["name"].partition(" ")
    now = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)
    local = now.replace(hour=(now.hour + 1) % 24)  # the store's clock: Europe/Berlin, CET in winter
    ship = {"first_name": first, "last_name": last, "company": "", "address_1": address["line1"],
            "address_2": f"Wohnung {address['unit']}" if address.get("unit") else "", "city": "Berlin",
            "state": "BE", "postcode": address["postal_code"], "country": "DE", "phone": contact["phone"]}
    line = template["line_items"][0]
    items = [{**copy.deepcopy(line), "id": order_id * 10 + i, "name": p["description"], "sku": p["sku"],
              "quantity": p["quantity"], "variation_id": 0,
              "meta_data": [{"id": order_id * 100 + i, "key": "_weight", "value": str(p["weight_g"] / 1000)}]}
             for i, p in enumerate(canonical["parcels"])]
    method_id, title = SHIPPING[canonical["service_level"]]
    order.update({
        "id": order_id, "number": str(order_id), "order_key": f"wc_order_demo{order_id}", "status": "processing",
        "currency": "EUR", "total": canonical["declared_value"]["amount"], "created_via": "checkout",
        "date_created": local.isoformat(), "date_created_gmt": now.isoformat(),
        "date_modified": local.isoformat(), "date_modified_gmt": now.isoformat(),
        "date_paid": local.isoformat(), "date_paid_gmt": now.isoformat(),
        "customer_note": (canonical["dropoff"].get("access") or {}).get("instructions", ""),
        "billing": {**{k: v for k, v in ship.items() if k != "phone"}, "email": contact["email"], "phone": contact["phone"]},
        "shipping": ship, "line_items": items,
        "shipping_lines": [{**copy.deepcopy(template["shipping_lines"][0]), "method_id": method_id, "method_title": title}],
        "_links": {"self": [{"href": f"{store_url}/wp-json/wc/v3/orders/{order_id}"}],
                   "collection": [{"href": f"{store_url}/wp-json/wc/v3/orders"}]},
    })
    return order


class WooStandIn(StandInServer):
    """Answers what the connector calls: webhooks (list, create, update), order update, order notes."""

    name = "WooCommerce"
    prefix = "/wp-json/wc/v3/"

    def __init__(self) -> None:
        super().__init__()
        self.webhooks: list[dict[str, Any]] = []
        self._ids = itertools.count(900)

    def webhook(self, hub_url: str, topic: str, order: dict[str, Any]) -> dict[str, Any]:
        hook = next(h for h in self.webhooks if h["topic"] == topic and h.get("status") == "active")
        body = wp_json_encode(order)
        resource, _, event = topic.partition(".")
        delivery = hashlib.md5(f"{hook['id']}{time.time()}".encode()).hexdigest()  # wp_hash(id . time())
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   "X-WC-Webhook-Source": self.url + "/", "X-WC-Webhook-Topic": topic,
                   "X-WC-Webhook-Resource": resource, "X-WC-Webhook-Event": event,
                   "X-WC-Webhook-ID": str(hook["id"]), "X-WC-Webhook-Delivery-ID": delivery,
                   "X-WC-Webhook-Signature": hmac_b64(hook["secret"], body)}
        return self.send(hub_url, hook["delivery_url"], body, headers)

    def _authorised(self, request: Request) -> bool:
        """Plain HTTP: the client signs with OAuth 1.0a in the query string (the key is enough for a demo)."""
        return request.args.get("oauth_consumer_key") == CONSUMER_KEY and bool(request.args.get("oauth_signature"))

    def handle(self, request: Request, path: str, body: Any) -> Response:
        method = request.method
        if not self._authorised(request):
            self.record(method, path, "refused: not signed with the consumer key", body)
            return self.json({"code": "woocommerce_rest_authentication_error", "message": "Invalid signature"}, 401)
        if path == "webhooks" and method == "GET":
            self.record(method, path, "list webhooks", body)
            public = [{k: v for k, v in h.items() if k != "secret"} for h in self.webhooks]
            return self.json(public, headers={"X-WP-Total": str(len(public)), "X-WP-TotalPages": "1"})
        if path == "webhooks" and method == "POST":
            hook = {**body, "id": next(self._ids), "status": body.get("status", "active")}
            self.webhooks.append(hook)
            self.record(method, path, f"create webhook {hook['topic']}", body)
            return self.json({k: v for k, v in hook.items() if k != "secret"}, 201)
        match = re.fullmatch(r"webhooks/(\d+)", path)
        if match and method == "PUT":
            hook = next((h for h in self.webhooks if h["id"] == int(match.group(1))), None)
            if hook is None:
                return self.json({"code": "woocommerce_rest_webhook_invalid_id", "message": "Invalid ID."}, 404)
            hook.update(body)
            self.record(method, path, f"update webhook {hook['topic']}", body)
            return self.json({k: v for k, v in hook.items() if k != "secret"})
        match = re.fullmatch(r"orders/(\d+)", path)
        if match and method == "PUT":
            self.record(method, path, f"order {match.group(1)} status -> {body.get('status')}", body)
            return self.json({"id": int(match.group(1)), **body})
        match = re.fullmatch(r"orders/(\d+)/notes", path)
        if match and method == "POST":
            kind = "customer note" if body.get("customer_note") else "private note"
            self.record(method, path, f"{kind}: {short(body.get('note'), 70)}", body)
            return self.json({"id": next(self._ids), "author": "WooCommerce", **body}, 201)
        self.record(method, path, "no such route", body)
        return self.json({"code": "rest_no_route", "message": "No route was found matching the URL and request method."}, 404)


def settings(standin: WooStandIn) -> dict[str, Any]:
    return {"url": standin.url, "consumer_key": CONSUMER_KEY, "consumer_secret": CONSUMER_SECRET}


def send_orders(standin: WooStandIn, hub_url: str, canonical: list[dict[str, Any]]) -> list[dict[str, Any]]:
    template = _template()
    orders = [woo_order(doc, n, template, standin.url) for n, doc in enumerate(canonical)]
    for order in orders:
        standin.webhook(hub_url, "order.created", order)
    return orders


def send_changes(standin: WooStandIn, hub_url: str, orders: list[dict[str, Any]]) -> tuple[str, str]:
    """One address change and one cancellation, both order.updated (as WooCommerce sends them)."""
    moved, dropped = orders[0], orders[1]
    now = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None).isoformat()
    moved = {**moved, "date_modified_gmt": now,
             "shipping": {**moved["shipping"], "address_1": "Kastanienallee 12", "postcode": "10435"}}
    standin.webhook(hub_url, "order.updated", moved)
    standin.webhook(hub_url, "order.updated", {**dropped, "status": "cancelled", "date_modified_gmt": now})
    return str(moved["id"]), str(dropped["id"])
