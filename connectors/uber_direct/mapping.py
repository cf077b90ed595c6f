"""Pure translation between the hub and Uber Direct: carrier job -> DeliveryReq / DeliveryQuoteReq, Uber's
answers -> DispatchResult / Quote, and Uber's webhooks -> the hub's canonical status and POD reports."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any, Mapping

from hub.plugins import MAPPINGS_DIR, DispatchResult, InboundEvent, MappingWarning, Quote, drop_none, load_table

#: Uber Direct delivery status → the hub's canonical status (``ignore``: no change at the hub).
STATUSES = load_table(MAPPINGS_DIR / "uber_direct", "statuses")
NOTES_MAX = 280  # Uber's limit on pickup/dropoff notes


def status_table() -> dict[str, str]:
    return dict(STATUSES["statuses"])


def canonical_status(uber_status: str, courier_imminent: bool = False) -> tuple[str, MappingWarning | None]:
    status = status_table().get(str(uber_status))
    if status is None:
        return "unknown", MappingWarning("carrier_status_unknown", f"unknown Uber status {uber_status!r}", "$.status")
    if status == "in_transit" and courier_imminent:
        return "arriving", None
    return status, None


def _address(address: Mapping[str, Any]) -> str:
    street = [address.get("line1"), " ".join(x for x in (address.get("line2"), address.get("unit")) if x) or None]
    return json.dumps(drop_none({
        "street_address": [s for s in street if s], "city": address.get("city"), "state": address.get("region"),
        "zip_code": address.get("postal_code"), "country": address.get("country")}), ensure_ascii=False)


def _cents(money: Mapping[str, Any] | None) -> int | None:
    return int(Decimal(money["amount"]) * 100) if money else None


def _items(parcels: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    items = []
    for n, parcel in enumerate(parcels or [{}], start=1):
        dims = parcel.get("dimensions_mm")
        items.append(drop_none({
            "name": parcel.get("description") or parcel.get("sku") or f"Parcel {n}",
            "quantity": parcel.get("quantity", 1), "weight": parcel.get("weight_g"),
            "dimensions": {"length": max(1, dims["length"] // 10), "height": max(1, dims["height"] // 10),
                           "depth": max(1, dims["width"] // 10)} if dims and parcel.get("weight_g") else None,
            "must_be_upright": True if parcel.get("temperature") in ("chilled", "frozen") else None,
        }))
    return items


def _waypoints(job: Mapping[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    pickup, dropoff = job.get("pickup", {}), job["dropoff"]
    window, geo = job.get("window", {}), dropoff["address"].get("geo", {})
    pickup_geo = pickup.get("address", {}).get("geo", {})
    return drop_none({
        "pickup_address": _address(pickup["address"]) if pickup.get("address") else None,
        "pickup_latitude": pickup_geo.get("lat"), "pickup_longitude": pickup_geo.get("lng"),
        "pickup_phone_number": settings["pickup_phone_number"],
        "dropoff_address": _address(dropoff["address"]),
        "dropoff_latitude": geo.get("lat"), "dropoff_longitude": geo.get("lng"),
        "dropoff_phone_number": dropoff.get("contact", {}).get("phone"),
        "pickup_ready_dt": pickup.get("ready_at"),
        "dropoff_ready_dt": window.get("start"), "dropoff_deadline_dt": window.get("end"),
        "manifest_total_value": _cents(job.get("declared_value")),
    })


def delivery_request(job: Mapping[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    """DeliveryReq for a carrier job. The job id is the idempotency key and the external id."""
    requirements = job.get("requirements", {})
    verification = drop_none({
        "signature_requirement": {"enabled": True, "collect_signer_name": True} if requirements.get("signature") else None,
        "picture": True if requirements.get("photo") else None,
        "identification": {"min_age": requirements["minimum_age"]} if requirements.get("minimum_age") else None,
    })
    return drop_none({
        **_waypoints(job, settings),
        "pickup_name": settings["pickup_name"], "dropoff_name": job["dropoff"].get("contact", {}).get("name"),
        "dropoff_notes": (job.get("instructions") or "")[:NOTES_MAX] or None,
        "manifest_items": _items(job.get("parcels", [])),
        "manifest_reference": job.get("tracking_reference"),
        "dropoff_verification": verification or None,
        "external_id": job["job_id"], "idempotency_key": job["job_id"],
    })


def missing_for_uber(request: Mapping[str, Any]) -> list[str]:
    """DeliveryReq's required fields this job cannot fill: Uber would refuse it anyway."""
    required = ("dropoff_address", "dropoff_name", "dropoff_phone_number", "manifest_items", "pickup_address",
                "pickup_name", "pickup_phone_number")
    return [name for name in required if not request.get(name)]


def quote_request(job: Mapping[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in _waypoints(job, settings).items() if k != "pickup_ready_dt" or v}


def dispatch_result(status_code: int, body: Mapping[str, Any]) -> DispatchResult:
    if 200 <= status_code < 300:
        return DispatchResult(accepted=True, external_ref=str(body.get("id")) if body.get("id") else None)
    return DispatchResult(accepted=False, reason=f"{body.get('code', status_code)}: {body.get('message', '')}".strip())


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else None


def quote_from(body: Mapping[str, Any]) -> Quote:
    return Quote(amount=Decimal(int(body["fee"])) / 100, currency=str(body.get("currency_type") or body["currency"]).upper(),
                 eta=_when(body.get("dropoff_eta")), expires_at=_when(body.get("expires")))


def _pod(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """The proof as a carrier report: what Uber says, plus `media_urls`, the signature and photo images Uber
    keeps for 30 days, which the hub downloads and stores with their SHA-256."""
    dropoff = data.get("dropoff") or {}
    proof = dropoff.get("verification") or {}
    captured = dropoff.get("status_timestamp") or data.get("updated")
    if not proof or not captured:
        return None
    signature, picture = proof.get("signature") or {}, proof.get("picture") or {}
    location = proof.get("completion_location") or {}
    report: dict[str, Any] = {"type": "delivery.pod_captured", "data": drop_none({
        "recipient_name": signature.get("name") or None, "captured_at": captured,
        "position": {"lat": location["lat"], "lng": location["lng"]} if "lat" in location and "lng" in location else None,
    })}
    links = drop_none({"signature": signature.get("image_url") or None,
                       "photos": [picture["image_url"]] if picture.get("image_url") else None})
    if links:
        report["media_urls"] = links
    return report


def webhook_events(envelope: Mapping[str, Any]) -> list[InboundEvent]:
    """event.delivery_status -> one status report (and a POD report once delivered with proof)."""
    kind = str(envelope.get("kind", ""))
    data = envelope.get("data") or {}
    if kind != "event.delivery_status" or not isinstance(data, Mapping):
        return [InboundEvent("ignored", None, {}, kind, reason=f"Uber event {kind!r} is not used")]
    job_id = data.get("external_id") or None
    uber_status = envelope.get("status") or data.get("status")
    status, warning = canonical_status(str(uber_status), bool(data.get("courier_imminent")))
    occurred = envelope.get("created") or data.get("updated")
    if warning is not None or status == "ignore":
        return [InboundEvent("ignored", job_id, {}, kind, reason=warning.message if warning else f"status {uber_status}")]
    report = drop_none({"type": "delivery.status_changed", "job_id": job_id, "occurred_at": occurred,
                        "reference": data.get("id") or envelope.get("delivery_id"),
                        "data": {"status": status, "reason": data.get("undeliverable_reason") or None,
                                 "reason_code": "carrier_cancelled" if uber_status == "canceled" else None}})
    events = [InboundEvent("status", job_id, report, kind, occurred_at=_when(occurred))]
    pod = _pod(data) if status == "delivered" else None
    if pod is not None:  # the proof first: a delivery that requires proof is delivered once it is on record
        events.insert(0, InboundEvent("pod", job_id, {**pod, "job_id": job_id}, kind,
                                      occurred_at=_when(pod["data"]["captured_at"])))
    return events
