"""What a connector's tests may check against the hub itself, without importing the hub's internals.

- ``PAYLOADS_DIR``: real store and carrier payload samples kept in the repository (tests/data/payloads).
- ``SCHEMAS_DIR``: the canonical JSON Schemas (schemas/).
- ``validate_document(name, doc)``: field errors of ``doc`` against a canonical schema (``"delivery_input.v1"``).
- ``validate_carrier_report(body)``: field errors of a carrier report as the hub's carrier API checks it.
- ``classify_exception(exc)``: how the hub classifies what a client raised (transient, permanent, configuration).
"""

from __future__ import annotations

from hub.canonical.validation import validate_document
from hub.carriers.exchange import validate_report as validate_carrier_report
from hub.errors import classify_exception
from hub.paths import PAYLOADS_DIR, SCHEMAS_DIR

__all__ = ["PAYLOADS_DIR", "SCHEMAS_DIR", "classify_exception", "validate_carrier_report", "validate_document"]
