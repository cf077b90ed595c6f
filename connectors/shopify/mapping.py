"""Shopify order JSON → canonical delivery. Pure: no HTTP, no clock, no state.

Accepts the order as webhooks send it (the order object itself) and as the REST API returns it
(``{"order": {...}}``). Problems in the data become warnings (data-quality flags), never exceptions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.plugins import (
    ADDRESS_WORDS, MAPPINGS_DIR, SERVICE_LEVEL_WORDS, MappedDelivery, MappingContext, MappingWarning, drop_none,
    is_pickup, load_table, normalize_phone, service_level_of,
)

from connectors.shopify.address import split_street

#: Shipping line code or title → service level, and the lines that mean local pickup.
SERVICE_LEVELS = load_table(MAPPINGS_DIR / "shopify", "service_levels")

#: Description of a parcel is for a driver's screen: longer text is cut here.
MAX_DESCRIPTION = 200
_GATE = re.compile(r"gate|door ?code|access code", re.IGNORECASE)
_BUZZER = re.compile(r"buzzer|intercom|doorbell", re.IGNORECASE)
# The hub's slot picker stores the held window's id as this cart attribute (it reaches the order as a note
# attribute); the hub's carrier-calculated rates name the chosen window in the shipping line's code.
SLOT_ATTRIBUTE = "hub_slot_reservation"
SLOT_RATE_CODE = re.compile(r"^hub-slot:(?P<start>[^/\s]+)/(?P<end>[^/\s]+)$")


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def order_id(order: Mapping[str, Any]) -> str | None:
    """The order id as the exact decimal string. Ids are 64-bit+ integers: a float would have lost
    digits already, so one is refused rather than rounded."""
    value = order.get("id")
    if isinstance(value, bool) or isinstance(value, float):
        return None
    if isinstance(value, int) and value > 0:
        return str(value)
    if isinstance(value, str) and value.strip().isdigit():
        return value.strip()
    gid = _text(order.get("admin_graphql_api_id"))
    match = re.fullmatch(r"gid://shopify/Order/(\d+)", gid or "")
    return match.group(1) if match else None


def unwrap(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    """The order itself, from a webhook body or a REST ``{"order": ...}`` response."""
    inner = raw.get("order") if len(raw) == 1 else None
    return inner if isinstance(inner, Mapping) else raw


def _shippable(item: Mapping[str, Any]) -> bool:
    if item.get("gift_card") or item.get("requires_shipping") is False:
        return False
    quantity = _int(item.get("current_quantity", item.get("quantity")))
    return quantity is None or quantity > 0


def _quantity(item: Mapping[str, Any]) -> int:
    quantity = _int(item.get("current_quantity", item.get("quantity")))
    return quantity if quantity and quantity > 0 else 1


def _shipping_texts(order: Mapping[str, Any]) -> list[str]:
    lines = [line for line in order.get("shipping_lines") or [] if isinstance(line, Mapping) and not line.get("is_removed")]
    if not lines:
        return []
    return [t for t in (_text(lines[0].get("code")), _text(lines[0].get("title"))) if t]


def _parcels(order: Mapping[str, Any], items: list[Mapping[str, Any]], warnings: list[MappingWarning]) -> list[dict[str, Any]]:
    """One parcel per shippable line: ``quantity`` units of ``weight_g`` grams each (grams × quantity
    for the line). When no line carries a weight but the order's ``total_weight`` does, a single
    shippable line gets that weight; otherwise the gap is flagged."""
    parcels = []
    for item in items:
        grams = _int(item.get("grams"))
        parcels.append(drop_none({
            "sku": _text(item.get("sku")),
            "description": (_text(item.get("name")) or _text(item.get("title")) or "")[:MAX_DESCRIPTION] or None,
            "quantity": _quantity(item),
            "weight_g": grams if grams and grams > 0 else None,
        }))
    total = _int(order.get("total_weight")) or 0
    if total > 0 and not any("weight_g" in p for p in parcels) and len(parcels) == 1:
        parcels[0]["weight_g"] = round(total / parcels[0]["quantity"])
    for index, parcel in enumerate(parcels):
        if "weight_g" not in parcel:
            warnings.append(MappingWarning(
                "parcel_weight_missing", f"line {parcel.get('sku') or parcel.get('description') or index} has no weight in Shopify",
                f"$.parcels[{index}].weight_g", "info",
            ))
    return parcels


def _access(order: Mapping[str, Any]) -> dict[str, Any] | None:
    """Note attributes: gate and buzzer codes by name, everything else as "name: value" lines."""
    access: dict[str, Any] = {}
    lines = []
    for attribute in order.get("note_attributes") or []:
        if not isinstance(attribute, Mapping):
            continue
        name, value = _text(attribute.get("name")), _text(attribute.get("value"))
        if not value or name == SLOT_ATTRIBUTE:
            continue
        if name and _GATE.search(name) and "gate_code" not in access:
            access["gate_code"] = value
        elif name and _BUZZER.search(name) and "buzzer_code" not in access:
            access["buzzer_code"] = value
        else:
            lines.append(f"{name}: {value}" if name else value)
    if lines:
        access["instructions"] = "\n".join(lines)
    return access or None


def slot_reservation(order: Mapping[str, Any]) -> str | None:
    """The held delivery window's id (the slot picker's cart attribute), if the order carries one."""
    for attribute in order.get("note_attributes") or []:
        if isinstance(attribute, Mapping) and _text(attribute.get("name")) == SLOT_ATTRIBUTE:
            return _text(attribute.get("value"))
    return None


def slot_window(order: Mapping[str, Any]) -> dict[str, str] | None:
    """The window a shopper chose among the hub's carrier-calculated rates (shipping line code)."""
    for line in order.get("shipping_lines") or []:
        found = SLOT_RATE_CODE.match(_text(line.get("code")) or "") if isinstance(line, Mapping) else None
        if not found:
            continue
        try:
            start, end = datetime.fromisoformat(found["start"]), datetime.fromisoformat(found["end"])
        except ValueError:
            return None
        if start.tzinfo is None or end.tzinfo is None or end <= start:
            return None
        return {"start": start.isoformat(), "end": end.isoformat()}
    return None


def _contact(order: Mapping[str, Any], ship: Mapping[str, Any], country: str, warnings: list[MappingWarning]) -> dict[str, Any]:
    customer = order.get("customer") if isinstance(order.get("customer"), Mapping) else {}
    full = " ".join(t for t in (_text(ship.get("first_name")), _text(ship.get("last_name"))) if t)
    name = _text(ship.get("name")) or full or " ".join(
        t for t in (_text(customer.get("first_name")), _text(customer.get("last_name"))) if t
    ) or _text(ship.get("company"))
    if not name:
        name = "Unknown recipient"
        warnings.append(MappingWarning("contact_name_missing", "the order has no recipient name", "$.dropoff.contact.name", "error"))
    raw_phone = _text(ship.get("phone")) or _text(order.get("phone")) or _text(customer.get("phone"))
    phone, flag = normalize_phone(raw_phone, country)
    if flag is not None:
        phone = raw_phone
        warnings.append(MappingWarning(flag["code"], flag["message"], flag.get("field"), flag.get("severity", "warning")))
    email = _text(order.get("email")) or _text(order.get("contact_email")) or _text(customer.get("email"))
    return drop_none({"name": name, "phone": phone, "email": email})


def _geo(ship: Mapping[str, Any]) -> dict[str, Any] | None:
    lat, lng = ship.get("latitude"), ship.get("longitude")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lat, lng)):
        return None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180) or (lat == 0 and lng == 0):  # 0,0 is "unset", not the Gulf of Guinea
        return None
    return {"lat": lat, "lng": lng, "source": "store"}


def _goods_amount(order: Mapping[str, Any]) -> str | None:
    """The value of the goods: line items after discounts and edits, before shipping, duties and taxes
    (``current_subtotal_price``; ``subtotal_price`` in older payloads), not ``total_price``."""
    given = _text(order.get("current_subtotal_price")) or _text(order.get("subtotal_price"))
    if given is not None:
        return given
    try:  # a payload without subtotals (older or trimmed): the lines' prices less their discounts
        lines = [li for li in order.get("line_items") or [] if isinstance(li, Mapping)]
        total = sum((Decimal(str(li.get("price"))) * int(li.get("quantity") or 0)
                     - Decimal(str(li.get("total_discount") or 0)) for li in lines), Decimal(0))
    except (InvalidOperation, TypeError, ValueError):
        return None
    return f"{total:.2f}" if lines else None


def _money(order: Mapping[str, Any]) -> dict[str, str] | None:
    amount, currency = _goods_amount(order), (_text(order.get("currency")) or "").upper()
    try:
        Decimal(amount or "x")
    except InvalidOperation:
        return None
    if not re.fullmatch(r"-?\d+(\.\d+)?", amount or "") or not re.fullmatch(r"[A-Z]{3}", currency):
        return None
    return {"amount": amount, "currency": currency}


def _declared_value(order: Mapping[str, Any], warnings: list[MappingWarning]) -> dict[str, str] | None:
    money = _money(order)
    if money is None and _goods_amount(order) is not None:
        warnings.append(MappingWarning(
            "declared_value_invalid", f"order subtotal {_goods_amount(order)!r} {order.get('currency')!r} is not an amount "
            "and currency; left out", "$.declared_value", "info",
        ))
    return money


def _tags(order: Mapping[str, Any]) -> list[str]:
    raw = order.get("tags")
    parts = raw if isinstance(raw, list) else str(raw or "").split(",")
    return sorted({str(t).strip() for t in parts if str(t).strip()})


def _skip_reason(order: Mapping[str, Any], items: list[Mapping[str, Any]], ship: Any, ctx: MappingContext) -> str | None:
    if is_pickup(_shipping_texts(order), SERVICE_LEVELS.in_context(ctx)):
        return "not deliverable: the customer picks the order up (local pickup)"
    if not isinstance(ship, Mapping) or not ship:
        return "not deliverable: the order has no shipping address"
    if not items:
        return "not deliverable: nothing to ship (digital, gift-card or non-shipping items only)"
    return None


def to_delivery(raw: Mapping[str, Any], ctx: MappingContext) -> MappedDelivery:
    """Map one Shopify order (the body of orders/create or orders/updated, or a REST order)."""
    order = unwrap(raw)
    external_id = order_id(order)
    if external_id is None:
        return MappedDelivery.skipped("not deliverable: the order has no usable id")
    items = [i for i in order.get("line_items") or [] if isinstance(i, Mapping) and _shippable(i)]
    ship = order.get("shipping_address")
    reason = _skip_reason(order, items, ship, ctx)
    if reason:
        return MappedDelivery.skipped(reason)
    warnings: list[MappingWarning] = []
    country = (_text(ship.get("country_code")) or "").upper() or ctx.settings.get("default_country")
    if not country:
        return MappedDelivery.skipped("not deliverable: the shipping address has no country")
    street = split_street(_text(ship.get("address1")), _text(ship.get("address2")), ADDRESS_WORDS.in_context(ctx))
    city = _text(ship.get("city"))
    if not street.line1 or not city:
        return MappedDelivery.skipped("not deliverable: the shipping address has no street or no city")
    if not _text(ship.get("country_code")):
        warnings.append(MappingWarning("country_defaulted", f"no country in the address; used {country}", "$.dropoff.address.country", "info"))
    company = _text(ship.get("company"))
    line2 = ", ".join(t for t in (street.line2, company) if t) or None

    texts = _shipping_texts(order)
    level = service_level_of(texts, SERVICE_LEVELS.in_context(ctx), words=SERVICE_LEVEL_WORDS.in_context(ctx),
                             owner=ctx.settings.get("service_levels") or {})
    if level is None:
        level = "unknown"
        warnings.append(MappingWarning(
            "service_level_unknown", f"no service level for Shopify shipping line {' / '.join(texts) or '(none)'}; "
            "add it to the service_levels setting", "$.service_level",
        ))
    tags = _tags(order)
    vip = str(ctx.settings.get("vip_tag") or "vip").casefold()
    contact = _contact(order, ship, country, warnings)
    delivery = drop_none({
        "source": drop_none({
            "connector": ctx.connector,
            "installation_id": ctx.installation_id,
            "external_id": external_id,
            "external_order_number": _text(order.get("name")) or _text(order.get("order_number")),
            "store": _text(ctx.settings.get("shop")),
        }),
        "service_level": level,
        "priority_tier": "vip" if any(t.casefold() == vip for t in tags) else None,
        "pickup": {"location_id": str(ctx.settings["location_id"])} if ctx.settings.get("location_id") else None,
        "dropoff": drop_none({
            "contact": contact,
            "address": drop_none({
                "line1": street.line1, "line2": line2, "unit": street.unit, "floor": street.floor, "city": city,
                "region": _text(ship.get("province_code")) or _text(ship.get("province")),
                "postal_code": _text(ship.get("zip")), "country": country, "geo": _geo(ship),
            }),
            "access": _access(order),
        }),
        "parcels": _parcels(order, items, warnings) or None,
        "declared_value": _declared_value(order, warnings),
        "notes": _text(order.get("note")),
        "tags": tags or None,
        "slot_reservation_id": slot_reservation(order),
        "promised_window": slot_window(order),
    })
    # Every line fulfilled when first seen: the shop shipped it itself (or with another app).
    return MappedDelivery(delivery=delivery, warnings=warnings,
                          shipped_by_source=order.get("fulfillment_status") == "fulfilled")
