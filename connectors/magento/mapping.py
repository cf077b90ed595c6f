"""Magento 2 order (REST ``GET /V1/orders`` item) → canonical delivery. Pure: no HTTP, no clock.

Problems in the data become warnings (data-quality flags), never exceptions. The value tables
(mappings/magento/: service levels, order states; mappings/common/: service-level and address words,
weight units) are loaded and checked at import, and patched per installation by the owner's overrides.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from hub.plugins import (
    ADDRESS_WORDS, MAPPINGS_DIR, SERVICE_LEVEL_WORDS, WEIGHT_UNITS, MappedDelivery, MappingContext, MappingWarning,
    Table, drop_none, is_pickup, load_table, normalize_phone, service_level_of, to_grams,
)

TABLES = MAPPINGS_DIR / "magento"
LEVELS = load_table(TABLES, "service_levels")
ORDER_STATES = load_table(TABLES, "order_states")
VIRTUAL_TYPES = frozenset({"virtual", "downloadable"})
# The common unit words (longest first, so "apartment" wins over "apt"), or a bare number sign.
_UNIT_WORDS = "(?:(?:" + "|".join(
    re.escape(w) for w in sorted(ADDRESS_WORDS["words"]["unit"], key=len, reverse=True)) + r")\.?|#)"
UNIT_LINE = re.compile(rf"^{_UNIT_WORDS}\s*[\w/-]+$", re.IGNORECASE)
UNIT_SUFFIX = re.compile(rf"(?:,\s*|\s+)({_UNIT_WORDS}\s*[\w/-]+)$", re.IGNORECASE)

# The extension attribute a Magento module adds to the order for the slot picker's held window id.
SLOT_ATTRIBUTE = "hub_slot_reservation"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        parsed = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return parsed if parsed.is_finite() else None


def shipping(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    """The first shipping assignment's ``shipping`` block (address and method), or {}."""
    assignments = (raw.get("extension_attributes") or {}).get("shipping_assignments") or []
    first = assignments[0] if assignments and isinstance(assignments[0], Mapping) else {}
    return first.get("shipping") or {}


def extra_assignments(raw: Mapping[str, Any]) -> int:
    """How many shipping assignments follow the first (multi-address checkout): the hub maps the first."""
    assignments = (raw.get("extension_attributes") or {}).get("shipping_assignments") or []
    return max(0, len([a for a in assignments if isinstance(a, Mapping)]) - 1)


def shipped_by_store(raw: Mapping[str, Any], state: str) -> bool:
    """The store shipped everything itself: state complete, or every physical line shipped in full."""
    lines = physical_lines(raw)
    return state == "complete" or (bool(lines) and all(
        (number(item.get("qty_shipped")) or 0) >= remaining_qty(item) for item, _ in lines))


def order_state(raw: Mapping[str, Any]) -> str:
    return (_text(raw.get("state")) or _text(raw.get("status")) or "").lower()


def state_action(state: str, table: Table = ORDER_STATES) -> str | None:
    """``deliver``, ``hold`` or ``cancel`` for a known state (mappings/magento/order_states.yaml), else None."""
    return table["statuses"].get(state)


def cancelled(raw: Mapping[str, Any]) -> bool:
    """True when the store says this order will not ship (state canceled or closed)."""
    return state_action(order_state(raw)) == "cancel"


def _address(address: Mapping[str, Any], ctx: MappingContext, warnings: list[MappingWarning]) -> dict[str, Any]:
    street = address.get("street") or []
    parts = street.splitlines() if isinstance(street, str) else street  # an array in REST, lines in some exports
    lines = [line for line in (_text(part) for part in parts) if line]
    line1, rest, unit = (lines[0] if lines else None), lines[1:], None
    for candidate in list(rest):
        if unit is None and UNIT_LINE.match(candidate):
            unit = candidate
            rest.remove(candidate)
    if unit is None and line1 and (found := UNIT_SUFFIX.search(line1)) and found.start() > 0:
        unit, line1 = found.group(1), line1[: found.start()].rstrip(" ,")
    line2 = ", ".join([*rest, *([c] if (c := _text(address.get("company"))) else [])]) or None
    if line1 is None:
        warnings.append(MappingWarning("address_missing_street", "the shipping address has no street",
                                       "$.dropoff.address.line1", "error"))
    country = (_text(address.get("country_id")) or "").upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        country = str(ctx.settings.get("default_country") or "US")
        warnings.append(MappingWarning("country_defaulted", f"address has no country; used the installation default {country}",
                                       "$.dropoff.address.country", "info"))
    city = _text(address.get("city"))
    if city is None:
        warnings.append(MappingWarning("address_missing_city", "the shipping address has no city",
                                       "$.dropoff.address.city", "error"))
    return drop_none({
        "line1": line1 or "(no street given)", "line2": line2, "unit": unit, "city": city or "(no city given)",
        "region": _text(address.get("region_code")) or _text(address.get("region")),
        "postal_code": _text(address.get("postcode")), "country": country,
    })


def _contact(raw: Mapping[str, Any], address: Mapping[str, Any], country: str,
             warnings: list[MappingWarning]) -> dict[str, Any]:
    name = " ".join(p for p in (_text(address.get("firstname")), _text(address.get("lastname"))) if p) or " ".join(
        p for p in (_text(raw.get("customer_firstname")), _text(raw.get("customer_lastname"))) if p)
    if not name:
        name = "Unknown recipient"
        warnings.append(MappingWarning("contact_name_missing", "the order names no recipient",
                                       "$.dropoff.contact.name", "error"))
    raw_phone = _text(address.get("telephone"))
    phone, flag = normalize_phone(raw_phone, country)
    if flag is not None:
        warnings.append(MappingWarning(flag["code"], flag["message"], flag.get("field"), flag.get("severity", "warning")))
    email = _text(raw.get("customer_email")) or _text(address.get("email"))
    if email is not None and "@" not in email:
        warnings.append(MappingWarning("email_invalid", f"{email!r} is not an email address; left out",
                                       "$.dropoff.contact.email"))
        email = None
    return drop_none({"name": name, "phone": phone or raw_phone, "email": email})


def _grams(weight: Any, unit: str, units: Table) -> int | None:
    """Whole grams, or None when the store gives no weight; 0 is no weight too (a product nobody weighed)."""
    amount = number(weight)
    return None if amount is None or amount <= 0 else to_grams(amount, unit, units)


def is_virtual(item: Mapping[str, Any]) -> bool:
    return item.get("product_type") in VIRTUAL_TYPES or str(item.get("is_virtual") or "0") in ("1", "True", "true")


def parent_id(item: Mapping[str, Any]) -> Any:
    return item.get("parent_item_id") or (item.get("parent_item") or {}).get("item_id")


def _fixed_weight_bundle(item: Mapping[str, Any]) -> bool:
    """A bundle with its own weight ships as one parcel; a dynamic-weight bundle (weight 0 or none)
    is weighed by its children, which then become the parcels."""
    weight = number(item.get("weight"))
    return weight is not None and weight > 0


def physical_lines(raw: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], Mapping[str, Any] | None]]:
    """The order lines that are physical parcels, each once: (line, its configurable child or None).
    Configurable parents carry quantity and weight (their child is skipped); dynamic bundles are
    carried by their children; fixed-weight bundles by the parent; virtual/downloadable lines are out."""
    items = [i for i in raw.get("items") or [] if isinstance(i, Mapping)]
    by_id = {i.get("item_id"): i for i in items if i.get("item_id") is not None}
    children: dict[Any, list[Mapping[str, Any]]] = {}
    for item in items:
        if parent_id(item) is not None:
            children.setdefault(parent_id(item), []).append(item)
    lines = []
    for item in items:
        parent_ref = parent_id(item)
        if parent_ref is not None:
            parent = by_id.get(parent_ref) or item.get("parent_item") or {}
            if parent.get("product_type") != "bundle" or _fixed_weight_bundle(parent) or is_virtual(parent):
                continue  # configurable child, or part of a bundle weighed as one
        elif item.get("product_type") == "bundle" and not _fixed_weight_bundle(item) and children.get(item.get("item_id")):
            continue  # its children are the parcels
        if is_virtual(item):
            continue
        kids = children.get(item.get("item_id")) or []
        child = kids[0] if item.get("product_type") == "configurable" and len(kids) == 1 else None
        lines.append((item, child))
    return lines


def remaining_qty(item: Mapping[str, Any]) -> Decimal:
    """Ordered minus cancelled minus refunded: what still has to reach the customer."""
    ordered = number(item.get("qty_ordered")) or Decimal(0)
    return ordered - (number(item.get("qty_canceled")) or 0) - (number(item.get("qty_refunded")) or 0)


def _parcels(raw: Mapping[str, Any], unit: str, warnings: list[MappingWarning], units: Table) -> list[dict[str, Any]]:
    parcels: list[dict[str, Any]] = []
    for item, child in physical_lines(raw):
        qty = remaining_qty(item)
        if qty <= 0:
            continue
        index = len(parcels)
        if qty != qty.to_integral_value():
            warnings.append(MappingWarning("parcel_quantity_fractional", f"quantity {qty} rounded up to a whole parcel count",
                                           f"$.parcels[{index}].quantity"))
        grams = _grams(item.get("weight"), unit, units)
        if grams is None:
            warnings.append(MappingWarning("parcel_weight_missing", f"item {item.get('sku')!r} has no weight",
                                           f"$.parcels[{index}].weight_g"))
        parcels.append(drop_none({
            "sku": _text(item.get("sku")), "description": _text((child or {}).get("name")) or _text(item.get("name")),
            "quantity": max(1, math.ceil(qty)), "weight_g": grams,
        }))
    return parcels


def service_level(raw: Mapping[str, Any], ctx: MappingContext, warnings: list[MappingWarning]) -> str:
    method = _text(shipping(raw).get("method")) or _text(raw.get("shipping_method"))
    description = _text(raw.get("shipping_description")) or ""
    level = service_level_of([t for t in (method, description) if t], LEVELS.in_context(ctx),
                             words=SERVICE_LEVEL_WORDS.in_context(ctx), owner=ctx.settings.get("service_levels") or {})
    if level is not None:
        return level
    warnings.append(MappingWarning("service_level_unknown", f"unknown shipping method {method!r} ({description!r})",
                                   "$.service_level"))
    return "unknown"


def _money(raw: Mapping[str, Any]) -> dict[str, str] | None:
    """The value of the goods: ``subtotal`` plus ``discount_amount`` (negative), before shipping, fees and
    tax; not ``grand_total``."""
    subtotal, discount = number(raw.get("subtotal")), number(raw.get("discount_amount")) or Decimal(0)
    amount = None if subtotal is None else subtotal + discount
    currency = (_text(raw.get("order_currency_code")) or "").upper()
    if amount is None or not re.fullmatch(r"[A-Z]{3}", currency):
        return None
    return {"amount": f"{amount:.2f}", "currency": currency}


def to_delivery(raw: Mapping[str, Any], ctx: MappingContext) -> MappedDelivery:
    """Map one Magento order. Skips (with a reason) orders that will not or cannot be delivered yet."""
    warnings: list[MappingWarning] = []
    state = order_state(raw)
    if _text(raw.get("entity_id")) is None:
        return MappedDelivery.skipped("not deliverable: the order has no entity_id")
    states = ORDER_STATES.in_context(ctx)
    action = state_action(state, states)
    if action == "cancel":
        return MappedDelivery.skipped(f"order {state} at the store")
    if action in ("hold", "awaiting_payment"):
        reason = states.get("reasons", {}).get(state) or f"order state {state}"
        return MappedDelivery.skipped(f"not deliverable yet: {reason}")
    if action is None:
        warnings.append(MappingWarning("order_state_unknown", f"unknown Magento order state {state!r}; treated as deliverable",
                                       None, "info"))
    method = _text(shipping(raw).get("method")) or _text(raw.get("shipping_method"))
    if is_pickup([t for t in (method, _text(raw.get("shipping_description"))) if t], LEVELS.in_context(ctx)):
        # In-Store Pickup: the "shipping address" is the store's own; the customer collects.
        return MappedDelivery.skipped("not deliverable: the customer picks the order up (in-store pickup)")
    unit = str(ctx.settings.get("weight_unit") or "kgs")
    parcels = _parcels(raw, unit, warnings, WEIGHT_UNITS.in_context(ctx))
    if not parcels:
        return MappedDelivery.skipped("not deliverable: no physical items (virtual or downloadable only)")
    address = shipping(raw).get("address")
    if not isinstance(address, Mapping) or not address:
        return MappedDelivery.skipped("not deliverable: the order has no shipping address")
    dropoff_address = _address(address, ctx, warnings)
    if extra := extra_assignments(raw):
        warnings.append(MappingWarning(
            "shipping_assignment_ignored", f"the order ships to {extra + 1} addresses; only the first is delivered, "
            "the other items need a delivery of their own", "$.dropoff.address"))
    store = urlsplit(str(ctx.settings.get("base_url") or "")).hostname
    delivery = drop_none({
        "source": {
            "connector": ctx.connector, "installation_id": ctx.installation_id,
            "external_id": _text(raw.get("entity_id")), "external_order_number": _text(raw.get("increment_id")),
            "store": store,
        },
        "service_level": service_level(raw, ctx, warnings),
        "dropoff": {
            "contact": _contact(raw, address, dropoff_address["country"], warnings),
            "address": dropoff_address,
        },
        "parcels": parcels,
        "declared_value": _money(raw),
        "notes": _text(raw.get("customer_note")),
        "slot_reservation_id": _text((raw.get("extension_attributes") or {}).get(SLOT_ATTRIBUTE)),
    })
    return MappedDelivery(delivery=delivery, warnings=warnings, shipped_by_source=shipped_by_store(raw, state))
