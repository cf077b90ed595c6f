"""WooCommerce order JSON → canonical delivery. Pure: no HTTP, no clock, no state.

The input is the body of an ``order.created``/``order.updated``/``order.restored`` webhook, which is
the same JSON as ``GET /wp-json/wc/v3/orders/<id>``. Problems in the data become warnings
(data-quality flags), never exceptions.

Decisions (see docs/connectors/woocommerce.md):
- Only paid orders are delivered: ``processing`` and ``completed`` (plus the owner's
  ``extra_deliverable_statuses``). ``pending``, ``on-hold`` (WooCommerce's "awaiting payment
  confirmation"), ``failed`` and the draft statuses are skipped as "awaiting payment"; the hub
  cancels a delivery whose order falls back to one of them. Unknown statuses are skipped with a warning.
- WooCommerce puts no product weight on orders: a parcel gets ``weight_g`` only from line-item meta
  (mappings/woocommerce/weight_meta_keys.yaml, units in mappings/common/weight_units.yaml), otherwise an ``info`` warning, so that every WooCommerce order does not
  land in needs_attention.
- Texts are HTML-unescaped (WooCommerce stores "Ship Your Idea &ndash; Color: Black").
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from hub.plugins import (
    ADDRESS_WORDS, MAPPINGS_DIR, WEIGHT_UNITS, MappedDelivery, MappingContext, MappingWarning, drop_none,
    load_table, normalize_phone, split_address_line, to_grams,
)

TABLES = MAPPINGS_DIR / "woocommerce"
SERVICE_LEVELS = load_table(TABLES, "service_levels")
ORDER_STATUSES = load_table(TABLES, "order_statuses")
WEIGHT_META_KEYS = load_table(TABLES, "weight_meta_keys")

MONEY = re.compile(r"^-?\d+(\.\d+)?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
COUNTRY = re.compile(r"^[A-Z]{2}$")

# Order meta the shop's checkout writes with the slot picker's held window id (a leading underscore hides it
# from the order screen in WooCommerce; both spellings are read).
SLOT_META_KEYS = frozenset({"_hub_slot_reservation", "hub_slot_reservation"})


def text(value: Any) -> str | None:
    """A stripped, HTML-unescaped string, or None for missing/blank values."""
    if value is None or isinstance(value, (dict, list)):
        return None
    out = html.unescape(str(value)).strip()
    return out or None


def _join(*parts: str | None, sep: str = " ") -> str | None:
    kept = [p for p in parts if p]
    return sep.join(kept) or None


def order_status(raw: Mapping[str, Any]) -> str:
    status = str(raw.get("status") or "").strip().lower()
    return status[3:] if status.startswith("wc-") else status


def _extra_statuses(ctx: MappingContext) -> set[str]:
    return {s.strip() for s in str(ctx.settings.get("extra_deliverable_statuses") or "").split(",") if s.strip()}


def _status_skip(raw: Mapping[str, Any], ctx: MappingContext) -> MappedDelivery | None:
    status = order_status(raw)
    if status in _extra_statuses(ctx):
        return None
    action = ORDER_STATUSES.in_context(ctx)["statuses"].get(status)
    if action == "deliver":
        return None
    if action == "awaiting_payment":
        return MappedDelivery.skipped(f"awaiting payment: status {status}")
    if action == "cancel":
        return MappedDelivery.skipped(f"not deliverable: order {status}")
    return MappedDelivery.skipped(f"not deliverable: unknown order status {status!r}", [MappingWarning(
        "order_status_unknown", f"order status {status!r} is not known; list it in extra_deliverable_statuses "
        "to deliver such orders", None, "warning")])


def _method(line: Mapping[str, Any]) -> str:
    return str(line.get("method_id") or "").split(":", 1)[0].strip()


def _service_level(lines: list[Mapping[str, Any]], ctx: MappingContext, warnings: list[MappingWarning]) -> str:
    methods = [_method(line) for line in lines if _method(line)]
    if not methods:
        level, why = "unknown", "order has no shipping method"
    else:
        level = SERVICE_LEVELS.in_context(ctx).get("codes", {}).get(methods[0], "unknown")
        title = text(lines[0].get("method_title"))
        why = f"unknown WooCommerce shipping method {methods[0]!r}" + (f" ({title})" if title else "")
        if len(set(methods)) > 1:
            warnings.append(MappingWarning("shipping_methods_multiple", f"order has shipping methods {methods}; "
                                           f"used the first, {methods[0]!r}", "$.service_level", "info"))
    if level == "unknown" and "service_level" not in ctx.overrides:  # an override sets it after us
        warnings.append(MappingWarning("service_level_unknown", why, "$.service_level"))
    return level


def _weight_g(item: Mapping[str, Any], unit: str, ctx: MappingContext) -> int | None:
    keys = WEIGHT_META_KEYS.in_context(ctx)["words"]["weight_meta_keys"]
    for meta in item.get("meta_data") or []:
        if isinstance(meta, Mapping) and meta.get("key") in keys:
            grams = to_grams(meta.get("value"), unit, WEIGHT_UNITS.in_context(ctx))
            if grams:  # 0 is a product nobody weighed, flagged as missing like no weight at all
                return grams
    return None


def _parcels(items: list[Mapping[str, Any]], ctx: MappingContext, warnings: list[MappingWarning]) -> list[dict[str, Any]]:
    unit = str(ctx.settings.get("weight_unit") or "kg")
    unit = unit if unit in WEIGHT_UNITS.in_context(ctx)["units"] else "kg"
    parcels: list[dict[str, Any]] = []
    for item in items:
        name = text(item.get("name"))
        try:
            quantity = Decimal(str(item.get("quantity")))
        except (InvalidOperation, ValueError):
            quantity = Decimal(0)
        if not quantity.is_finite() or quantity <= 0:
            warnings.append(MappingWarning("parcel_skipped", f"line item {name!r} has quantity "
                                           f"{item.get('quantity')!r}; not carried", "$.parcels", "info"))
            continue
        index = len(parcels)
        if quantity != quantity.to_integral_value():
            warnings.append(MappingWarning("parcel_quantity_fractional", f"line item {name!r} has quantity "
                                           f"{quantity}; rounded up", f"$.parcels[{index}].quantity"))
            quantity = quantity.to_integral_value(rounding="ROUND_CEILING")
        weight = _weight_g(item, unit, ctx)
        if weight is None:
            warnings.append(MappingWarning("parcel_weight_missing", f"line item {name!r} carries no weight "
                                           "(WooCommerce orders have none unless a plugin adds it)",
                                           f"$.parcels[{index}].weight_g", "info"))
        parcels.append(drop_none({"sku": text(item.get("sku")), "description": name,
                                  "quantity": int(quantity), "weight_g": weight}))
    return parcels


def _contact(shipping: Mapping[str, Any], billing: Mapping[str, Any], country: str,
             warnings: list[MappingWarning]) -> dict[str, Any]:
    name = (_join(text(shipping.get("first_name")), text(shipping.get("last_name")))
            or text(shipping.get("company"))
            or _join(text(billing.get("first_name")), text(billing.get("last_name")))
            or text(billing.get("company")))
    if name is None:
        name = "Unknown recipient"
        warnings.append(MappingWarning("contact_name_missing", "order has no customer name", "$.dropoff.contact.name", "error"))
    raw_phone = text(shipping.get("phone")) or text(billing.get("phone"))
    phone, flag = normalize_phone(raw_phone, country)
    if flag is not None:
        phone = raw_phone
        warnings.append(MappingWarning(flag["code"], flag["message"], flag.get("field"), flag.get("severity", "warning")))
    email = text(billing.get("email"))
    if email is not None and not EMAIL.match(email):
        warnings.append(MappingWarning("email_invalid", f"email {email!r} is not an address; left out",
                                       "$.dropoff.contact.email", "info"))
        email = None
    return drop_none({"name": name, "phone": phone, "email": email})


def _address(block: Mapping[str, Any], ctx: MappingContext, name: str | None,
             warnings: list[MappingWarning]) -> dict[str, Any] | str:
    """The canonical address, or the reason it cannot be one."""
    country = (text(block.get("country")) or "").upper()
    if not country:
        default = ctx.settings.get("default_country")
        if not default:
            return "shipping address has no country (set default_country)"
        country = str(default)
        warnings.append(MappingWarning("country_defaulted", f"address has no country; used the installation "
                                       f"default {country}", "$.dropoff.address.country", "info"))
    if not COUNTRY.match(country):
        return f"shipping country {country!r} is not an ISO 3166-1 code"
    line1, city = text(block.get("address_1")), text(block.get("city"))
    if line1 is None or city is None:
        return "shipping address has no street or no city"
    extra = split_address_line(text(block.get("address_2")), ADDRESS_WORDS.in_context(ctx))
    company = text(block.get("company"))
    return drop_none({
        "line1": line1,
        "line2": _join(company if company != name else None, extra.rest, sep=", "),
        "unit": extra.unit,
        "floor": extra.floor,
        "city": city,
        "region": text(block.get("state")),
        "postal_code": text(block.get("postcode")),
        "country": country,
    })


def _declared_value(raw: Mapping[str, Any], warnings: list[MappingWarning]) -> dict[str, str] | None:
    """The value of the goods: the line items' totals (after discounts, before tax), not the order's
    ``total`` with shipping, fees and tax."""
    totals = [text(line.get("total")) for line in raw.get("line_items") or [] if isinstance(line, Mapping)]
    currency = (text(raw.get("currency")) or "").upper()
    if not totals:
        return None
    if not all(t is not None and MONEY.match(t) for t in totals) or not re.fullmatch(r"[A-Z]{3}", currency):
        warnings.append(MappingWarning("declared_value_invalid", f"line totals {totals!r} {currency!r} are not "
                                       "amounts and a currency; left out", "$.declared_value", "info"))
        return None
    return {"amount": f"{sum(Decimal(str(t)) for t in totals):.2f}", "currency": currency}


def slot_reservation(raw: Mapping[str, Any]) -> str | None:
    """The held delivery window's id, saved by the hub's slot picker as order meta (SLOT_META_KEYS)."""
    for meta in raw.get("meta_data") or []:
        if isinstance(meta, Mapping) and meta.get("key") in SLOT_META_KEYS:
            return text(meta.get("value"))
    return None


def to_delivery(raw: Mapping[str, Any], ctx: MappingContext) -> MappedDelivery:
    """Map one WooCommerce order (REST v3 shape)."""
    if text(raw.get("id")) is None:
        return MappedDelivery.skipped("not deliverable: order has no id")
    skipped = _status_skip(raw, ctx)
    if skipped is not None:
        return skipped
    lines = [line for line in raw.get("shipping_lines") or [] if isinstance(line, Mapping)]
    if any(_method(line) in SERVICE_LEVELS.in_context(ctx).get("pickup_codes", ()) for line in lines):
        return MappedDelivery.skipped("not deliverable: local pickup")
    warnings: list[MappingWarning] = []
    shipping = raw.get("shipping") if isinstance(raw.get("shipping"), Mapping) else {}
    billing = raw.get("billing") if isinstance(raw.get("billing"), Mapping) else {}
    if text(shipping.get("address_1")) is None:
        if not lines:
            return MappedDelivery.skipped("not deliverable: no shipping address and no shipping method (virtual order)")
        shipping = billing
        warnings.append(MappingWarning("address_from_billing", "order has no shipping address; used the billing "
                                       "address", "$.dropoff.address", "info"))
    country = (text(shipping.get("country")) or str(ctx.settings.get("default_country") or "")).upper()
    contact = _contact(shipping, billing, country, warnings)
    address = _address(shipping, ctx, contact["name"], warnings)
    if isinstance(address, str):
        return MappedDelivery.skipped(f"not deliverable: {address}", [MappingWarning(
            "address_incomplete", address, "$.dropoff.address", "error")])
    service_level = _service_level(lines, ctx, warnings)
    parcels = _parcels([i for i in raw.get("line_items") or [] if isinstance(i, Mapping)], ctx, warnings)
    store = urlsplit(str(ctx.settings.get("url") or "")).netloc or None
    delivery = drop_none({
        "source": {
            "connector": ctx.connector,
            "installation_id": ctx.installation_id,
            "external_id": text(raw.get("id")),
            "external_order_number": text(raw.get("number")),
            "store": store,
        },
        "service_level": service_level,
        "dropoff": {"contact": contact, "address": address},
        "parcels": parcels or None,
        "declared_value": _declared_value(raw, warnings),
        "notes": text(raw.get("customer_note")),
        "slot_reservation_id": slot_reservation(raw),
    })
    # "completed" when first seen: the store shipped it before the hub knew it (a completed order the hub
    # delivered stays updated: its own write-back completed it).
    return MappedDelivery(delivery=delivery, warnings=warnings, shipped_by_source=order_status(raw) == "completed")
