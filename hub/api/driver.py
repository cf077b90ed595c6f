"""The driver API (driver keys): today's route, start it, arrive, complete with proof of delivery, fail with a
reason, location pings. A driver acts only on stops of their own route (404 otherwise)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

from flask import request
from flask_smorest.fields import Upload as UploadField
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate, validates_schema
from sqlalchemy.orm import Session

from hub.api.auth import current, require_role
from hub.api.body_limits import large_body
from hub.api.declare import AsStored, Blueprint
from hub.api.errors import ApiError, field_errors, not_found
from hub.canonical.delivery import DropoffSchema, ParcelSchema, RequirementsSchema, WindowSchema
from hub.canonical.events import PodCapturedSchema
from hub.canonical.fields import Number, Timestamp
from hub.canonical.statuses import transitions
from hub.db.engine import transaction
from hub.db.media import Upload, media_store, signed_url
from hub.db.models import Delivery, DeliveryEvent, utcnow
from hub.db.models.fleet import Depot, Driver
from hub.execution.custody import media_refs
from hub.execution.pings import MAX_CLOCK_AHEAD, MAX_POINTS, RANGES, parse_points, store_pings
from hub.execution.pod import FAIL_REASONS, MAX_FILE_BYTES, PodInput, PodRefused, complete_with_pod, fail_attempt
from hub.execution.route import DriverRoute, driver_route, start_route, stop_out
from hub.ledger.deliveries import change_status
from hub.runtime import get_runtime
from hub.tracking.pings import enqueue_ping

blp = Blueprint("driver", __name__, url_prefix="/api/v1/driver", description="For drivers: route, stops, proof of delivery")

STATUSES = sorted(transitions())


def refused(exc: PodRefused) -> ApiError:
    return ApiError(422, "pod_incomplete", str(exc), field_errors(exc.errors))


# ---- what the driver API takes --------------------------------------------------------------------------

def _ranged(name: str, **kwargs: Any) -> Number:
    low, high = RANGES[name]
    return Number(validate=validate.Range(min=low, max=high), **kwargs)


# lat and lng come together or not at all (JSON Schema, so clients and fuzzers see the rule).
LAT_LNG_TOGETHER = {"dependentRequired": {"lat": ["lng"], "lng": ["lat"]}}


def _lat_lng_together(data: dict[str, Any]) -> None:
    if ("lat" in data) != ("lng" in data):
        raise ValidationError("send lat and lng together", "lat")


class DayQuery(Schema):
    date = fields.Date(metadata={"description": "The route's day, YYYY-MM-DD (the depot's local day); default today"})


class PositionBody(Schema):
    """Where the driver is (optional)."""

    class Meta:
        openapi = LAT_LNG_TOGETHER

    lat = _ranged("lat")
    lng = _ranged("lng")
    accuracy_m = _ranged("accuracy_m")

    @validates_schema
    def _together(self, data: dict[str, Any], **kwargs: Any) -> None:
        _lat_lng_together(data)


# A character that is no ASCII space, the same to Python and to JavaScript (their \s differ beyond ASCII).
NOT_BLANK = re.compile(r"[^\t-\r ]")


class FailBody(PositionBody):
    class Meta:
        # "other" needs a note saying what happened.
        openapi = {**LAT_LNG_TOGETHER, "anyOf": [
            {"properties": {"reason_code": {"not": {"const": "other"}}}},
            {"required": ["note"], "properties": {"note": {"pattern": NOT_BLANK.pattern}}}]}

    reason_code = fields.String(required=True, validate=validate.OneOf(list(FAIL_REASONS)),
                                metadata={"description": "; ".join(f"{k}: {v}" for k, v in FAIL_REASONS.items())})
    note = fields.String(validate=validate.Length(max=2000))

    @validates_schema
    def _other_needs_a_note(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("reason_code") == "other" and not NOT_BLANK.search(data.get("note", "")):
            raise ValidationError("reason 'other' needs a note saying what happened", "note")


class PingPoint(Schema):
    class Meta:
        unknown = EXCLUDE  # a phone may send more (altitude, ...): not stored

    lat = _ranged("lat", required=True)
    lng = _ranged("lng", required=True)
    recorded_at = Timestamp(required=True, metadata={
        "description": f"The device's time of the fix; at most {MAX_CLOCK_AHEAD.seconds // 60} minutes ahead of "
        "the hub's clock. A re-sent point (same recorded_at) is stored once."})
    accuracy_m = _ranged("accuracy_m")
    speed_mps = _ranged("speed_mps")
    heading_deg = _ranged("heading_deg")
    delivery_id = fields.String(metadata={"description": "The stop the driver is heading to"})


class PingsBody(Schema):
    points = fields.List(fields.Nested(PingPoint), required=True, validate=validate.Length(min=1, max=MAX_POINTS))


class PodForm(Schema):
    """The proof of delivery as multipart/form-data: files and text fields together (declared at location
    "files", which flask-smorest documents as multipart/form-data; the text fields are read with them)."""

    signature = UploadField(metadata={"description": "One image"})
    photos = fields.List(UploadField(), metadata={"description": "Images; repeat the field for several"})
    photo = fields.List(UploadField(), metadata={"description": "Same as photos"})
    recipient_name = fields.String(validate=validate.Length(max=200))
    lat = fields.Float(validate=validate.Range(min=-90, max=90))
    lng = fields.Float(validate=validate.Range(min=-180, max=180))
    accuracy_m = fields.Float(validate=validate.Range(min=0, max=100_000))
    captured_at = Timestamp(metadata={"description": "When it was captured; now when left out"})
    notes = fields.String(validate=validate.Length(max=2000))
    age_verified = fields.Boolean(metadata={"description": "true when the recipient's ID was checked"})

    class Meta:
        openapi = LAT_LNG_TOGETHER

    @pre_load
    def _with_text_fields(self, files: Any, **kwargs: Any) -> dict[str, Any]:
        # webargs hands over request.files only; the text fields of the same form come from request.form.
        # A left-blank input (an empty string) is a field not given, as a browser form sends it.
        text = {name: value for name, value in request.form.items() if value != ""}
        return {**text, **{name: files[name] for name in files}}

    @validates_schema
    def _together(self, data: dict[str, Any], **kwargs: Any) -> None:
        _lat_lng_together(data)


# ---- what it answers -------------------------------------------------------------------------------------

class StopOut(Schema):
    position = fields.Integer(required=True, metadata={"description": "1-based, in driving order"})
    delivery_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    route_id = fields.String()
    eta = fields.String(metadata={"format": "date-time"})
    dropoff = AsStored(DropoffSchema)
    window = AsStored(WindowSchema)
    parcels = fields.List(AsStored(ParcelSchema))
    requirements = AsStored(RequirementsSchema, required=True)
    notes = fields.String()
    reference = fields.String(metadata={"description": "The order number the recipient knows"})


class RouteOut(Schema):
    driver_id = fields.String(required=True)
    date = fields.String(required=True, metadata={"format": "date"})
    route_id = fields.String(required=True, allow_none=True)
    vehicle_id = fields.String(required=True, allow_none=True)
    source = fields.String(required=True, metadata={"description": "Where the stops come from: route_plans or "
                                                    "route_events"})
    stops = fields.List(fields.Nested(StopOut), required=True)


class StartedStop(Schema):
    delivery_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    changed = fields.Boolean(required=True)
    reason = fields.String(metadata={"description": "Why it did not move"})


class Started(Schema):
    date = fields.String(required=True, metadata={"format": "date"})
    route_id = fields.String(required=True, allow_none=True)
    stops = fields.List(fields.Nested(StartedStop), required=True)


class StopStatus(Schema):
    delivery_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))


class Completed(StopStatus):
    pod_event_id = fields.String(required=True)
    pod = AsStored(PodCapturedSchema, required=True, metadata={"description": "The proof of delivery as recorded"})
    media_urls = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                             metadata={"description": "Media id -> signed link to the stored file (15 minutes)"})


class PingsStored(Schema):
    received = fields.Integer(required=True)
    stored = fields.Integer(required=True, metadata={"description": "New points; re-sent ones are stored once"})


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
    return driver_route(session, driver, day or _today(session, driver), utcnow())


def _my_stop(session: Session, driver: Driver, delivery_id: str, day: date | None) -> Delivery:
    """A delivery on this driver's route that day, else 404 (another driver's or tenant's stop is not there)."""
    for stop in _route(session, driver, day).stops:
        if stop.delivery.id == delivery_id:
            return stop.delivery
    raise not_found("stop on your route today", delivery_id)


def _position(body: dict[str, Any]) -> dict[str, float] | None:
    """lat / lng / accuracy_m of a loaded body (the schema checked ranges and that lat and lng come together)."""
    position = {name: float(body[name]) for name in ("lat", "lng", "accuracy_m") if name in body}
    return position if "lat" in position else None


def pod_from_form(form: dict[str, Any]) -> PodInput:
    """The multipart POD as loaded by PodForm: files signature, photos (repeat), fields recipient_name, lat,
    lng, accuracy_m, captured_at, notes, age_verified."""
    if not request.content_type or not request.content_type.startswith("multipart/form-data"):
        raise ApiError(415, "unsupported_media_type", "send the proof of delivery as multipart/form-data")

    def upload(kind: str, item: Any) -> Upload:
        return Upload(kind, (item.mimetype or "").lower(), item.stream.read(MAX_FILE_BYTES + 1))

    signature = form.get("signature")
    signature = signature if signature is not None and signature.filename else None  # an empty file input
    captured_at = form.get("captured_at")
    return PodInput(
        captured_at=captured_at.astimezone(timezone.utc) if captured_at else utcnow(),
        recipient_name=(form.get("recipient_name") or "").strip() or None,
        signature=upload("signature", signature) if signature else None,
        photos=[upload("photo", f) for f in form.get("photos", []) + form.get("photo", []) if f.filename],
        position=_position(form), notes=(form.get("notes") or "").strip() or None,
        age_verified=bool(form.get("age_verified")),
    )


def completed(delivery: Delivery, event: DeliveryEvent) -> dict[str, Any]:
    """The answer to a completion: the POD as recorded, and a signed link to each stored file."""
    config = get_runtime().config
    links = {ref["id"]: signed_url(config, ref["id"]) for ref in media_refs(event.data)}
    return {"delivery_id": delivery.id, "status": delivery.status, "pod_event_id": event.id, "pod": event.data,
            "media_urls": links}


# ---- driver endpoints -----------------------------------------------------------------------------------

DRIVER_ONLY = " Needs a driver key (403 for any other key)."


@blp.route("/route", methods=["GET"])
@blp.doc(summary="My route for today (stops in driving order)",
         description="Each stop: position, delivery_id, status, dropoff (address, contact, access), window, parcels, "
         "requirements (signature, photo, minimum_age)." + DRIVER_ONLY)
@blp.arguments(DayQuery, location="query")
@blp.response(200, RouteOut)
@require_role("driver")
def my_route(query: dict[str, Any]) -> dict[str, Any]:
    with get_runtime().sessions() as session:
        route = _route(session, _driver(session), query.get("date"))
        return {"driver_id": route.driver_id, "date": route.day.isoformat(), "route_id": route.route_id,
                "vehicle_id": route.vehicle_id, "source": route.source, "stops": [stop_out(s) for s in route.stops]}


@blp.route("/route/start", methods=["POST"])
@blp.doc(summary="Start today's route", description="Every stop waiting at the depot (planned, dispatched, "
         "rescheduled) goes in_transit, with a warehouse -> driver handoff. Running it again changes nothing. "
         "404 when there are no stops that day." + DRIVER_ONLY)
@blp.arguments(DayQuery, location="query")
@blp.response(200, Started)
@require_role("driver")
def start(query: dict[str, Any]) -> dict[str, Any]:
    with transaction(get_runtime().sessions) as session:
        driver = _driver(session)
        route = _route(session, driver, query.get("date"))
        if not route.stops:
            raise ApiError(404, "no_route", f"no stops on your route for {route.day.isoformat()}")
        results = start_route(session, route, driver, {"kind": "driver", "id": driver.id})
        return {"date": route.day.isoformat(), "route_id": route.route_id, "stops": results}


@blp.route("/stops/<delivery_id>/arrive", methods=["POST"])
@blp.doc(summary="Arriving at a stop", description="Body optional: where the driver is. 409 when the delivery "
         "cannot be arriving now (the answer names the allowed next statuses); 404 for a stop not on your "
         "route." + DRIVER_ONLY)
@blp.arguments(DayQuery, location="query")
@blp.arguments(PositionBody, required=False)
@blp.response(200, StopStatus)
@require_role("driver")
def arrive(query: dict[str, Any], body: dict[str, Any], delivery_id: str) -> dict[str, Any]:
    position = _position(body)
    with transaction(get_runtime().sessions) as session:
        driver = _driver(session)
        delivery = _my_stop(session, driver, delivery_id, query.get("date"))
        change_status(session, delivery, "arriving", actor={"kind": "driver", "id": driver.id},
                      reason="driver arriving", extra={"location": position} if position else None)
        return {"delivery_id": delivery.id, "status": delivery.status}


@blp.route("/stops/<delivery_id>/complete", methods=["POST"])
@blp.doc(summary="Complete a stop with proof of delivery (multipart/form-data)",
         description="415 for any other content type. 422 names what the delivery requires and is missing "
         "(signature, photos, age check) or a file that is not an image; 409 when it cannot be delivered now; "
         "404 for a stop not on your route." + DRIVER_ONLY)
@blp.arguments(DayQuery, location="query")
@blp.arguments(PodForm, location="files")
@blp.response(200, Completed)
@require_role("driver")
@large_body
def complete(query: dict[str, Any], form: dict[str, Any], delivery_id: str) -> dict[str, Any]:
    pod = pod_from_form(form)
    with transaction(get_runtime().sessions) as session:
        driver = _driver(session)
        delivery = _my_stop(session, driver, delivery_id, query.get("date"))
        actor = {"kind": "driver", "id": driver.id}
        try:
            event = complete_with_pod(session, media_store(get_runtime().config), delivery, pod, actor=actor,
                                      holder={"kind": "driver", "id": driver.id})
        except PodRefused as exc:
            raise refused(exc) from None
        return completed(delivery, event)


@blp.route("/stops/<delivery_id>/fail", methods=["POST"])
@blp.doc(summary="A failed attempt, with a reason code",
         description='"other" needs a note. 409 when the delivery cannot fail now; 404 for a stop not on your '
         "route." + DRIVER_ONLY)
@blp.arguments(DayQuery, location="query")
@blp.arguments(FailBody)
@blp.response(200, StopStatus)
@require_role("driver")
def fail(query: dict[str, Any], body: dict[str, Any], delivery_id: str) -> dict[str, Any]:
    with transaction(get_runtime().sessions) as session:
        driver = _driver(session)
        delivery = _my_stop(session, driver, delivery_id, query.get("date"))
        try:
            fail_attempt(session, delivery, body["reason_code"], body.get("note", ""),
                         actor={"kind": "driver", "id": driver.id}, position=_position(body))
        except PodRefused as exc:
            raise ApiError(422, "validation_failed", str(exc), field_errors(exc.errors)) from None
        return {"delivery_id": delivery.id, "status": delivery.status}


@blp.route("/pings", methods=["POST"])
@blp.doc(summary="Location pings (a batch)", description=f"At most {MAX_POINTS} points. A batch with a point "
         f"dated more than {MAX_CLOCK_AHEAD.seconds // 60} minutes ahead of the hub's clock is refused (409 "
         "clock_ahead, naming each such point: check the device clock)." + DRIVER_ONLY)
@blp.arguments(PingsBody)
@blp.response(202, PingsStored)
@require_role("driver")
def pings(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    points, errors = parse_points(body, utcnow())  # the schema checked the shape; this checks the clock
    if errors:  # well-formed, but the device's clock disagrees with the hub's: a conflict, not a bad request
        raise ApiError(409, "clock_ahead", "some points are dated ahead of the hub's clock: check the device clock",
                       field_errors(errors))
    with transaction(get_runtime().sessions) as session:
        driver = _driver(session)
        stored = store_pings(session, driver.tenant_id, driver.id, points)
        if stored:  # ETAs and route deviation follow the newest position, after commit
            newest = max(points, key=lambda point: point["recorded_at"])
            enqueue_ping(session, driver.tenant_id, driver.id, newest)
        return {"received": len(points), "stored": stored}, 202
