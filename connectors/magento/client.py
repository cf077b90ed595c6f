"""All I/O with a Magento 2 store: its REST API over ``requests``, Bearer or OAuth 1.0a signed.

Failures surface as ``requests.HTTPError`` (with the response attached, Magento's message in the text)
or ``requests.Timeout``/``ConnectionError``; the hub classifies them (429/5xx/timeouts: retry later,
401/403: pause the installation and tell the owner).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

import requests

from connectors.magento import oauth1
from hub.plugins import answer_summary, http_session

USER_AGENT = "delivery-hub-magento/0.1"


class MagentoClient:
    """One store's REST API. ``clock`` and ``nonce`` exist so OAuth headers can be reproduced in tests."""

    def __init__(self, settings: Mapping[str, Any], session: requests.Session | None = None,
                 clock: Callable[[], float] = time.time, nonce: Callable[[], str] = lambda: secrets.token_hex(16)) -> None:
        self.root = f"{str(settings['base_url']).rstrip('/')}/rest/{settings.get('store_code') or 'default'}/V1"
        self.timeout_s = float(settings.get("request_timeout_s") or 30)
        self._settings = settings
        self._session = session or http_session()
        self._clock, self._nonce = clock, nonce

    def __repr__(self) -> str:
        return f"MagentoClient(root={self.root!r}, auth={self._settings.get('auth')!r})"

    def _authorization(self, method: str, url: str, query: list[tuple[str, str]]) -> str:
        s = self._settings
        if s.get("auth") != "oauth1":
            return f"Bearer {s['access_token']}"
        return oauth1.authorization_header(
            method, url, query, consumer_key=s["consumer_key"], consumer_secret=s["consumer_secret"],
            token=s["access_token"], token_secret=s["access_token_secret"],
            nonce=self._nonce(), timestamp=int(self._clock()),
        )

    def request(self, method: str, path: str, *, query: list[tuple[str, str]] | None = None,
                body: Any = None) -> Any:
        url = f"{self.root}/{path.lstrip('/')}"
        pairs = list(query or [])
        full = f"{url}?{urlencode(pairs, quote_via=quote)}" if pairs else url
        headers = {"Authorization": self._authorization(method, url, pairs), "Accept": "application/json",
                   "User-Agent": USER_AGENT}
        response = self._session.request(method, full, json=body, headers=headers, timeout=self.timeout_s)
        if response.status_code >= 400:
            # The status, not Magento's message: the body may be anything the server at base_url wants repeated.
            raise requests.HTTPError(f"{answer_summary(response.status_code, response.reason)} from Magento "
                                     f"{method} /V1/{path.lstrip('/')}", response=response)
        if not response.content:
            return None
        return response.json()

    def search_orders(self, query: list[tuple[str, str]]) -> Mapping[str, Any]:
        result = self.request("GET", "orders", query=query)
        return result if isinstance(result, Mapping) else {}

    def get_order(self, order_id: str) -> Mapping[str, Any]:
        return self.request("GET", f"orders/{quote(str(order_id), safe='')}") or {}

    def ship(self, order_id: str, body: Mapping[str, Any]) -> Any:
        """``POST /V1/order/{id}/ship``; Magento answers with the new shipment id."""
        return self.request("POST", f"order/{quote(str(order_id), safe='')}/ship", body=body)

    def add_comment(self, order_id: str, body: Mapping[str, Any]) -> Any:
        return self.request("POST", f"orders/{quote(str(order_id), safe='')}/comments", body=body)
