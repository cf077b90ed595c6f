"""A stand-in WooCommerce store on pytest-httpserver: real HTTP, checked the way WooCommerce checks.

It authenticates every call like ``class-wc-rest-authentication.php`` (Basic auth over HTTPS, a
one-legged OAuth 1.0a HMAC-SHA256 signature over plain HTTP, recomputed here independently of the
client library), pages ``GET webhooks`` with ``X-WP-TotalPages``, and records what it was sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

PREFIX = "/wp-json/wc/v3/"


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    auth: str


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


@dataclass
class StandInStore:
    server: HTTPServer
    key: str
    secret: str
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    #: (method, path regex) → (status, body, headers): a canned failure instead of the normal answer.
    failures: dict[tuple[str, str], tuple[int, Any, dict[str, str]]] = field(default_factory=dict)
    per_page_cap: int = 100
    _ids: Any = field(default_factory=lambda: itertools.count(100))

    def __post_init__(self) -> None:
        self.server.expect_request(re.compile(r"^/.*")).respond_with_handler(self.handle)

    @property
    def url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def calls(self, method: str | None = None, path: str | None = None) -> list[Seen]:
        return [s for s in self.seen if (method is None or s.method == method) and (path is None or s.path == path)]

    def _auth(self, request: Request) -> str | None:
        if request.scheme == "https" or self.url.startswith("https"):
            expected = "Basic " + base64.b64encode(f"{self.key}:{self.secret}".encode()).decode()
            return "basic" if request.headers.get("Authorization") == expected else None
        return "oauth1" if oauth_signature_ok(request, self.url, self.key, self.secret) else None

    def handle(self, request: Request) -> Response:
        path = request.path[len(PREFIX):] if request.path.startswith(PREFIX) else request.path
        auth = self._auth(request)
        body = json.loads(request.get_data() or b"null")
        query = {k: v for k, v in parse_qsl(request.query_string.decode()) if not k.startswith("oauth_")}
        self.seen.append(Seen(request.method, path, query, body, auth or "refused"))
        if auth is None:
            return self._json({"code": "woocommerce_rest_authentication_error", "message": "Invalid signature"}, 401)
        for (method, pattern), (status, payload, headers) in self.failures.items():
            if method == request.method and re.fullmatch(pattern, path):
                return self._json(payload, status, headers)
        if path == "webhooks" and request.method == "GET":
            per_page = min(int(query.get("per_page", 10)), self.per_page_cap)
            page = int(query.get("page", 1))
            pages = max(1, -(-len(self.webhooks) // per_page))
            chunk = self.webhooks[(page - 1) * per_page: page * per_page]
            return self._json(chunk, 200, {"X-WP-Total": str(len(self.webhooks)), "X-WP-TotalPages": str(pages)})
        if path == "webhooks" and request.method == "POST":
            hook = {"id": next(self._ids), "status": "active", **body}
            self.webhooks.append(hook)
            return self._json(self._public(hook), 201)
        match = re.fullmatch(r"webhooks/(\d+)", path)
        if match and request.method == "PUT":
            hook = next(h for h in self.webhooks if h["id"] == int(match.group(1)))
            hook.update(body)
            return self._json(self._public(hook), 200)
        if match and request.method == "DELETE":
            hook = next((h for h in self.webhooks if h["id"] == int(match.group(1))), None)
            if hook is None:
                return self._json({"code": "woocommerce_rest_webhook_invalid_id", "message": "Invalid ID."}, 404)
            self.webhooks.remove(hook)
            return self._json(self._public(hook), 200)
        match = re.fullmatch(r"orders/(\d+)", path)
        if match and request.method == "PUT":
            return self._json({"id": int(match.group(1)), **body}, 200)
        match = re.fullmatch(r"orders/(\d+)/notes", path)
        if match and request.method == "POST":
            return self._json({"id": next(self._ids), "author": "WooCommerce", **body}, 201)
        return self._json({"code": "rest_no_route", "message": "No route was found"}, 404)

    @staticmethod
    def _public(hook: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in hook.items() if k != "secret"}  # the REST API never shows the secret

    @staticmethod
    def _json(payload: Any, status: int, headers: dict[str, str] | None = None) -> Response:
        return Response(json.dumps(payload), status=status, headers=headers or {}, content_type="application/json")
