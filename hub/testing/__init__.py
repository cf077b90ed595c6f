"""The connector contract test kit (needs pytest).

A connector package's tests subclass :class:`ConnectorContract` and name the connector and its payloads
folder (settings, golden files, recorded requests); see :mod:`hub.testing.contract`,
:mod:`hub.testing.payloads` and ``docs/connectors/writing-a-connector.md``.
"""

from hub.testing.contract import ConnectorContract
from hub.testing.golden import (
    FIXED_NOW,
    GoldenCase,
    build_context,
    discover_cases,
    dump_mapped,
    update_requested,
    write_expected,
)
from hub.testing.guards import ImpureCall, no_clock, no_network
from hub.testing.inbound import flip_byte, make_request, with_setting
from hub.testing.payloads import PayloadError, Payloads, RecordedRequest, load_payloads

__all__ = [
    "FIXED_NOW",
    "ConnectorContract",
    "GoldenCase",
    "ImpureCall",
    "PayloadError",
    "Payloads",
    "RecordedRequest",
    "build_context",
    "discover_cases",
    "dump_mapped",
    "flip_byte",
    "load_payloads",
    "make_request",
    "no_clock",
    "no_network",
    "update_requested",
    "with_setting",
    "write_expected",
]
