"""A receiver that answers a byte at a time cannot hold a worker: the whole exchange ends by the deadline
(requests' own timeout bounds each read only). Real sockets; the receivers are raw TCP servers."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from sqlalchemy import select

from hub.db.models.webhooks import RETRYING, SUCCEEDED, WebhookAttempt, WebhookDelivery
from hub.paths import SCHEMAS_DIR
from hub.webhooks import delivery as webhook_delivery
from hub.egress.transport import webhook_session

# The drip would last this long; every assertion below expects the hub to be done far sooner.
DRIP_S = 30.0


class Dripper:
    """Accepts connections and sends `head` at once, then `drip` one byte every 0.2 s (for DRIP_S at most)."""

    def __init__(self, head: bytes, drip: bytes) -> None:
        self.head, self.drip = head, drip
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/hooks/hub"
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(self.head)
                ends = time.monotonic() + DRIP_S
                for byte in self.drip:
                    if time.monotonic() > ends:
                        return
                    conn.sendall(bytes([byte]))
                    time.sleep(0.2)
            except OSError:  # the hub hung up: what the test wants
                return

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def dripping_headers() -> Iterator[Dripper]:
    server = Dripper(b"", b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"." * 500 + b"\r\n\r\n")
    yield server
    server.close()


@pytest.fixture
def dripping_body() -> Iterator[Dripper]:
    server = Dripper(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4000\r\n\r\n", b"." * 4000)
    yield server
    server.close()


def test_a_session_ends_the_exchange_at_its_deadline(dripping_headers: Dripper) -> None:
    started = time.monotonic()
    with webhook_session(None, deadline_s=1.0) as http, pytest.raises(requests.ConnectionError):
        http.post(dripping_headers.url, data=b"{}", timeout=15)  # each byte comes well within the read timeout
    assert http.deadline_passed and time.monotonic() - started < 10


def test_a_quick_exchange_is_not_cut(dripping_body: Dripper) -> None:
    with webhook_session(None, deadline_s=60.0) as http:
        response = http.post(dripping_body.url, data=b"{}", timeout=15, stream=True)
        assert response.status_code == 200 and not http.deadline_passed
        response.close()


def _post_delivery(client: Any, tenant: dict[str, Any]) -> None:
    doc = json.loads((SCHEMAS_DIR / "examples" / "delivery_input.v1.json").read_text())
    assert client.post("/api/v1/deliveries", json=doc, headers=tenant["headers"]).status_code == 202


def test_a_dripping_receiver_is_recorded_as_timed_out_and_retried(client, tenant, run_jobs, subscribe, clean,
                                                                   dripping_headers, monkeypatch):
    monkeypatch.setattr(webhook_delivery, "TIMEOUT_S", 1)  # the 15 s production value, shortened for the test
    subscribe(dripping_headers.url)
    started = time.monotonic()
    _post_delivery(client, tenant)
    run_jobs()
    assert time.monotonic() - started < DRIP_S / 2
    with clean.sessions() as session:
        row = session.execute(select(WebhookDelivery)).scalar_one()
        attempt = session.execute(select(WebhookAttempt)).scalar_one()
    assert row.state == RETRYING and attempt.outcome == "retry" and attempt.status_code is None
    assert attempt.error == "no complete answer within 1 s"


def test_an_answer_whose_body_drips_stands_on_its_status(client, tenant, run_jobs, subscribe, clean,
                                                         dripping_body, monkeypatch):
    monkeypatch.setattr(webhook_delivery, "TIMEOUT_S", 1)
    subscribe(dripping_body.url)
    _post_delivery(client, tenant)
    run_jobs()
    with clean.sessions() as session:
        row = session.execute(select(WebhookDelivery)).scalar_one()
        attempt = session.execute(select(WebhookAttempt)).scalar_one()
    assert row.state == SUCCEEDED and attempt.status_code == 200 and attempt.response_body == ""
