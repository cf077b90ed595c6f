"""Where the hub may connect: absolute http(s) URLs whose host resolves only to global addresses, checked
before every request and every redirect hop (DNS can change in between). The request then connects to the
address this check approved (`hub.egress.transport`), so a second DNS answer cannot redirect it.

"Global" is the standard library's `is_global` (the IANA special-purpose registries), not a list of
private ranges kept here, so carrier-grade NAT (100.64.0.0/10, which holds a cloud metadata address) and
every other non-global block are refused without naming them. An IPv6 address that carries an IPv4 one
(mapped, 6to4, Teredo, NAT64) is judged by the IPv4 address it leads to as well."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from hub.errors import ConfigurationError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# The 6to4 relay anycast block: deprecated (RFC 7526) and a way into whatever relay answers, yet Python's
# registry snapshot still calls it global.
SIX_TO_FOUR_RELAYS = ipaddress.ip_network("192.88.99.0/24")
# The well-known NAT64 prefix (RFC 6052): the last 32 bits are the IPv4 address the translator connects to.
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class TargetRefused(ConfigurationError):
    """The URL may not be called; the message says why, in words an owner can act on. A configuration error:
    retrying cannot help, the owner must change the URL (or the host's DNS)."""


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to: mapped, 6to4, Teredo (server and client), NAT64."""
    found = [address.ipv4_mapped] if address.ipv4_mapped is not None else []
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    if address in NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def is_public(address: Address) -> bool:
    """Whether the hub may connect to `address`: global, and so is every IPv4 address it carries."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d is a.b.c.d; only the inner address counts
            return is_public(address.ipv4_mapped)
        return _unicast_global(address) and all(is_public(v4) for v4 in embedded_ipv4(address))
    return _unicast_global(address) and address not in SIX_TO_FOUR_RELAYS


def _unicast_global(address: Address) -> bool:
    # Multicast is not a host to call, though Python counts most of it as global.
    return address.is_global and not address.is_multicast


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
        raise TargetRefused("the URL must not carry a user name or password")
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
        if not is_public(ipaddress.ip_address(address)):
            raise TargetRefused(f"{host} resolves to {address}, which is not a public address (private, "
                                "loopback, link-local, shared or reserved); the hub connects to public addresses only")
    if not addresses:
        raise TargetRefused(f"the host {host!r} resolves to no address")
    return addresses[0]
