"""All I/O with the shop, through the ShopifyAPI library's REST resources (pyactiveresource underneath).

ShopifyAPI keeps its session (site, token, timeout) per thread on ``ShopifyResource``; every call
here activates this installation's session, does its work and clears it again, so two installations
served by one worker thread never see each other's token. Errors leave as the hub's classes:
429/5xx/timeouts :class:`TransientError` (with Retry-After), 401/403 :class:`ConfigurationError`,
other 4xx :class:`PermanentError`.
"""

from __future__ import annotations

import io
import socket
import time
import urllib.error
import urllib.request
import urllib.response
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from email.message import Message
from typing import Any, TypeVar

import requests
import shopify
from pyactiveresource import connection as arc

from hub.plugins import (
    ConfigurationError,
    PermanentError,
    RegisteredHook,
    TransientError,
    answer_summary,
    http_session,
)

T = TypeVar("T")
CALL_LIMIT_HEADER = "X-Shopify-Shop-Api-Call-Limit"
#: Slow down once the leaky bucket is 80% full: the rest is headroom for the shop's other apps and for
#: our next call, and from there we wait only as long as the bucket needs to drain back to 80%.
BUCKET_THRESHOLD = 0.8
#: REST buckets leak 1/20 of their size per second (40 calls leak 2/s; Shopify Plus 400 leak 20/s).
LEAK_FRACTION_PER_S = 1 / 20
#: Never hold a job longer than this for pacing; a fuller bucket answers 429 and the hub defers.
MAX_PACE_S = 10.0
#: A 429 without Retry-After (Shopify normally sends one): 2 s lets a 40-call bucket leak 4 calls.
DEFAULT_RETRY_AFTER_S = 2.0


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if str(key).lower() == name.lower():
            return str(value)
    return None


def _retry_after(headers: Mapping[str, Any] | None) -> float | None:
    value = _header(headers, "Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None  # Shopify sends "2.0", not an integer
    except ValueError:
        return None


class GuardedOpener:
    """pyactiveresource's one documented override point (``Connection._urlopen``), answered through the
    hub's guarded session instead of urllib: public addresses only, pinned, a deadline and a size cap.
    Redirects are not followed (the library reports them, and a shop's API never redirects)."""

    def __init__(self, session: requests.Session, timeout_s: float) -> None:
        self.session, self.timeout_s = session, timeout_s

    def __call__(self, request: urllib.request.Request) -> urllib.response.addinfourl:
        url = request.full_url
        try:
            answer = self.session.request(request.get_method(), url, data=request.data,
                                          headers=dict(request.header_items()), timeout=self.timeout_s,
                                          allow_redirects=False)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise urllib.error.URLError(type(exc).__name__) from exc  # the library's Error: TransientError below
        headers = Message()
        for name, value in answer.headers.items():
            headers[name] = value
        if answer.status_code >= 300:  # the library expects urllib's HTTPError for these
            raise urllib.error.HTTPError(url, answer.status_code, answer.reason, headers, io.BytesIO(answer.content))
        opened = urllib.response.addinfourl(io.BytesIO(answer.content), headers, url, answer.status_code)
        opened.msg = answer.reason  # type: ignore[attr-defined]  # the library logs and keeps it
        return opened


class ShopifyClient:
    """One shop's Admin REST API. ``sleep`` is injectable so pacing can be observed in tests."""

    def __init__(self, shop: str, access_token: str, api_version: str, *, api_url: str | None = None,
                 timeout_s: float = 10.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self.shop = shop
        self._token = access_token
        self.api_version = api_version
        self.api_url = api_url.rstrip("/") if api_url else None
        self.timeout_s = timeout_s
        self.sleep = sleep
        self._open = GuardedOpener(http_session(), timeout_s)

    def __repr__(self) -> str:  # never show the token
        return f"ShopifyClient(shop={self.shop!r}, api_version={self.api_version!r}, api_url={self.api_url!r})"

    # -- session and error handling --------------------------------------------------------------

    @contextmanager
    def _session(self) -> Iterator[None]:
        session = shopify.Session(self.shop, self.api_version, self._token)
        shopify.ShopifyResource.activate_session(session)
        if self.api_url:  # a proxy or a local stand-in instead of https://<shop>
            shopify.ShopifyResource.site = f"{self.api_url}/admin/api/{self.api_version}"
        shopify.ShopifyResource.timeout = self.timeout_s
        shopify.ShopifyResource.connection._urlopen = self._open  # this thread's connection, cleared below
        try:
            yield
        finally:
            shopify.ShopifyResource.clear_session()

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one API call; translate its failure; pace by the call-limit header afterwards."""
        try:
            result = fn()
        except (ConfigurationError, PermanentError):  # the guard's refusal or cap: no retry helps
            raise
        except arc.ClientError as exc:
            status, headers = exc.response.code, exc.response.headers
            detail = f"Shopify answered {answer_summary(status, getattr(exc.response, 'msg', ''))} to {what}"
            if status == 429:
                raise TransientError(detail, retry_after_s=_retry_after(headers) or DEFAULT_RETRY_AFTER_S) from exc
            if status == 408:
                raise TransientError(detail, retry_after_s=_retry_after(headers)) from exc
            if status in (401, 403):
                raise ConfigurationError(f"{detail} (check the access token and the app's API scopes)") from exc
            raise PermanentError(detail) from exc
        except arc.Redirection as exc:
            raise ConfigurationError(f"Shopify redirected {what}: is the shop domain right?") from exc
        except arc.ServerError as exc:
            raise TransientError(f"Shopify answered {exc.code} to {what}") from exc
        except arc.Error as exc:  # urllib's URLError: refused, DNS, TLS, connect timeout
            raise TransientError(f"could not reach Shopify for {what}: {exc}") from exc
        except (TimeoutError, socket.timeout, ConnectionError, OSError) as exc:  # a read that timed out
            raise TransientError(f"Shopify did not answer {what} in time: {exc}") from exc
        self._pace()
        return result

    def _pace(self) -> None:
        response = shopify.ShopifyResource.connection.response
        value = _header(getattr(response, "headers", None), CALL_LIMIT_HEADER)
        try:
            used, size = (int(part) for part in (value or "").split("/"))
        except ValueError:
            return
        over = used - BUCKET_THRESHOLD * size
        if size > 0 and over > 0:
            self.sleep(min(MAX_PACE_S, over / (size * LEAK_FRACTION_PER_S)))

    # -- webhooks -------------------------------------------------------------------------------------

    def register_webhooks(self, address: str, topics: tuple[str, ...]) -> list[RegisteredHook]:
        """Subscribe ``topics`` to ``address``; a subscription that already exists is reused."""
        with self._session():
            existing = self._call("GET webhooks", lambda: shopify.Webhook.find(address=address))
            found = {w.attributes.get("topic"): w for w in existing or [] if w.attributes.get("address") == address}
            hooks = []
            for topic in topics:
                hook = found.get(topic)
                if hook is None:
                    hook = self._call(f"POST webhooks ({topic})", lambda t=topic: shopify.Webhook.create(
                        {"topic": t, "address": address, "format": "json"}))
                    if hook.errors.full_messages():
                        raise PermanentError(f"Shopify refused webhook {topic}: {'; '.join(hook.errors.full_messages())}")
                hooks.append(RegisteredHook(topic=topic, address=address, external_id=str(hook.id) if hook.id else None))
            return hooks

    def unregister_webhooks(self, hooks: list[RegisteredHook]) -> None:
        """Delete the subscriptions ``register_webhooks`` made; one Shopify no longer has is already gone."""
        with self._session():
            for hook in hooks:
                if hook.external_id is None:
                    continue
                try:
                    self._call(f"DELETE webhooks/{hook.external_id}",
                               lambda h=hook: shopify.Webhook.delete(h.external_id))
                except PermanentError as exc:
                    if "answered HTTP 404" not in str(exc):
                        raise

    # -- order notes ----------------------------------------------------------------------------------

    def append_order_note(self, order_id: str, text: str) -> str:
        """Add a paragraph to the order's note (what the merchant sees on the order page), keeping what is there:
        GET orders/{id}.json?fields=id,note, then PUT only the note. Returns the new note."""
        with self._session():
            current = self._call("GET order", lambda: shopify.Order.find(order_id, fields="id,note"))
            before = (getattr(current, "note", None) or "").rstrip()
            note = f"{before}\n\n{text}" if before else text
            order = shopify.Order({"id": int(order_id) if str(order_id).isdigit() else order_id, "note": note})
            if not self._call("PUT order note", order.save):
                raise PermanentError(f"Shopify refused the order note: {'; '.join(order.errors.full_messages())}")
            return note

    # -- fulfilment -----------------------------------------------------------------------------------

    def fulfillment_orders(self, order_id: str) -> list[dict[str, Any]]:
        with self._session():
            found = self._call("GET fulfillment_orders", lambda: shopify.FulfillmentOrders.find(order_id=order_id))
            return [fo.to_dict() for fo in found or []]

    def fulfillments(self, order_id: str) -> list[dict[str, Any]]:
        with self._session():
            found = self._call("GET fulfillments", lambda: shopify.Fulfillment.find(order_id=order_id))
            return [f.to_dict() for f in found or []]

    def create_fulfillment(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST fulfillments.json (the FulfillmentOrder-based endpoint) with ``{"fulfillment": body}``."""
        with self._session():
            fulfillment = shopify.FulfillmentV2(dict(body))
            if not self._call("POST fulfillments", fulfillment.save):
                raise PermanentError(f"Shopify refused the fulfilment: {'; '.join(fulfillment.errors.full_messages())}")
            return fulfillment.to_dict()

    def create_fulfillment_event(self, order_id: str, fulfillment_id: str, event: Mapping[str, Any]) -> dict[str, Any]:
        """POST orders/{id}/fulfillments/{fid}/events.json with ``{"event": event}``."""
        with self._session():
            resource = shopify.FulfillmentEvent(dict(event), prefix_options={"order_id": order_id, "fulfillment_id": fulfillment_id})
            if not self._call("POST fulfillment event", resource.save):
                raise PermanentError(f"Shopify refused the fulfilment event: {'; '.join(resource.errors.full_messages())}")
            return resource.to_dict()
