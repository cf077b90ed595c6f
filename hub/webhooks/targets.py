"""SSRF guard: webhook URLs must be http(s) and resolve only to public addresses, checked when a
subscription is saved and again before every send (DNS can change in between). The send then connects to
the address this check approved (`hub.webhooks.transport`), so a second DNS answer cannot redirect it."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


class TargetRefused(Exception):
    """The URL may not be called; the message says why, in words an owner can act on."""


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (address.is_private or address.is_loopback or address.is_link_local or address.is_reserved
            or address.is_multicast or address.is_unspecified)


def resolve(host: str, port: int) -> list[str]:
    """Every address of `host`, in the resolver's order of preference (the first is the one to connect to)."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"the host {host!r} does not resolve ({exc})") from None
    return list(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))


def check_syntax(url: str) -> tuple[str, int]:
    """(host, port) of an absolute http(s) URL without credentials, or TargetRefused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("the URL must start with https:// (or http://)")
    if not parts.hostname:
        raise TargetRefused("the URL has no host")
    if parts.username or parts.password:
        raise TargetRefused("the URL must not carry a user name or password; use the signature to authenticate")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def check_target(url: str, *, allow_private: bool) -> str | None:
    """The address to connect to: the first the host resolves to, once every one of them is found public;
    TargetRefused if any is not. None when private targets are allowed: nothing is checked, so nothing is
    pinned, and the request resolves (and falls back across addresses) as usual."""
    host, port = check_syntax(url)
    if allow_private:
        return None
    addresses = resolve(host, port)
    for address in addresses:
        if _forbidden(ipaddress.ip_address(address)):
            raise TargetRefused(f"{host} resolves to {address}, a private, loopback, link-local or reserved "
                                "address; webhooks go to public addresses only")
    if not addresses:
        raise TargetRefused(f"the host {host!r} resolves to no address")
    return addresses[0]
