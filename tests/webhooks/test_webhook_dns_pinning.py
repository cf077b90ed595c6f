"""DNS rebinding: the POST goes to the address the SSRF check approved, whatever DNS answers next, with TLS
and the Host header still naming the URL's host. DNS and the network beyond loopback are the outside world
here: a fake resolver answers for one name; every other lookup and connection is real."""

from __future__ import annotations

import json
import socket
import ssl
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pytest_httpserver import HTTPServer
from sqlalchemy import select
from werkzeug import Request, Response

from hub.db.models.webhooks import RETRYING, WebhookAttempt, WebhookDelivery
from hub.paths import SCHEMAS_DIR
from hub.egress.targets import TargetRefused, check_target
from hub.egress.transport import webhook_session

NAME = "hooks.example.test"
PUBLIC = "93.184.215.14"  # a public address; nothing in these tests ever reaches it
PUBLIC_V6 = "2606:4700:4700::1111"


@dataclass
class FakeDns:
    """A resolver that controls NAME: query n gets answers[n] (the last answer repeats); [] means NXDOMAIN."""
    answers: list[list[str]]
    queries: int = 0

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real = socket.getaddrinfo

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
            if host != NAME:
                return real(host, port, *args, **kwargs)
            answer = self.answers[min(self.queries, len(self.answers) - 1)]
            self.queries += 1
            if not answer:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return [(socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, int(port), 0, 0)) if ":" in a
                    else (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, int(port)))
                    for a in answer]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDns]:
    fake = FakeDns([[]])
    fake.install(monkeypatch)
    yield fake


@dataclass
class Internet:
    """Connections to PUBLIC are recorded and refused (as a firewalled host would); all others are real."""
    connects: list[tuple[str, int]] = field(default_factory=list)


@pytest.fixture
def internet(monkeypatch: pytest.MonkeyPatch) -> Iterator[Internet]:
    net, real = Internet(), socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            net.connects.append((address[0], address[1]))
            if address[0] in (PUBLIC, PUBLIC_V6):
                raise ConnectionRefusedError(111, "Connection refused")
        real(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    yield net


def record_host(request: Request, hosts: list[str]) -> Response:
    hosts.append(request.headers["Host"])
    return Response("ok")


def post_delivery(client, tenant) -> str:  # type: ignore[no-untyped-def]
    doc = json.loads((SCHEMAS_DIR / "examples" / "delivery_input.v1.json").read_text())
    response = client.post("/api/v1/deliveries", json=doc, headers=tenant["headers"])
    assert response.status_code == 202, response.json
    return response.json["id"]


# -- the check ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("answer", [[PUBLIC, "10.0.0.5"], ["10.0.0.5", PUBLIC], [PUBLIC_V6, "::1"],
                                    [PUBLIC, "169.254.169.254"], [PUBLIC, "::ffff:127.0.0.1"]])
def test_one_private_address_among_public_ones_refuses_the_target(dns, answer):
    dns.answers = [answer]
    with pytest.raises(TargetRefused, match="not a public address"):
        check_target(f"https://{NAME}/hooks", allow_private=False)


def test_the_check_pins_the_resolvers_first_choice(dns):
    dns.answers = [[PUBLIC_V6, PUBLIC]]  # the resolver's preference order, not sorted
    assert check_target(f"https://{NAME}/hooks", allow_private=False) == PUBLIC_V6
    assert check_target(f"https://{PUBLIC}:8443/hooks", allow_private=False) == PUBLIC


def test_allowing_private_targets_pins_nothing(dns):
    dns.answers = [["127.0.0.1"]]
    assert check_target(f"http://{NAME}:8000/hooks", allow_private=True) is None
    assert dns.queries == 0  # nothing checked, so the request resolves (and falls back) as before


# -- the send -------------------------------------------------------------------------------------------

def test_a_rebinding_answer_is_never_connected_to(client, tenant, clean, run_jobs, receiver, subscribe, dns,
                                                  internet, httpserver, monkeypatch):
    """Public to the check, loopback to anyone who asks again: the POST goes to the public address only."""
    url = f"http://{NAME}:{httpserver.port}/hooks/hub"
    subscribe(url)
    monkeypatch.setattr(clean, "config", replace(clean.config, allow_private_webhook_targets=False))
    dns.answers = [[PUBLIC], ["127.0.0.1"]]
    post_delivery(client, tenant)
    run_jobs()
    assert receiver.received == []
    assert dns.queries == 1  # the check's; the connection did not ask again
    assert [c for c in internet.connects if c[1] == httpserver.port] == [(PUBLIC, httpserver.port)]
    with clean.sessions() as session:
        row = session.execute(select(WebhookDelivery)).scalar_one()
        attempt = session.execute(select(WebhookAttempt)).scalar_one()
    assert row.state == RETRYING  # refused connection: transient, as before
    assert attempt.error.startswith("ConnectionError") and PUBLIC in attempt.error


def test_the_pinned_address_is_used_and_host_names_the_url(httpserver, dns):
    """Real HTTP: the name does not resolve at all, yet the pinned request arrives, Host unchanged."""
    seen: list[str] = []
    httpserver.expect_request("/hooks/hub", method="POST").respond_with_handler(
        lambda request: record_host(request, seen))
    with webhook_session("127.0.0.1") as http:
        assert http.post(f"http://{NAME}:{httpserver.port}/hooks/hub", data=b"{}", timeout=5,
                         allow_redirects=False).status_code == 200
    assert seen == [f"{NAME}:{httpserver.port}"] and dns.queries == 0
    url = httpserver.url_for("/hooks/hub")  # http://localhost:<port>/...: pinned or not, the same Host
    for pinned in (None, "127.0.0.1"):
        with webhook_session(pinned) as http:
            assert http.post(url, data=b"{}", timeout=5).status_code == 200
    assert seen[1] == seen[2] == f"localhost:{httpserver.port}"


def test_private_targets_allowed_still_get_signed_deliveries(client, tenant, run_jobs, receiver, subscribe):
    sub = subscribe(receiver.url)  # http://localhost:<port>/hooks/hub; the test config allows loopback
    receiver.secrets = [sub["secret"]]
    post_delivery(client, tenant)
    run_jobs()
    [got] = receiver.received
    assert got.answered == 200 and got.verified_with == [sub["secret"]]
    assert got.headers["host"] == receiver.url.split("/")[2]


# -- TLS ------------------------------------------------------------------------------------------------

@dataclass
class TlsReceiver:
    port: int
    ca: Path  # the test CA that signed the server's certificate for NAME
    sni: list[str | None]
    hosts: list[str]


def _issue(name: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name, signer: ec.EllipticCurvePrivateKey,
           *, ca: bool) -> x509.Certificate:
    """A certificate valid for two days: the CA's own (ca=True) or a server's for DNS name `name`."""
    now = datetime.now(timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
               .issuer_name(issuer).public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=2))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
            critical=True)
    else:
        builder = (builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
    return builder.sign(signer, hashes.SHA256())


def _pem(item: Any) -> bytes:
    if isinstance(item, x509.Certificate):
        return item.public_bytes(serialization.Encoding.PEM)
    return item.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[TlsReceiver]:
    """An HTTPS server on 127.0.0.1 with a certificate for NAME only (no IP in it), from a throwaway CA."""
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_cert = _issue("hub test CA", ca_key, x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hub test CA")]),
                     ca_key, ca=True)
    leaf = _issue(NAME, leaf_key, ca_cert.subject, ca_key, ca=False)
    for file, item in (("ca.pem", ca_cert), ("leaf.pem", leaf), ("leaf.key", leaf_key)):
        (tmp_path / file).write_bytes(_pem(item))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "leaf.key")
    sni: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: sni.append(name)  # type: ignore[assignment]
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    hosts: list[str] = []
    server.expect_request("/hooks/hub", method="POST").respond_with_handler(
        lambda request: record_host(request, hosts))
    server.start()
    try:
        yield TlsReceiver(server.port, tmp_path / "ca.pem", sni, hosts)
    finally:
        server.clear()
        server.stop()


def test_https_verifies_the_certificate_against_the_urls_host(tls_receiver, dns):
    url = f"https://{NAME}:{tls_receiver.port}/hooks/hub"
    with webhook_session("127.0.0.1") as http:
        assert http.post(url, data=b"{}", timeout=5, verify=str(tls_receiver.ca)).status_code == 200
    assert tls_receiver.sni == [NAME] and tls_receiver.hosts == [f"{NAME}:{tls_receiver.port}"]
    assert dns.queries == 0


def test_https_to_the_pinned_address_still_refuses_a_certificate_for_another_name(tls_receiver, dns):
    other = f"https://other.example.test:{tls_receiver.port}/hooks/hub"  # same address, the cert names NAME
    with webhook_session("127.0.0.1") as http, pytest.raises(requests.exceptions.SSLError, match="match"):
        http.post(other, data=b"{}", timeout=5, verify=str(tls_receiver.ca))
    with webhook_session("127.0.0.1") as http, pytest.raises(requests.exceptions.SSLError, match="verify failed"):
        http.post(f"https://{NAME}:{tls_receiver.port}/hooks/hub", data=b"{}", timeout=5)  # default trust store
    assert tls_receiver.hosts == []
