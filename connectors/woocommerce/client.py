"""All HTTP to the store, through the official ``woocommerce`` client (``from woocommerce import API``).

Authentication is the library's: over HTTPS, Basic auth with the consumer key and secret; over plain
HTTP, one-legged OAuth 1.0a (HMAC-SHA256) signatures in the query string. Failures surface as
``requests.HTTPError`` (``raise_for_status``: the hub retries 429/5xx, honouring Retry-After, and pauses
the installation on 401/403) or ``hub.errors.TransientError`` for timeouts and refused connections.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from json import dumps
from urllib.parse import urlencode

import requests
from requests.auth import HTTPBasicAuth
from woocommerce import API

from hub.plugins import TransientError, answer_summary, http_session

API_VERSION = "wc/v3"
USER_AGENT = "delivery-hub-woocommerce/0.1"
#: WooCommerce caps per_page at 100; the largest page means the fewest calls.
PAGE_SIZE = 100
#: A store with more than this many webhooks is misconfigured; stop paging instead of looping forever.
MAX_PAGES = 50


class _GuardedAPI(API):  # type: ignore[misc]
    """``woocommerce.API`` sending through the hub's guarded session: the library calls ``requests.request``,
    a fresh unguarded session per call, so its one sending method is replaced here; the URL, Basic auth and
    OAuth signature are built as the library builds them, by its own helpers."""

    def __init__(self, *args: Any, session: requests.Session, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session = session

    def _API__request(self, method: str, endpoint: str, data: Any, params: dict[str, Any] | None = None,
                      **kwargs: Any) -> requests.Response:
        params = dict(params or {})
        url = self._API__get_url(endpoint)
        auth = None
        headers = {"user-agent": self.user_agent, "accept": "application/json"}
        if self.is_ssl:
            auth = HTTPBasicAuth(self.consumer_key, self.consumer_secret)  # query_string_auth is off
        else:  # plain HTTP: one-legged OAuth 1.0a over the whole query
            url = self._API__get_oauth_url(f"{url}?{urlencode(params)}", method, **kwargs)
        body = None
        if data is not None:
            body = dumps(data, ensure_ascii=False).encode("utf-8")
            headers["content-type"] = "application/json;charset=utf-8"
        # A store that redirects its REST API is misconfigured (or pointing somewhere else): not followed.
        return self.session.request(method, url, verify=self.verify_ssl, auth=auth, params=params, data=body,
                                    timeout=self.timeout, headers=headers, allow_redirects=False)


class WooClient:
    """A thin layer over ``woocommerce.API``: JSON in and out, errors raised, secrets never shown."""

    def __init__(self, url: str, consumer_key: str, consumer_secret: str, *, timeout_s: float) -> None:
        self._api = _GuardedAPI(session=http_session(), url=url, consumer_key=consumer_key, consumer_secret=consumer_secret, version=API_VERSION,
                        timeout=timeout_s, query_string_auth=False, user_agent=USER_AGENT)
        self.url = url

    def __repr__(self) -> str:
        return f"WooClient(url={self.url!r})"

    def _call(self, method: str, endpoint: str, data: Mapping[str, Any] | None = None,
              params: Mapping[str, Any] | None = None) -> requests.Response:
        kwargs: dict[str, Any] = {"params": dict(params)} if params else {}
        try:
            if method in ("POST", "PUT"):
                response = getattr(self._api, method.lower())(endpoint, dict(data or {}), **kwargs)
            else:
                response = getattr(self._api, method.lower())(endpoint, **kwargs)
        except requests.Timeout as exc:
            raise TransientError(f"WooCommerce {method} {endpoint} timed out") from exc
        except requests.ConnectionError as exc:
            raise TransientError(f"WooCommerce {method} {endpoint}: could not connect ({type(exc).__name__})") from exc
        if response.status_code >= 300:
            # Raised with our own message: the library's URL carries OAuth parameters over plain HTTP, and
            # the body may be anything the server at the owner's URL wants the hub to repeat.
            raise requests.HTTPError(
                f"{answer_summary(response.status_code, response.reason)} from WooCommerce for {method} {endpoint}",
                response=response)
        return response

    def _json(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:  # a PHP notice or a security plugin's HTML page instead of JSON
            raise requests.HTTPError(f"WooCommerce answered {response.status_code} with a body that is not JSON",
                                     response=response) from exc

    def list_webhooks(self) -> list[dict[str, Any]]:
        """Every webhook of the store, following X-WP-TotalPages."""
        found: list[dict[str, Any]] = []
        page = 1
        while page <= MAX_PAGES:
            # Over plain HTTP the library puts these in the signed URL and requests appends them again;
            # PHP keeps one value per name, so WooCommerce's signature check still sees them once.
            response = self._call("GET", "webhooks", params={"per_page": PAGE_SIZE, "page": page})
            items = self._json(response)
            if not isinstance(items, list):
                raise requests.HTTPError("WooCommerce webhooks list is not a JSON array", response=response)
            found.extend(i for i in items if isinstance(i, dict))
            try:
                total = int(response.headers.get("X-WP-TotalPages", "1"))
            except ValueError:
                total = 1
            if page >= total or not items:
                break
            page += 1
        return found

    def create_webhook(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._json(self._call("POST", "webhooks", body))  # type: ignore[no-any-return]

    def update_webhook(self, webhook_id: int | str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._json(self._call("PUT", f"webhooks/{webhook_id}", body))  # type: ignore[no-any-return]

    def delete_webhook(self, webhook_id: int | str) -> None:
        """Delete a webhook for good (``force``: WooCommerce keeps no trash of webhooks); a 404 is already gone."""
        try:
            self._call("DELETE", f"webhooks/{webhook_id}", params={"force": "true"})
        except requests.HTTPError as exc:
            if exc.response is None or exc.response.status_code != 404:
                raise

    def update_order(self, order_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._json(self._call("PUT", f"orders/{order_id}", body))  # type: ignore[no-any-return]

    def add_order_note(self, order_id: str, note: str, *, customer_note: bool) -> dict[str, Any]:
        body = {"note": note, "customer_note": customer_note}
        return self._json(self._call("POST", f"orders/{order_id}/notes", body))  # type: ignore[no-any-return]
