"""The demo's WooCommerce orders, sent through the connector's stand-in store (connectors/woocommerce/testing.py).

Orders take the shape of the real ``GET orders/727`` sample (tests/data/payloads) with the Berlin customers of
hub.demo.data.
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any

from connectors.woocommerce.testing import WooStandIn
from hub.testing.standin import payload_sample

CONSUMER_KEY = "ck_demo4b1f0e2d9c8b7a6f5e4d3c2b1a0f9e8d7c6b"
CONSUMER_SECRET = "cs_demo0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f"
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


def store() -> WooStandIn:
    """The demo store's REST API, answering for the demo's consumer key and secret."""
    return WooStandIn(CONSUMER_KEY, CONSUMER_SECRET)


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
