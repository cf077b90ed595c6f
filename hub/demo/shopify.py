"""The demo's Shopify orders, sent through the connector's stand-in shop (connectors/shopify/testing.py).

Orders are built from Shopify's own ``orders/create`` sample (tests/data/payloads) with the Berlin customers,
streets and products of hub.demo.data; without that file a small built-in template stands in.
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any

from connectors.shopify.testing import API_VERSION, ShopifyStandIn
from hub.testing.standin import payload_sample

SHOP = "kiezladen-berlin.myshopify.com"
TOKEN = "shpat_demo0123456789abcdef"
CLIENT_SECRET = "shpss_demo_client_secret"
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


def store() -> ShopifyStandIn:
    """The demo shop's Admin API, answering for the demo's shop, token and app secret."""
    return ShopifyStandIn(shop=SHOP, token=TOKEN, client_secret=CLIENT_SECRET, api_version=API_VERSION)


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
