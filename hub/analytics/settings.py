"""The tenant's analytics settings (tenants.settings["analytics"]), read with documented defaults.

Every key is optional; an unusable value falls back to its default and is named in `problems`, so a typo
never stops the figures (README "Analytics" lists each key)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

# A driver's loaded hourly cost (wage, taxes, insurance) when the vehicle names none; a middle-of-the-road
# European courier figure, for a tenant to replace with its own.
DEFAULT_DRIVER_COST_PER_HOUR = 25.0
# Fuel or energy, wear and depreciation of a small van per kilometre.
DEFAULT_COST_PER_KM = 0.30
# What the customer pays for delivery, per service level, when the order carries no fee of its own.
DEFAULT_FEES = {"same_day": 9.90, "express": 12.90, "next_day": 5.90, "scheduled": 5.90, "economy": 3.90,
                "unknown": 4.90}
# Leading characters of a postal code that name an area (3: "750" of 75011, "SW1" of SW1A 1AA).
DEFAULT_POSTAL_AREA_CHARS = 3
# H3 resolution of the failed-delivery heatmap: 8 is ~0.7 km² per hexagon, a few streets.
DEFAULT_H3_RESOLUTION = 8


@dataclass(frozen=True)
class AnalyticsSettings:
    driver_cost_per_hour: float = DEFAULT_DRIVER_COST_PER_HOUR
    cost_per_km: float = DEFAULT_COST_PER_KM
    fees: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_FEES))
    postal_area_chars: int = DEFAULT_POSTAL_AREA_CHARS
    h3_resolution: int = DEFAULT_H3_RESOLUTION
    problems: tuple[str, ...] = ()

    def fee_for(self, service_level: str) -> float:
        return self.fees.get(service_level, self.fees.get("unknown", DEFAULT_FEES["unknown"]))


def _amount(value: Any) -> float | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return float(number) if number.is_finite() and number >= 0 else None


def read_settings(tenant_settings: dict[str, Any] | None) -> AnalyticsSettings:
    block = (tenant_settings or {}).get("analytics") or {}
    if not isinstance(block, dict):
        return AnalyticsSettings(problems=("analytics: must be an object; defaults used",))
    problems: list[str] = []
    values: dict[str, Any] = {}
    for key in ("driver_cost_per_hour", "cost_per_km"):
        if key in block:
            amount = _amount(block[key])
            if amount is None:
                problems.append(f"analytics.{key}: not a non-negative amount; default used")
            else:
                values[key] = amount
    fees = dict(DEFAULT_FEES)
    for level, raw in (block.get("fees") or {}).items() if isinstance(block.get("fees"), dict) else ():
        amount = _amount(raw)
        if amount is None:
            problems.append(f"analytics.fees.{level}: not a non-negative amount; default used")
        else:
            fees[str(level)] = amount
    values["fees"] = fees
    for key, low, high in (("postal_area_chars", 1, 10), ("h3_resolution", 0, 15)):
        if key in block:
            raw = block[key]
            if isinstance(raw, int) and not isinstance(raw, bool) and low <= raw <= high:
                values[key] = raw
            else:
                problems.append(f"analytics.{key}: must be a whole number from {low} to {high}; default used")
    return AnalyticsSettings(**values, problems=tuple(problems))
