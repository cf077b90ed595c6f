"""Acme order JSON → canonical delivery. Pure translation: no HTTP, no clock, no state.

Problems in the data become warnings (data-quality flags), never exceptions. The service-level value
table is data (``service_levels.yaml`` in this package), loaded and checked once at import by the hub's
table loader, and patched per installation when the owner overrides it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hub.plugins import MappedDelivery, MappingContext, MappingWarning, load_table

PRIORITY_TIERS = ("low", "standard", "high", "vip")
#: Acme shipping method → canonical service level: ``service_levels.yaml`` inside this package.
SERVICE_LEVELS = load_table(__package__, "service_levels")
OFFSET = re.compile(r"(Z|[+-]\d{2}:\d{2})$")


def _text(value: Any) -> str | None:
    """A stripped string, or None for missing/blank values."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    """Drop keys whose value is None, so absent stays absent in the canonical document."""
    return {k: v for k, v in data.items() if v is not None}


def _window(raw: Mapping[str, Any], warnings: list[MappingWarning]) -> dict[str, str] | None:
    between = raw.get("deliver_between") or {}
    window = {}
    for acme_key, key in (("from", "start"), ("to", "end")):
        stamp = _text(between.get(acme_key))
        if stamp is None:
            continue
        if not OFFSET.search(stamp):
            warnings.append(MappingWarning(
                "window_without_timezone", f"{acme_key} time {stamp!r} has no timezone; ignored",
                f"$.promised_window.{key}",
            ))
            continue
        window[key] = stamp
    return window or None


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _parcels(items: list[Mapping[str, Any]], warnings: list[MappingWarning]) -> list[dict[str, Any]]:
    parcels = []
    for item in items:
        if item.get("digital"):
            continue
        index = len(parcels)
        grams = _number(item.get("grams"))
        if grams is None or grams < 0:
            grams = None
            warnings.append(MappingWarning("parcel_weight_missing", "item has no usable weight", f"$.parcels[{index}].weight_g"))
        quantity = _number(item.get("qty"))
        if quantity is None or quantity < 1 or quantity != int(quantity):
            warnings.append(MappingWarning("parcel_quantity_invalid", f"quantity {item.get('qty')!r}; used 1", f"$.parcels[{index}].quantity"))
            quantity = 1
        parcels.append(_compact({
            "sku": _text(item.get("sku")),
            "description": _text(item.get("title")),
            "quantity": int(quantity),
            "weight_g": int(round(grams)) if grams is not None else None,
        }))
    return parcels


def to_delivery(raw: Mapping[str, Any], ctx: MappingContext) -> MappedDelivery:
    """Map one Acme order (the body of an ``order.created``/``order.updated`` webhook)."""
    warnings: list[MappingWarning] = []
    items = list(raw.get("items") or [])
    ship_to = raw.get("ship_to")
    if items and all(item.get("digital") for item in items):
        return MappedDelivery.skipped("not deliverable: only digital items")
    if not ship_to:
        return MappedDelivery.skipped("not deliverable: no shipping address (store pickup)")
    if _text(raw.get("id")) is None:
        return MappedDelivery.skipped("not deliverable: order has no id")

    method = _text(raw.get("shipping_method"))
    service_level = SERVICE_LEVELS.in_context(ctx)["codes"].get(method or "", "unknown")
    if service_level == "unknown":
        warnings.append(MappingWarning("service_level_unknown", f"unknown Acme shipping method {method!r}", "$.service_level"))

    country = (_text(ship_to.get("country")) or "").upper()
    if not country:
        country = str(ctx.settings.get("default_country", "US"))
        warnings.append(MappingWarning(
            "country_defaulted", f"address has no country; used the installation default {country}",
            "$.dropoff.address.country", "info",
        ))

    customer = raw.get("customer") or {}
    name = _text(customer.get("name"))
    if name is None:
        name = "Unknown recipient"
        warnings.append(MappingWarning("contact_name_missing", "order has no customer name", "$.dropoff.contact.name", "error"))
    phone = _text(customer.get("phone"))
    if phone is not None and not phone.startswith("+"):
        warnings.append(MappingWarning("phone_not_e164", f"phone {phone!r} has no country code", "$.dropoff.contact.phone"))

    priority = _text(raw.get("priority"))
    total = raw.get("total") or {}
    delivery = _compact({
        "source": _compact({
            "connector": ctx.connector,
            "installation_id": ctx.installation_id,
            "external_id": _text(raw.get("id")),
            "external_order_number": _text(raw.get("number")),
            "store": _text(raw.get("store")),
        }),
        "service_level": service_level,
        "priority_tier": priority if priority in PRIORITY_TIERS else None,
        "promised_window": _window(raw, warnings),
        "dropoff": _compact({
            "contact": _compact({"name": name, "phone": phone, "email": _text(customer.get("email"))}),
            "address": _compact({
                "line1": _text(ship_to.get("street")),
                "line2": _text(ship_to.get("street2")),
                "unit": _text(ship_to.get("apartment")),
                "city": _text(ship_to.get("city")),
                "region": _text(ship_to.get("state")),
                "postal_code": _text(ship_to.get("zip")),
                "country": country,
            }),
            "access": _compact({"instructions": _text(raw.get("delivery_instructions"))}) or None,
        }),
        "parcels": _parcels(items, warnings) or None,
        "declared_value": _compact({
            "amount": _text(total.get("amount")),
            "currency": (_text(total.get("currency")) or "").upper() or None,
        }) if total.get("amount") is not None else None,
        "notes": _text(raw.get("note")),
        "tags": sorted({str(t).strip() for t in raw.get("tags") or [] if str(t).strip()}) or None,
    })
    return MappedDelivery(delivery=delivery, warnings=warnings)
