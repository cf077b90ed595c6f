"""A subscriber stand-in (real HTTP, pytest-httpserver) that verifies every message with the
`standardwebhooks` library, and a helper to subscribe it (`fast_forward`, which skips backoff, is in tests/fixtures.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterator

import pytest
from standardwebhooks import Webhook
from werkzeug import Request, Response



@dataclass
class Received:
    webhook_id: str
    headers: dict[str, str]
    body: bytes
    answered: int
    verified_with: list[str]  # which of the receiver's secrets verified it

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    secrets: list[str] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # next answers; then `default`
    default: tuple[int, dict[str, str]] = (200, {})
    received: list[Received] = field(default_factory=list)
    reply: bytes | None = None  # the answer's body; a small JSON object when None

    def handle(self, request: Request) -> Response:
        body = request.get_data()
        headers = {k.lower(): v for k, v in request.headers.items()}
        verified = []
        for secret in self.secrets:
            try:
                Webhook(secret).verify(body, headers)
                verified.append(secret)
            except Exception:
                pass
        status, extra = self.answers.pop(0) if self.answers else self.default
        if self.secrets and not verified:
            status = 401  # what a careful receiver does with a bad signature
        self.received.append(Received(headers.get("webhook-id", ""), headers, body, status, verified))
        reply = self.reply if self.reply is not None else json.dumps({"status": status}).encode()
        return Response(reply, status=status, headers=extra, content_type="application/json")

    def accepted(self) -> list[Received]:
        return [r for r in self.received if 200 <= r.answered < 300]


@pytest.fixture
def receiver(httpserver) -> Iterator[Receiver]:  # type: ignore[no-untyped-def]
    stand_in = Receiver(httpserver.url_for("/hooks/hub"))
    httpserver.expect_request("/hooks/hub", method="POST").respond_with_handler(stand_in.handle)
    yield stand_in


@pytest.fixture
def subscribe(client, tenant):  # type: ignore[no-untyped-def]
    return lambda url, event_types=None: create_subscription(client, tenant, url, event_types)


def create_subscription(client, tenant, url: str, event_types: list[str] | None = None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/subscriptions", json={"url": url, "event_types": event_types or ["delivery.*"],
                           "description": "test receiver"}, headers=tenant["headers"])
    assert response.status_code == 201, response.json
    return response.json
