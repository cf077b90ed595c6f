"""Which addresses the hub may connect to: global ones only, judged by `is_global` and by the IPv4 address an
IPv6 one carries (mapped, 6to4, Teredo, NAT64). A fake resolver answers; nothing is connected to."""

from __future__ import annotations

import ipaddress

import pytest

from hub.egress import TargetRefused, check_target, is_public
from tests.egress.conftest import PUBLIC, PUBLIC_V6

NAME = "api.shop.example.test"

REFUSED = [
    "100.64.0.1",  # carrier-grade NAT: holds a cloud metadata address (Alibaba's 100.100.100.200)
    "100.100.100.200",
    "192.88.99.1",  # the deprecated 6to4 relay anycast block
    "2002:7f00:1::",  # 6to4 wrapping 127.0.0.1
    "2002:a00:5::1",  # 6to4 wrapping 10.0.0.5
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, its client 127.0.0.1
    "64:ff9b::7f00:1",  # NAT64 to 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 to 169.254.169.254
    "::ffff:127.0.0.1", "127.0.0.1", "10.0.0.5", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0",
    "::1", "fe80::1", "fc00::1", "224.0.0.1", "239.1.2.3", "ff0e::1", "198.18.0.1", "240.0.0.1",
]


@pytest.mark.parametrize("address", REFUSED)
def test_a_host_resolving_to_a_non_global_address_is_refused(dns, address):
    dns.names[NAME] = [[address]]
    with pytest.raises(TargetRefused, match="not a public address"):
        check_target(f"https://{NAME}/admin/api", allow_private=False)
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", [PUBLIC, PUBLIC_V6, "64:ff9b::5db8:d70e", "2002:5db8:d70e::1"])
def test_global_addresses_and_wrappers_of_global_ones_are_allowed_and_pinned(dns, address):
    dns.names[NAME] = [[address]]
    assert check_target(f"https://{NAME}/admin/api", allow_private=False) == address


def test_one_refused_address_among_public_ones_refuses_the_host(dns):
    dns.names[NAME] = [[PUBLIC, "100.64.0.1"]]
    with pytest.raises(TargetRefused, match="100.64.0.1"):
        check_target(f"https://{NAME}/", allow_private=False)


def test_allowing_private_targets_checks_only_the_url(dns):
    dns.names[NAME] = [["127.0.0.1"]]
    assert check_target(f"http://{NAME}:8000/", allow_private=True) is None
    assert dns.queries == []
    with pytest.raises(TargetRefused, match="https://"):
        check_target("file:///etc/passwd", allow_private=True)
