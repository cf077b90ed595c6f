"""Assignment policies: the JSON document (schemas/assignment_policy.v1.json) and the engine's Policy."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, fields, validate

from hub.assignment.model import Override, Policy, Weights
from hub.canonical.validation import FieldError, validate_document

SCHEMA = "assignment_policy.v1"
DEFAULT_DOCUMENT: dict[str, Any] = {"strategy": "balanced"}
STRATEGY_NAMES = ("cheapest", "fastest", "own_fleet_first", "balanced")


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


# marshmallow twins of the JSON Schema (the canonical tests hold the two together).
_AMOUNT = validate.Regexp(r"^\d+(\.\d+)?$")


class WeightsSchema(Schema):
    cost = fields.Float(validate=validate.Range(0, 1))
    eta = fields.Float(validate=validate.Range(0, 1))
    rating = fields.Float(validate=validate.Range(0, 1))
    quality = fields.Float(validate=validate.Range(0, 1))


class MatchSchema(Schema):
    zones = fields.List(fields.String())
    postal_prefixes = fields.List(fields.String())
    service_levels = fields.List(fields.String())


class OverrideSchema(Schema):
    name = fields.String()
    match = fields.Nested(MatchSchema, required=True)
    strategy = fields.String(validate=validate.OneOf(STRATEGY_NAMES))
    weights = fields.Nested(WeightsSchema)
    max_cost = fields.String(validate=_AMOUNT)


class AssignmentPolicySchema(Schema):
    strategy = fields.String(validate=validate.OneOf(STRATEGY_NAMES))
    weights = fields.Nested(WeightsSchema)
    max_cost = fields.String(validate=_AMOUNT)
    currency = fields.String(validate=validate.Regexp(r"^[A-Z]{3}$"))
    zones = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    overrides = fields.List(fields.Nested(OverrideSchema))
