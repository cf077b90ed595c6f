"""The driver API (driver keys): today's route, start it, arrive, complete with proof of delivery, fail with a
reason, location pings. A driver acts only on stops of their own route (404 otherwise)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from flask import request
from flask_smorest import Blueprint
from sqlalchemy.orm import Session

from hub.api.auth import current, require_role
from hub.api.body_limits import large_body
from hub.api.errors import ApiError, field_errors, not_found
from hub.api.requests import date_arg, json_body
from hub.canonical.fields import parse_aware_timestamp
from hub.canonical.validation import FieldError
from hub.db.engine import transaction
from hub.db.media import Upload, media_store, signed_url
from hub.db.models import Delivery, DeliveryEvent, utcnow
from hub.db.models.fleet import Depot, Driver
from hub.execution.custody import media_refs
from hub.execution.pings import parse_points, store_pings
from hub.execution.pod import MAX_FILE_BYTES, PodInput, PodRefused, complete_with_pod, fail_attempt
from hub.execution.route import DriverRoute, driver_route, start_route, stop_out
from hub.ledger.deliveries import change_status
from hub.runtime import get_runtime
from hub.tracking.pings import enqueue_ping

blp = Blueprint("driver", __name__, url_prefix="/api/v1/driver", description="For drivers: route, stops, proof of delivery")


def refused(exc: PodRefused) -> ApiError:
    return ApiError(422, "pod_incomplete", str(exc), field_errors(exc.errors))


# ---- who is calling, and which route --------------------------------------------------------------------

def _driver(session: Session) -> Driver:
    caller = current()
    driver = session.get(Driver, caller.subject_id) if caller.subject_id else None
    if driver is None or driver.tenant_id != caller.tenant_id:
        raise ApiError(403, "forbidden", "this driver key is not issued for a driver of this tenant")
    return driver


def _today(session: Session, driver: Driver) -> date:
    depot = session.get(Depot, driver.depot_id)
    offset = timedelta(minutes=depot.utc_offset_min if depot else 0)
    return (datetime.now(timezone.utc) + offset).date()  # the depot's local day


def _route(session: Session, driver: Driver, day: date | None = None) -> DriverRoute:
    # Every driver call takes ?date= (a route planned for another day); the default is the depot's today.
    return driver_route(session, driver, day or date_arg() or _today(session, driver), utcnow())


def _my_stop(session: Session, driver: Driver, delivery_id: str) -> Delivery:
    """A delivery on this driver's route today, else 404 (another driver's or tenant's stop is not there)."""
    for stop in _route(session, driver).stops:
        if stop.delivery.id == delivery_id:
            return stop.delivery
    raise not_found("stop on your route today", delivery_id)


def _position(values: Any, prefix: str = "$") -> tuple[dict[str, float] | None, list[FieldError]]:
    """lat / lng / accuracy_m from a JSON body or form fields (strings); all optional, lat and lng together."""
    out: dict[str, float] = {}
    errors: list[FieldError] = []
    for name, (low, high) in {"lat": (-90, 90), "lng": (-180, 180), "accuracy_m": (0, 100_000)}.items():
        raw = values.get(name) if hasattr(values, "get") else None
        if raw in (None, ""):
            continue
        try:
            value = float(raw)
        except (TypeError, ValueError):
            value = float("nan")
        if not low <= value <= high:
            errors.append(FieldError(f"{prefix}.{name}", f"must be a number from {low} to {high}"))
        else:
            out[name] = value
    if ("lat" in out) != ("lng" in out):
        errors.append(FieldError(f"{prefix}.lat", "send lat and lng together"))
    return (out if "lat" in out and "lng" in out else None), errors


def _optional_json() -> dict[str, Any]:
    if not request.get_data():
        return {}
    body, _ = json_body()
    if not isinstance(body, dict):
        raise ApiError(422, "validation_failed", "the body must be a JSON object", [{"path": "$", "message": "object"}])
    return body


def pod_from_form() -> PodInput:
    """The multipart POD: files signature, photos (repeat), fields recipient_name, lat, lng, accuracy_m,
    captured_at, notes, age_verified."""
    if not request.content_type or not request.content_type.startswith("multipart/form-data"):
        raise ApiError(415, "unsupported_media_type", "send the proof of delivery as multipart/form-data")
    form, files = request.form, request.files

    def upload(kind: str, item: Any) -> Upload:
        return Upload(kind, (item.mimetype or "").lower(), item.stream.read(MAX_FILE_BYTES + 1))

    position, errors = _position(form)
    captured_at = utcnow()
    if form.get("captured_at"):
        parsed = parse_aware_timestamp(form["captured_at"])
        if parsed is None:
            errors.append(FieldError("$.captured_at", "must be an ISO 8601 time with a timezone"))
        else:
            captured_at = parsed
    if errors:
        raise refused(PodRefused("the proof of delivery has bad fields", errors))
    signature = files.get("signature")
    signature = signature if signature is not None and signature.filename else None  # an empty file input
    return PodInput(
        captured_at=captured_at, recipient_name=(form.get("recipient_name") or "").strip() or None,
        signature=upload("signature", signature) if signature else None,
        photos=[upload("photo", f) for f in files.getlist("photos") + files.getlist("photo") if f.filename],
        position=position, notes=(form.get("notes") or "").strip() or None,
        age_verified=(form.get("age_verified") or "").lower() in ("1", "true", "yes"),
    )


def completed(delivery: Delivery, event: DeliveryEvent) -> dict[str, Any]:
    """The answer to a completion: the POD as recorded, and a signed link to each stored file."""
    config = get_runtime().config
    links = {ref["id"]: signed_url(config, ref["id"]) for ref in media_refs(event.data)}
    return {"delivery_id": delivery.id, "status": delivery.status, "pod_event_id": event.id, "pod": event.data,
            "media_urls": links}


# ---- driver endpoints -----------------------------------------------------------------------------------

@blp.route("/route", methods=["GET"])
@blp.doc(summary="My route for today (stops in driving order)",
         description="Optional ?date=YYYY-MM-DD (the depot's local day). Each stop: position, delivery_id, status, "
         "dropoff (address, contact, access), window, parcels, requirements (signature, photo, minimum_age).")
@require_role("driver")
def my_route() -> dict[str, Any]:
    day = date_arg()
    with get_runtime().sessions() as session:
        route = _route(session, _driver(session), day)
        return {"driver_id": route.driver_id, "date": route.day.isoformat(), "route_id": route.route_id,
                "vehicle_id": route.vehicle_id, "source": route.source, "stops": [stop_out(s) for s in route.stops]}


@blp.route("/route/start", methods=["POST"])
@blp.doc(summary="Start today's route", description="Every stop waiting at the depot (planned, dispatched, "
         "rescheduled) goes in_transit, with a warehouse -> driver handoff. Running it again changes nothing.")
@require_role("driver")
def start() -> dict[str, Any]:
    with transaction(get_runtime().sessions) as session:
        driver = _driver(session)
        route = _route(session, driver)
        if not route.stops:
            raise ApiError(404, "no_route", f"no stops on your route for {route.day.isoformat()}")
        results = start_route(session, route, driver, {"kind": "driver", "id": driver.id})
        return {"date": route.day.isoformat(), "route_id": route.route_id, "stops": results}


@blp.route("/stops/<delivery_id>/arrive", methods=["POST"])
@blp.doc(summary="Arriving at a stop", description='Body (optional): {"lat", "lng", "accuracy_m"}. 409 when '
         "the delivery cannot be arriving now (the answer names the allowed next statuses).")
@require_role("driver")
def arrive(delivery_id: str) -> dict[str, Any]:
    position, errors = _position(_optional_json())
    if errors:
        raise ApiError(422, "validation_failed", "bad position", field_errors(errors))
    with transaction(get_runtime().sessions) as session:
        driver = _driver(session)
        delivery = _my_stop(session, driver, delivery_id)
        change_status(session, delivery, "arriving", actor={"kind": "driver", "id": driver.id},
                      reason="driver arriving", extra={"location": position} if position else None)
        return {"delivery_id": delivery.id, "status": delivery.status}


@blp.route("/stops/<delivery_id>/complete", methods=["POST"])
@blp.doc(summary="Complete a stop with proof of delivery (multipart/form-data)",
         description="Files: signature (one image), photos (repeat for several). Fields: recipient_name, lat, lng, "
         "accuracy_m, captured_at (ISO 8601), notes, age_verified (true when the recipient's ID was checked). "
         "422 names what the delivery requires and is missing; 409 when it cannot be delivered now.")
@require_role("driver")
@large_body
def complete(delivery_id: str) -> dict[str, Any]:
    pod = pod_from_form()
    with transaction(get_runtime().sessions) as session:
        driver = _driver(session)
        delivery = _my_stop(session, driver, delivery_id)
        actor = {"kind": "driver", "id": driver.id}
        try:
            event = complete_with_pod(session, media_store(get_runtime().config), delivery, pod, actor=actor,
                                      holder={"kind": "driver", "id": driver.id})
        except PodRefused as exc:
            raise refused(exc) from None
        return completed(delivery, event)


@blp.route("/stops/<delivery_id>/fail", methods=["POST"])
@blp.doc(summary="A failed attempt, with a reason code",
         description='Body: {"reason_code": "customer_unavailable" | "address_not_found" | "access_denied" | '
         '"refused" | "damaged" | "other", "note": "...", "lat", "lng", "accuracy_m"}; "other" needs a note.')
@require_role("driver")
def fail(delivery_id: str) -> dict[str, Any]:
    body = _optional_json()
    position, errors = _position(body)
    note = body.get("note", "")
    if not isinstance(note, str):
        errors.append(FieldError("$.note", "must be a string"))
        note = ""
    if errors:
        raise ApiError(422, "validation_failed", "bad fields", field_errors(errors))
    with transaction(get_runtime().sessions) as session:
        driver = _driver(session)
        delivery = _my_stop(session, driver, delivery_id)
        try:
            fail_attempt(session, delivery, str(body.get("reason_code", "")), note,
                         actor={"kind": "driver", "id": driver.id}, position=position)
        except PodRefused as exc:
            raise ApiError(422, "validation_failed", str(exc), field_errors(exc.errors)) from None
        return {"delivery_id": delivery.id, "status": delivery.status}


@blp.route("/pings", methods=["POST"])
@blp.doc(summary="Location pings (a batch)", description='Body: {"points": [{"lat", "lng", "recorded_at", '
         '"accuracy_m"?, "speed_mps"?, "heading_deg"?, "delivery_id"?}]}, at most 500. A re-sent point '
         "(same recorded_at) is stored once.")
@require_role("driver")
def pings() -> tuple[dict[str, Any], int]:
    body, _ = json_body()
    points, errors = parse_points(body, utcnow())
    if errors:
        raise ApiError(422, "validation_failed", "some points are not valid", field_errors(errors))
    with transaction(get_runtime().sessions) as session:
        driver = _driver(session)
        stored = store_pings(session, driver.tenant_id, driver.id, points)
        if stored:  # ETAs and route deviation follow the newest position, after commit
            newest = max(points, key=lambda point: point["recorded_at"])
            enqueue_ping(session, driver.tenant_id, driver.id, newest)
        return {"received": len(points), "stored": stored}, 202
