"""A request goes to the address `check_target` approved, not to whatever DNS answers a moment later, and
the whole exchange ends by a deadline.

A hostile DNS server can answer a public address to the check and 127.0.0.1 to the connect (DNS
rebinding). `PinnedAdapter` uses requests' documented extension point
(`HTTPAdapter.build_connection_pool_key_attributes`) to open the connection to the checked address, while
urllib3's `server_hostname` keeps SNI and certificate verification on the URL's host name, and the Host
header names the URL's host as before.

requests' timeout bounds each socket read, so a receiver that drips its answer a byte at a time could hold a
worker until RQ kills the job (and the try would go unrecorded). A webhook session shuts its sockets down when
its deadline passes; the read in progress then fails and the try is recorded as timed out.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util import parse_url

DEFAULT_PORTS = {"http": 80, "https": 443}


def host_header(url: str) -> str:
    """The Host header an unpinned request to `url` sends (http.client's rule: the port only if not the default)."""
    parts = parse_url(url)
    host = (parts.host or "").rstrip(".")
    return host if parts.port in (None, DEFAULT_PORTS.get(parts.scheme or "")) else f"{host}:{parts.port}"


def pin(host_params: dict[str, Any], pool_kwargs: dict[str, Any],
        address: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A connection pool key for `address` that still verifies TLS against the URL's host."""
    if host_params["scheme"] == "https":
        # The ssl module verifies the certificate against server_hostname and sends it as SNI. (Not
        # assert_hostname: urllib3 would switch check_hostname off on requests' shared SSL context.)
        pool_kwargs = {**pool_kwargs, "server_hostname": host_params["host"]}
    return {**host_params, "host": address}, pool_kwargs


class PinnedAdapter(HTTPAdapter):
    """Connects every request to `address`; TLS (SNI, certificate) and Host still name the URL's host."""

    def __init__(self, address: str, **kwargs: Any) -> None:
        self.address = address
        super().__init__(**kwargs)

    def build_connection_pool_key_attributes(self, request: requests.PreparedRequest, verify: Any,
                                             cert: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        return pin(host_params, pool_kwargs, self.address)

    def add_headers(self, request: requests.PreparedRequest, **kwargs: Any) -> None:
        request.headers.setdefault("Host", host_header(request.url or ""))

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        # Straight to the checked address: a proxy would resolve the name itself and undo the pin.
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=None)


class _Deadline:
    """The sockets one session opened, shut down together when the time is up."""

    def __init__(self, seconds: float, *, start: bool = True) -> None:
        self.seconds = seconds
        self.passed = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = self._start() if start else None

    def _start(self) -> threading.Timer:
        timer = threading.Timer(self.seconds, self._expire)
        timer.daemon = True
        timer.start()
        return timer

    def restart(self) -> None:
        """The full time again from now, for a session's next request. Sockets opened before stay watched:
        one may be reused from the pool, and shutting an idle one only makes the pool open a fresh one."""
        with self._lock:
            self.cancel()
            self._sockets = [s for s in self._sockets if s.fileno() != -1]  # closed ones need no watching
            self.passed = False
            self._timer = self._start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.passed:
                _shut(sock)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def _expire(self) -> None:
        with self._lock:
            self.passed = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # closed already: nothing left to stop
        pass


class _DeadlineAdapter(HTTPAdapter):
    """Hands every socket its pools open to the session's deadline."""

    def __init__(self, deadline: _Deadline, **kwargs: Any) -> None:
        self.deadline = deadline
        super().__init__(**kwargs)

    def get_connection_with_tls_context(self, *args: Any, **kwargs: Any) -> Any:
        pool = super().get_connection_with_tls_context(*args, **kwargs)
        if getattr(pool.ConnectionCls, "hub_deadline", None) is not self.deadline:
            pool.ConnectionCls = _watched(pool.ConnectionCls, self.deadline)
        return pool


class _PinnedDeadlineAdapter(_DeadlineAdapter, PinnedAdapter):
    def __init__(self, deadline: _Deadline, address: str, **kwargs: Any) -> None:
        self.deadline = deadline
        PinnedAdapter.__init__(self, address, **kwargs)


def _watched(connection_cls: Any, deadline: _Deadline) -> Any:
    class Watched(connection_cls):  # type: ignore[misc, valid-type]
        hub_deadline = deadline

        def connect(self) -> None:
            super().connect()
            deadline.watch(self.sock)

    return Watched


class WebhookSession(requests.Session):
    """A session for one try: pinned to `pinned` (an IP address) unless None, and over after `deadline_s`."""

    def __init__(self, pinned: str | None, deadline_s: float) -> None:
        super().__init__()
        self._deadline = _Deadline(deadline_s)
        adapter = (_PinnedDeadlineAdapter(self._deadline, pinned) if pinned is not None
                   else _DeadlineAdapter(self._deadline))
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    @property
    def deadline_passed(self) -> bool:
        return self._deadline.passed

    def close(self) -> None:
        self._deadline.cancel()
        super().close()


def webhook_session(pinned: str | None, deadline_s: float = 15.0) -> WebhookSession:
    """A session whose requests connect to `pinned` (an IP address), or resolve as usual when None, and
    whose sockets are shut down `deadline_s` after it was made."""
    return WebhookSession(pinned, deadline_s)
