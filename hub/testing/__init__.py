"""The connector contract test kit (needs pytest).

A connector package's tests subclass :class:`ConnectorContract` and point it at the package's spec,
settings, golden files and signed requests; see :mod:`hub.testing.contract` and
``docs/connectors/writing-a-connector.md``.
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
from hub.testing.hub_side import PAYLOADS_DIR, SCHEMAS_DIR, classify_exception, validate_carrier_report, validate_document
from hub.testing.inbound import flip_byte, make_request, with_setting

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
    "build_context",
    "discover_cases",
    "dump_mapped",
    "flip_byte",
    "make_request",
    "no_clock",
    "no_network",
    "update_requested",
    "with_setting",
    "write_expected",
]
