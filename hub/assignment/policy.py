"""Assignment policies: the JSON document (schemas/assignment_policy.v1.json) and the engine's Policy.

The marshmallow twin of the document is hub/canonical/policy.py.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hub.assignment.model import Override, Policy, Weights
from hub.canonical.validation import FieldError, validate_document

SCHEMA = "assignment_policy.v1"
DEFAULT_DOCUMENT: dict[str, Any] = {"strategy": "balanced"}


def validate_policy(doc: Any) -> list[FieldError]:
    return validate_document(SCHEMA, doc)


def _weights(doc: dict[str, Any] | None) -> Weights | None:
    if not doc:
        return None
    return Weights(**{k: float(v) for k, v in doc.items()})


def _money(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


def policy_from_document(doc: dict[str, Any], version: int = 0) -> Policy:
    """The engine's Policy for a document that validates against the schema (check with validate_policy)."""
    overrides = tuple(
        Override(
            name=o.get("name", ""), zones=tuple(o["match"].get("zones", ())),
            postal_prefixes=tuple(o["match"].get("postal_prefixes", ())),
            service_levels=tuple(o["match"].get("service_levels", ())), strategy=o.get("strategy"),
            weights=_weights(o.get("weights")), max_cost=_money(o.get("max_cost")),
        )
        for o in doc.get("overrides", [])
    )
    return Policy(
        strategy=doc.get("strategy", "balanced"), weights=_weights(doc.get("weights")),
        max_cost=_money(doc.get("max_cost")), currency=doc.get("currency", "EUR"),
        zones=tuple((name, tuple(prefixes)) for name, prefixes in sorted(doc.get("zones", {}).items())),
        overrides=overrides, version=version,
    )

