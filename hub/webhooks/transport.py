"""The POST goes to the address `check_target` approved, not to whatever DNS answers a moment later.

A hostile DNS server can answer a public address to the check and 127.0.0.1 to the connect (DNS
rebinding). `PinnedAdapter` uses requests' documented extension point
(`HTTPAdapter.build_connection_pool_key_attributes`) to open the connection to the checked address, while
urllib3's `server_hostname` keeps SNI and certificate verification on the URL's host name, and the Host
header names the URL's host as before.
"""

from __future__ import annotations

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


class PinnedAdapter(HTTPAdapter):
    """Connects every request to `address`; TLS (SNI, certificate) and Host still name the URL's host."""

    def __init__(self, address: str, **kwargs: Any) -> None:
        self.address = address
        super().__init__(**kwargs)

    def build_connection_pool_key_attributes(self, request: requests.PreparedRequest, verify: Any,
                                             cert: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        if host_params["scheme"] == "https":
            # The ssl module verifies the certificate against server_hostname and sends it as SNI. (Not
            # assert_hostname: urllib3 would switch check_hostname off on requests' shared SSL context.)
            pool_kwargs = {**pool_kwargs, "server_hostname": host_params["host"]}
        return {**host_params, "host": self.address}, pool_kwargs

    def add_headers(self, request: requests.PreparedRequest, **kwargs: Any) -> None:
        request.headers.setdefault("Host", host_header(request.url or ""))

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        # Straight to the checked address: a proxy would resolve the name itself and undo the pin.
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=None)


def webhook_session(pinned: str | None) -> requests.Session:
    """A session whose requests connect to `pinned` (an IP address), or resolve as usual when None."""
    session = requests.Session()
    if pinned is not None:
        adapter = PinnedAdapter(pinned)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    return session
