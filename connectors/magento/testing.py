"""A stand-in Magento 2 REST API on pytest-httpserver: real HTTP, real ``requests``, the search semantics
Magento applies (filter groups ANDed, filters inside a group ORed, several sort orders, pageSize and
currentPage, and Magento's habit of answering a page past the end with the last page), order fetch,
ship and comments. Auth is checked: Bearer, or an OAuth 1.0a signature recomputed from the wire."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from connectors.magento import oauth1
from hub.testing.standin import payload_sample

ROOT = "/rest/default/V1"
FILTER = re.compile(r"^searchCriteria\[filter_groups\]\[(\d+)\]\[filters\]\[(\d+)\]\[(field|value|condition_type)\]$")
SORT = re.compile(r"^searchCriteria\[sortOrders\]\[(\d+)\]\[(field|direction)\]$")


def _value(order: Mapping[str, Any], name: str) -> Any:
    value = order.get(name)
    return int(value) if name == "entity_id" else str(value)


def _matches(order: Mapping[str, Any], flt: Mapping[str, str]) -> bool:
    have, want = _value(order, flt["field"]), flt["value"]
    want_v: Any = int(want) if flt["field"] == "entity_id" else want
    return {"eq": have == want_v, "gt": have > want_v, "gteq": have >= want_v, "lt": have < want_v,
            "lteq": have <= want_v}[flt.get("condition_type", "eq")]


@dataclass
class Failure:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    delay_s: float = 0.0


@dataclass
class StandInMagento:
    server: HTTPServer
    token: str = "magento-access-token-0123456789"
    oauth: Mapping[str, str] | None = None  # consumer_key, consumer_secret, token, token_secret
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)  # answered first, one per request
    honour_or_groups: bool = True  # False: a store that only applies the first filter group
    searches: list[dict[str, str]] = field(default_factory=list)
    ships: list[tuple[str, Any]] = field(default_factory=list)
    comments: list[tuple[str, Any]] = field(default_factory=list)
    next_shipment_id: int = 1000

    def __post_init__(self) -> None:
        self.server.expect_request(re.compile(f"^{ROOT}/.*")).respond_with_handler(self.handle)

    @property
    def base_url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def put(self, *orders: Mapping[str, Any]) -> None:
        for order in orders:
            self.orders[int(order["entity_id"])] = json.loads(json.dumps(order))

    # -- the API -------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if self.failures:
            failure = self.failures.pop(0)
            if failure.delay_s:
                time.sleep(failure.delay_s)
            return self._json(failure.body or {"message": "stand-in failure"}, failure.status, failure.headers)
        if not self._authorized(request):
            return self._json({"message": "The consumer isn't authorized to access %resources.",
                               "parameters": {"resources": "Magento_Sales::actions_view"}}, 401)
        path = request.path[len(ROOT):]
        if request.method == "GET" and path == "/orders":
            return self._json(self._search(request))
        if request.method == "GET" and (m := re.fullmatch(r"/orders/(\d+)", path)):
            order = self.orders.get(int(m.group(1)))
            return self._json(order, 200) if order else self._json({"message": "The entity that was requested doesn't exist."}, 404)
        if request.method == "POST" and (m := re.fullmatch(r"/order/(\d+)/ship", path)):
            self.ships.append((m.group(1), json.loads(request.get_data())))
            self.next_shipment_id += 1
            return self._json(self.next_shipment_id)
        if request.method == "POST" and (m := re.fullmatch(r"/orders/(\d+)/comments", path)):
            self.comments.append((m.group(1), json.loads(request.get_data())))
            return self._json(True)
        return self._json({"message": f"Request does not match any route: {request.method} {path}"}, 404)

    def _search(self, request: Request) -> dict[str, Any]:
        args = dict(parse_qsl(request.query_string.decode(), keep_blank_values=True))
        self.searches.append(args)
        groups: dict[int, dict[int, dict[str, str]]] = {}
        sorts: dict[int, dict[str, str]] = {}
        for key, value in args.items():
            if m := FILTER.match(key):
                groups.setdefault(int(m.group(1)), {}).setdefault(int(m.group(2)), {})[m.group(3)] = value
            elif m := SORT.match(key):
                sorts.setdefault(int(m.group(1)), {})[m.group(2)] = value
        applied = [groups[g] for g in sorted(groups)][: None if self.honour_or_groups else 1]
        found = [o for o in self.orders.values()
                 if all(any(_matches(o, f) for f in group.values()) for group in applied)]
        for index in sorted(sorts, reverse=True):
            found.sort(key=lambda o: _value(o, sorts[index]["field"]), reverse=sorts[index].get("direction") == "DESC")
        size = int(args.get("searchCriteria[pageSize]", 20))
        page = int(args.get("searchCriteria[currentPage]", 1))
        last = max(1, -(-len(found) // size))
        page = min(page, last)  # Magento answers a page past the end with the last page
        return {"items": found[(page - 1) * size: page * size], "search_criteria": {}, "total_count": len(found)}

    # -- auth ----------------------------------------------------------------------------------
    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        if self.oauth is None:
            return header == f"Bearer {self.token}"
        if not header.startswith("OAuth "):
            return False
        params = {}
        for part in header[len("OAuth "):].split(","):
            name, _, value = part.strip().partition("=")
            params[unquote(name)] = unquote(value.strip('"'))
        if params.get("oauth_consumer_key") != self.oauth["consumer_key"] or params.get("oauth_token") != self.oauth["token"]:
            return False
        query = parse_qsl(request.query_string.decode(), keep_blank_values=True)
        signed = [(k, v) for k, v in params.items() if k != "oauth_signature"]
        url = f"{request.scheme}://{request.host}{request.path}"
        expected = oauth1.sign(oauth1.signature_base_string(request.method, url, [*signed, *query]),
                               self.oauth["consumer_secret"], self.oauth["token_secret"], params.get("oauth_signature_method", ""))
        return params.get("oauth_signature") == expected

    @staticmethod
    def _json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
        return Response(json.dumps(body), status=status, headers=dict(headers or {}), content_type="application/json")


def sample_order(entity_id: int, updated_at: str, **changes: Any) -> dict[str, Any]:
    """The docs' sample order (magento_order_1.json) as another order: new ids, a new updated_at."""
    order = payload_sample("magento_order_1.json")
    assert isinstance(order, dict), "tests/data/payloads/magento_order_1.json is missing"
    order.update({"entity_id": entity_id, "increment_id": f"{entity_id:09d}", "updated_at": updated_at, **changes})
    return order
