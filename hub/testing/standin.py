"""Stand-ins for the systems a connector talks to: a local HTTP server that answers as the real API would.

The part every stand-in shares: a werkzeug server on 127.0.0.1 (a free port, HTTPS when given a certificate)
in a thread, recording every request it receives. A connector's own stand-in (``connectors/<id>/testing.py``)
subclasses it with the remote API's routes, checks and wire format; the connector's tests and ``hub demo`` both
use that one class. Pure runtime code, no test libraries: the demo runs it outside pytest.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import ssl
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from werkzeug import Request, Response
from werkzeug.serving import make_server

from hub.paths import PAYLOADS_DIR

#: Seconds for one webhook POST to the hub: it only stores the request and answers, so 30 s means it is stuck.
POST_TIMEOUT_S = 30


@dataclass(frozen=True)
class Call:
    """One request the stand-in received: method, path (below the API prefix), query (without auth
    parameters), JSON body, how it authenticated (``"refused"`` when it did not), and a one-line summary."""

    method: str
    path: str
    summary: str
    body: Any
    query: dict[str, str] = field(default_factory=dict)
    auth: str = ""


def payload_sample(name: str) -> Any | None:
    """A real store payload from the repository's samples (tests/data/payloads), or None when it is not there."""
    path = PAYLOADS_DIR / name
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def hmac_b64(secret: str, body: bytes) -> str:
    """base64(HMAC-SHA256(secret, raw body)): how Shopify and WooCommerce both sign a webhook."""
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def short(value: Any, limit: int = 90) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


class StandInServer:
    """A local HTTP server (127.0.0.1, a free port) that hands every request to ``handle``."""

    prefix = ""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.seen: list[Call] = []
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True, ssl_context=ssl_context)
        self.url = f"{'https' if ssl_context else 'http'}://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self._http = requests.Session()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._http.close()

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        path = request.path[len(self.prefix):] if request.path.startswith(self.prefix) else request.path
        try:
            body = json.loads(request.get_data() or b"null")
        except ValueError:
            body = request.get_data(as_text=True)
        with self._lock:
            response = self.handle(request, path, body)
        return response(environ, start_response)

    def handle(self, request: Request, path: str, body: Any) -> Response:  # pragma: no cover - overridden
        raise NotImplementedError

    def record(self, method: str, path: str, summary: str, body: Any, *, query: dict[str, str] | None = None,
               auth: str = "") -> None:
        self.seen.append(Call(method, path, summary, body, query or {}, auth))

    def calls(self, method: str | None = None, path: str | None = None) -> list[Call]:
        """What was received, optionally only of one method and path."""
        return [c for c in self.seen if (method is None or c.method == method) and (path is None or c.path == path)]

    @staticmethod
    def json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return Response(json.dumps(payload), status=status, headers=headers or {}, content_type="application/json")

    def send(self, hub_url: str, address: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
        """POST a webhook to the address the hub registered here; ``hub_url`` replaces its scheme and host
        (the same in ``hub demo``; in the tests the hub's public URL is a name that does not resolve)."""
        target = hub_url.rstrip("/") + urlsplit(address).path
        response = self._http.post(target, data=body, headers=headers, timeout=POST_TIMEOUT_S)
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]
