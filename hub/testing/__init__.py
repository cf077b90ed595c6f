"""Testing a connector: the contract test kit and stand-ins for the systems a connector talks to.

A connector package's tests subclass :class:`ConnectorContract` and name the connector and its payloads
folder (settings, golden files, recorded requests); see :mod:`hub.testing.contract`,
:mod:`hub.testing.payloads` and ``docs/connectors/writing-a-connector.md``.
:mod:`hub.testing.standin` is the local HTTP server a connector's stand-in (``connectors/<id>/testing.py``)
builds on; ``hub demo`` uses those stand-ins too, without pytest.
"""

from typing import Any

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
from hub.testing.hub_side import (
    PAYLOADS_DIR,
    SCHEMAS_DIR,
    classify_exception,
    validate_carrier_report,
    validate_document,
)
from hub.testing.inbound import flip_byte, make_request, with_setting
from hub.testing.payloads import PayloadError, Payloads, RecordedRequest, load_payloads

__all__ = [
    "PAYLOADS_DIR",
    "SCHEMAS_DIR",
    "classify_exception",
    "validate_carrier_report",
    "validate_document",
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


def __getattr__(name: str) -> Any:
    # The kit imports pytest, which only tests have: load it when a test asks for it, not with the stand-ins.
    if name == "ConnectorContract":
        from hub.testing.contract import ConnectorContract

        return ConnectorContract
    raise AttributeError(f"module 'hub.testing' has no attribute {name!r}")
