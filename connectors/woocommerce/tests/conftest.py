"""The stand-in store (connectors/woocommerce/testing.py) as fixtures; the hub fixtures come from the root conftest."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.woocommerce.tests.helpers import CONSUMER_KEY, CONSUMER_SECRET
from connectors.woocommerce.testing import WooStandIn


@pytest.fixture
def store() -> Iterator[WooStandIn]:
    """A plain-HTTP store (OAuth 1.0a signatures)."""
    standin = WooStandIn(CONSUMER_KEY, CONSUMER_SECRET)
    yield standin
    standin.stop()


@pytest.fixture
def https_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WooStandIn]:
    """An HTTPS store (Basic auth) with a throwaway certificate for 127.0.0.1 that requests trusts."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    standin = WooStandIn(CONSUMER_KEY, CONSUMER_SECRET, ssl_context=context)
    yield standin
    standin.stop()
