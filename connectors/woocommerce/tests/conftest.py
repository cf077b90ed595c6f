"""Stand-in stores for the WooCommerce tests (the hub fixtures come from the root conftest)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from connectors.woocommerce.tests.helpers import CONSUMER_KEY, CONSUMER_SECRET
from connectors.woocommerce.tests.standin import StandInStore


@pytest.fixture
def store(httpserver: HTTPServer) -> StandInStore:
    """A plain-HTTP store (OAuth 1.0a signatures)."""
    return StandInStore(httpserver, CONSUMER_KEY, CONSUMER_SECRET)


@pytest.fixture
def https_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[StandInStore]:
    """An HTTPS store (Basic auth) with a throwaway certificate for 127.0.0.1 that requests trusts."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.start()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    try:
        yield StandInStore(server, CONSUMER_KEY, CONSUMER_SECRET)
    finally:
        server.clear()
        if server.is_running():
            server.stop()
