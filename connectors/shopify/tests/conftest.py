"""A stand-in shop: pytest-httpserver answering the Admin REST API with Shopify's own sample payloads."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from hub.testing import PAYLOADS_DIR
from hub.plugins import load_settings

from connectors.shopify import CONNECTOR

API_VERSION = "2026-07"
TOKEN = "shpat_standin0123456789"
SHOP = "maple-goods.myshopify.com"


def api(path: str) -> str:
    """The path ShopifyAPI requests for ``path`` (e.g. ``orders/1/fulfillment_orders.json``)."""
    return f"/admin/api/{API_VERSION}/{path}"


def payload(name: str) -> Any:
    """One of Shopify's own sample payloads from tests/data/payloads."""
    return json.loads((PAYLOADS_DIR / name).read_text(encoding="utf-8"))


@pytest.fixture
def shop_settings(httpserver: HTTPServer) -> dict[str, Any]:
    """Installation settings pointing ShopifyAPI at the stand-in."""
    return {"shop": SHOP, "access_token": TOKEN, "client_secret": "shpss_standin_secret",
            "api_version": API_VERSION, "api_url": httpserver.url_for("/").rstrip("/"), "timeout_s": 2}


@pytest.fixture
def connector(shop_settings: dict[str, Any]) -> Any:
    made = CONNECTOR.create(load_settings(CONNECTOR, shop_settings))
    made.client.sleep = lambda seconds: None  # pacing is observed in its own test, not slept through
    return made
