"""marshmallow twin of schemas/assignment_policy.v1.json: how a tenant's deliveries go to its fleet or carriers.

``load`` gives amounts (max_cost) as ``Decimal``; ``dump`` writes them back as decimal strings.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from hub.canonical.delivery import NON_EMPTY, CanonicalSchema
from hub.canonical.fields import DecimalString, Number
from hub.canonical.vocabulary import AMOUNT_PATTERN, ASSIGNMENT_STRATEGIES, POLICY_CURRENCY_PATTERN, SERVICE_LEVELS

_AMOUNT_RE = re.compile(AMOUNT_PATTERN)
_WEIGHT = validate.Range(min=0, max=1)


def _unsigned_amount(value: Decimal) -> None:
    """Validator: ``$defs/Amount`` has no sign (``^\\d+(\\.\\d+)?$``), so -1 and -0 are refused."""
    if not _AMOUNT_RE.match(format(value, "f")):
        raise ValidationError("Not an amount without a sign, e.g. \"12.50\".")


def _amount(**kwargs: Any) -> DecimalString:
    """An amount of money as a decimal string (``$defs/Amount``)."""
    return DecimalString(validate=_unsigned_amount, metadata={"pattern": AMOUNT_PATTERN}, **kwargs)


def _strategy() -> fields.String:
    return fields.String(validate=validate.OneOf(ASSIGNMENT_STRATEGIES))


def _non_empty_list(item: fields.Field) -> fields.List:
    return fields.List(item, validate=validate.Length(min=1))


class _NotEmpty(CanonicalSchema):
    """An object with ``minProperties: 1``."""

    class Meta(CanonicalSchema.Meta):
        openapi = {"minProperties": 1}

    empty_message = "Give at least one key."

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data:
            raise ValidationError(self.empty_message)


class WeightsSchema(_NotEmpty):
    """Relative weights of the score parts (``$defs/Weights``), each 0..1."""

    empty_message = "Weights need at least one of cost, eta, rating, quality."

    cost = Number(validate=_WEIGHT)
    eta = Number(validate=_WEIGHT)
    rating = Number(validate=_WEIGHT)
    quality = Number(validate=_WEIGHT)


class OverrideMatchSchema(_NotEmpty):
    """Where an override applies; every key given must fit the delivery."""

    empty_message = "A match needs at least one of zones, postal_prefixes, service_levels."

    zones = _non_empty_list(fields.String())
    postal_prefixes = _non_empty_list(fields.String(validate=NON_EMPTY))
    service_levels = _non_empty_list(fields.String(validate=validate.OneOf(SERVICE_LEVELS)))


class OverrideSchema(CanonicalSchema):
    """One override: where it applies (match) and what it changes."""

    name = fields.String()
    match = fields.Nested(OverrideMatchSchema, required=True)
    strategy = _strategy()
    weights = fields.Nested(WeightsSchema)
    max_cost = _amount()


class AssignmentPolicySchema(CanonicalSchema):
    """A tenant's assignment policy (schemas/assignment_policy.v1.json)."""

    strategy = _strategy()
    weights = fields.Nested(WeightsSchema)
    max_cost = _amount()
    currency = fields.String(
        validate=validate.Regexp(POLICY_CURRENCY_PATTERN, error="Not an ISO 4217 currency code like EUR.")
    )
    zones = fields.Dict(keys=fields.String(), values=_non_empty_list(fields.String(validate=NON_EMPTY)))
    overrides = fields.List(fields.Nested(OverrideSchema))
