"""Weight units (``mappings/common/weight_units.yaml``): a source's unit word to the canonical grams."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from hub.paths import MAPPINGS_DIR
from hub.plugins.tables import Table, load_table

__all__ = ["WEIGHT_UNITS", "to_grams"]

#: Unit word (``kg``, ``g``, ``lbs``, ``oz``...) → grams per unit, under ``units``.
WEIGHT_UNITS: Table = load_table(MAPPINGS_DIR / "common", "weight_units")


def to_grams(value: object, unit: str, units: Table = WEIGHT_UNITS) -> int | None:
    """``to_grams("1.5", "kg")`` → 1500 (rounded to a whole gram); None for a value that is not a
    number or a unit the table does not know. Decimal arithmetic, so 0.1 kg is 100 g, not 99."""
    grams_per_unit = units["units"].get(unit)
    if grams_per_unit is None or value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0:
        return None
    return int((amount * Decimal(str(grams_per_unit))).to_integral_value())
