"""A stand-in WooCommerce store (REST API wc/v3): real HTTP, checked the way WooCommerce checks, and order.*
webhooks sent as WooCommerce sends them. The connector's tests and ``hub demo`` both use it.

It authenticates every call like ``class-wc-rest-authentication.php`` (Basic auth over HTTPS, a one-legged
OAuth 1.0a HMAC-SHA256 signature over plain HTTP, recomputed here independently of the client library),
pages ``GET webhooks`` with ``X-WP-TotalPages``, and records what it was sent. A webhook body is
``trim(wp_json_encode($order))`` signed with the secret the hub registered (X-WC-Webhook-Signature).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import ssl
import time
from typing import Any
from urllib.parse import parse_qsl, quote

from werkzeug import Request, Response

from hub.testing.standin import StandInServer, hmac_b64, short

PREFIX = "/wp-json/wc/v3/"
USER_AGENT = "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)"


def wp_json_encode(payload: Any) -> bytes:
    """PHP ``json_encode`` with no flags: no spaces, ``\\/``, ``\\uXXXX`` for anything beyond ASCII."""
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode("ascii")


def _rawurlencode(value: str) -> str:
    return quote(value, safe="-_.~")


def oauth_signature_ok(request: Request, store_url: str, key: str, secret: str) -> bool:
    """WooCommerce's check: sorted, normalised params, ``METHOD&rawurlencode(url)&params``, key secret + '&'."""
    params: dict[str, str] = {}
    for k, v in parse_qsl(request.query_string.decode(), keep_blank_values=True):
        params[k] = v  # PHP's $_GET: a repeated parameter keeps its last value
    given = params.pop("oauth_signature", "")
    if params.get("oauth_consumer_key") != key or params.get("oauth_signature_method") != "HMAC-SHA256":
        return False
    if not params.get("oauth_timestamp") or not params.get("oauth_nonce"):
        return False
    normalized = sorted((_rawurlencode(k).replace("%", "%25"), _rawurlencode(v).replace("%", "%25"))
                        for k, v in params.items())
    query = "%26".join(f"{k}%3D{v}" for k, v in normalized)
    to_sign = f"{request.method}&{_rawurlencode(store_url.rstrip('/') + request.path)}&{query}"
    expected = base64.b64encode(hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, given)


class WooStandIn(StandInServer):
    """Answers what the connector calls: webhooks (list with paging, create, update), order update, order notes."""

    name = "WooCommerce"
    prefix = PREFIX

    def __init__(self, key: str, secret: str, *, ssl_context: ssl.SSLContext | None = None) -> None:
        super().__init__(ssl_context)
        self.key, self.secret = key, secret
        self.webhooks: list[dict[str, Any]] = []
        #: (method, path regex) -> (status, body, headers): a canned answer instead of the normal one; a str body
        #: goes out as HTML, the way a PHP notice breaks a WordPress answer.
        self.failures: dict[tuple[str, str], tuple[int, Any, dict[str, str]]] = {}
        self.per_page_cap = 100
        self._ids = itertools.count(100)

    def webhook(self, hub_url: str, topic: str, order: dict[str, Any]) -> dict[str, Any]:
        """Send ``order`` to the hub as the active webhook of ``topic`` that the hub registered here."""
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

    def _auth(self, request: Request) -> str | None:
        if self.url.startswith("https"):
            expected = "Basic " + base64.b64encode(f"{self.key}:{self.secret}".encode()).decode()
            return "basic" if request.headers.get("Authorization") == expected else None
        return "oauth1" if oauth_signature_ok(request, self.url, self.key, self.secret) else None

    def handle(self, request: Request, path: str, body: Any) -> Response:
        method, auth = request.method, self._auth(request)
        query = {k: v for k, v in parse_qsl(request.query_string.decode()) if not k.startswith("oauth_")}
        summary, response = self._answer(method, path, query, body) if auth else (
            "refused: not signed with the consumer key",
            self.json({"code": "woocommerce_rest_authentication_error", "message": "Invalid signature"}, 401))
        self.record(method, path, summary, body, query=query, auth=auth or "refused")
        return response

    def _answer(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[str, Response]:
        for (failing, pattern), (status, payload, headers) in self.failures.items():
            if failing == method and re.fullmatch(pattern, path):
                if isinstance(payload, str):
                    return f"canned answer {status}", Response(payload, status, headers, content_type="text/html")
                return f"canned answer {status}", self.json(payload, status, headers)
        if path == "webhooks" and method == "GET":
            per_page = min(int(query.get("per_page", 10)), self.per_page_cap)
            page = int(query.get("page", 1))
            pages = max(1, -(-len(self.webhooks) // per_page))
            chunk = [_public(h) for h in self.webhooks[(page - 1) * per_page: page * per_page]]
            return f"list webhooks (page {page} of {pages})", self.json(
                chunk, headers={"X-WP-Total": str(len(self.webhooks)), "X-WP-TotalPages": str(pages)})
        if path == "webhooks" and method == "POST":
            hook = {"id": next(self._ids), "status": "active", **body}
            self.webhooks.append(hook)
            return f"create webhook {hook['topic']}", self.json(_public(hook), 201)
        match = re.fullmatch(r"webhooks/(\d+)", path)
        if match and method == "PUT":
            hook = next((h for h in self.webhooks if h["id"] == int(match.group(1))), None)
            if hook is None:
                return "no such webhook", self.json(
                    {"code": "woocommerce_rest_webhook_invalid_id", "message": "Invalid ID."}, 404)
            hook.update(body)
            return f"update webhook {hook['topic']}", self.json(_public(hook))
        if match and method == "DELETE":
            hook = next((h for h in self.webhooks if h["id"] == int(match.group(1))), None)
            if hook is None:
                return "no such webhook", self.json(
                    {"code": "woocommerce_rest_webhook_invalid_id", "message": "Invalid ID."}, 404)
            self.webhooks.remove(hook)
            return f"delete webhook {hook['topic']}", self.json(_public(hook))
        match = re.fullmatch(r"orders/(\d+)", path)
        if match and method == "PUT":
            return (f"order {match.group(1)} status -> {body.get('status')}",
                    self.json({"id": int(match.group(1)), **body}))
        match = re.fullmatch(r"orders/(\d+)/notes", path)
        if match and method == "POST":
            kind = "customer note" if body.get("customer_note") else "private note"
            return (f"{kind}: {short(body.get('note'), 70)}",
                    self.json({"id": next(self._ids), "author": "WooCommerce", **body}, 201))
        return "no such route", self.json(
            {"code": "rest_no_route", "message": "No route was found matching the URL and request method."}, 404)


def _public(hook: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in hook.items() if k != "secret"}  # the REST API never shows the secret
