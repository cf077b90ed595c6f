"""The outside world for the egress tests: a resolver that answers for a few names, and a network where a
public address is a local server in disguise. Nothing here ever connects beyond 127.0.0.1."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any, Iterator

import pytest

from hub.egress import policy

PUBLIC = "93.184.215.14"  # a public address; a connection to it is sent to 127.0.0.1 instead, never out
PUBLIC_V6 = "2606:4700:4700::1111"


@dataclass
class FakeDns:
    """Answers for the names in `names` (query n of a name gets its n-th answer, the last repeats)."""
    names: dict[str, list[list[str]]] = field(default_factory=dict)
    queries: list[str] = field(default_factory=list)

    def answer(self, host: str, port: int) -> list[Any]:
        answers = self.names[host]
        asked = self.queries.count(host)
        self.queries.append(host)
        found = answers[min(asked, len(answers) - 1)]
        if not found:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port, 0, 0)) if ":" in a
                else (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port)) for a in found]


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDns]:
    fake, real = FakeDns(), socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host in fake.names:
            return fake.answer(host, int(port))
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield fake


@dataclass
class Network:
    connects: list[tuple[str, int]] = field(default_factory=list)


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> Iterator[Network]:
    """Records every TCP connect; one to PUBLIC reaches the local server on the same port."""
    net, real = Network(), socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            net.connects.append((address[0], address[1]))
            if address[0] == PUBLIC:
                return real(sock, ("127.0.0.1", address[1]))
            if address[0] != "127.0.0.1" and address[0] != "::1":
                raise AssertionError(f"a test tried to connect to {address[0]}")
        real(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    yield net


@pytest.fixture
def guarded() -> Iterator[None]:
    """Private targets refused, as in production (the suite allows them for its stand-ins)."""
    with policy.bound(False):
        yield
