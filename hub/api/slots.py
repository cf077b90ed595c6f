"""Delivery slots: the 2-hour windows a depot can still serve for an address (hub/slots), holds on them, the
publishable keys a shop page uses for both, and the tenant's slot settings (their shapes:
hub/api/slots_settings.py).

Reading slots and holding one accept an admin or integration key, or a publishable key (`pk_...`) as the
bearer: a shop's public page may show that one, and it opens nothing else. Browsers on other origins may
call these two (CORS), limited to the key's allowed origins.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import wraps
from typing import Any, Callable

from flask import Response, g, request
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError
from sqlalchemy import select
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from hub.api.auth import current, require_role
from hub.api.declare import Blueprint
from hub.api.errors import ApiError, not_found
from hub.api.limits import storage_uri
from hub.api.slots_settings import SlotSettingsBody, SlotSettingsInForce
from hub.db.engine import transaction
from hub.db.models import utcnow
from hub.db.models.slots import PublishableKey
from hub.plugins.settings import Pattern
from hub.runtime import get_runtime
from hub.slots import keys as publishable
from hub.slots.engine import Drop, slots_for
from hub.slots.reservations import SlotRefused, describe, get, hold, hold_lock, release
from hub.slots.settings import SlotSettingsError, load_settings, save_settings

blp = Blueprint("slots", __name__, url_prefix="/api/v1", description="Delivery slots and reservations")
CORS_PATHS = ("/api/v1/slots",)
# A publishable key is public, so anyone may hold windows with it. A shopper holds one per checkout, plus a
# few retries or a second tab; ten an hour per address leaves them room and stops one address from holding
# a whole day's capacity.
PICKER_HOLDS_PER_ADDRESS = parse("10 per hour")


class DropSchema(Schema):
    class Meta:
        # Where the drop-off is: both coordinates, or, without any coordinate, a postal code or a street address
        # with its city.
        openapi = {"anyOf": [{"required": ["lat", "lng"]},
                             {"required": ["postal_code"], "not": {"anyOf": [{"required": ["lat"]}, {"required": ["lng"]}]}},
                             {"required": ["address", "city"],
                              "not": {"anyOf": [{"required": ["lat"]}, {"required": ["lng"]}]}}]}

    address = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "the street line (street and number, e.g. \"Torstraße 109\"): located at the coordinates of "
                       "an earlier delivery of this tenant to it, else by its postal code's area; location.source says which"})
    city = fields.String(validate=validate.Length(min=1, max=100), metadata={
        "description": "with address: the city, needed when no postal_code is given"})
    postal_code = fields.String(validate=validate.Length(min=1, max=20))
    country = fields.String(validate=validate.Regexp(r"^[A-Z]{2}$"), load_default="",
                            metadata={"description": "ISO 3166-1 alpha-2; default: the depot's country"})
    lat = fields.Float(validate=validate.Range(-90, 90))
    lng = fields.Float(validate=validate.Range(-180, 180))
    weight_g = fields.Integer(validate=validate.Range(min=0), load_default=0)
    volume_cm3 = fields.Integer(validate=validate.Range(min=0), load_default=0)
    parcels = fields.Integer(validate=validate.Range(min=1, max=999), load_default=1)

    @validates_schema
    def _where(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("lat" in data) != ("lng" in data):
            raise ValidationError("give lat and lng together", "lat")
        if "postal_code" not in data and "lat" not in data and not ("address" in data and "city" in data):
            raise ValidationError("give a postal_code, a street address with its postal_code or city, or coordinates "
                                  "(lat, lng)", "postal_code")


class SlotQuerySchema(DropSchema):
    date = fields.Date(required=True, metadata={"description": "The depot's local day, YYYY-MM-DD"})


class ReservationRequestSchema(DropSchema):
    window_start = fields.AwareDateTime(required=True, metadata={
        "description": "The start of a window as GET /api/v1/slots answered it (RFC 3339 with an offset)"})


class SlotWindowSchema(Schema):
    start = fields.String(required=True)
    end = fields.String(required=True)
    open = fields.Boolean(required=True)
    reason = fields.String(metadata={"description": "why not open: full | cut_off_passed | outside_coverage"})
    reason_text = fields.String()
    depot_id = fields.String()


class LocationSchema(Schema):
    source = fields.String(metadata={"description": "how the address was located: given (lat, lng) | known_address "
                                     "(an earlier delivery of this tenant to the same street address) | postal_area "
                                     "(the postal code's centre) | depot (no better guess) | none"})
    lat = fields.Float(allow_none=True)
    lng = fields.Float(allow_none=True)


class SlotsSchema(Schema):
    date = fields.String(required=True)
    location = fields.Nested(LocationSchema)
    depot_ids = fields.List(fields.String())
    windows = fields.List(fields.Nested(SlotWindowSchema), required=True)


class HeldWindowSchema(Schema):
    start = fields.String()
    end = fields.String()


class ReservationSchema(Schema):
    id = fields.String(required=True)
    state = fields.String(metadata={"description": "held | confirmed | released | expired"})
    depot_id = fields.String()
    date = fields.String()
    window = fields.Nested(HeldWindowSchema)
    expires_at = fields.String()
    delivery_id = fields.String(allow_none=True)


class PublishableKeyRequestSchema(Schema):
    label = fields.String(load_default="", validate=validate.Length(max=120))
    allowed_origins = fields.List(fields.String(validate=Pattern(
        publishable.ORIGIN_PATTERN.removesuffix("$") + "/*$",
        error="Not an origin: scheme://host[:port] with nothing after it.")), load_default=list,
        metadata={"description": "e.g. https://shop.example; empty allows any"})


class PublishableKeySchema(Schema):
    id = fields.String(required=True)
    label = fields.String()
    allowed_origins = fields.List(fields.String())
    created_at = fields.String(allow_none=True)
    revoked_at = fields.String(allow_none=True)
    key = fields.String(metadata={"description": "shown once, when minted"})


class PublishableKeyListSchema(Schema):
    items = fields.List(fields.Nested(PublishableKeySchema))


def _in_force(settings: Any) -> dict[str, Any]:
    return {**settings.__dict__, "pickup_points": [p.as_dict() for p in settings.pickup_points]}


def _bearer() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def slot_caller(view: Callable[..., Any]) -> Callable[..., Any]:
    """An admin or integration key, or a publishable key from an allowed origin; sets g.slot_tenant."""
    protected = require_role("admin", "integration")(view)

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = _bearer()
        if not token.startswith(publishable.PREFIX):
            g.slot_channel = "api"
            return protected(*args, **kwargs)
        with get_runtime().sessions() as session:
            row = publishable.find(session, token)
            if row is None:
                raise ApiError(401, "unauthorized", "this publishable key is not valid (unknown or revoked)")
            if not publishable.allows_origin(row, request.headers.get("Origin")):
                raise ApiError(403, "forbidden", "this publishable key is not allowed on the page's origin "
                               f"{request.headers.get('Origin')!r}")
            g.slot_tenant, g.slot_channel = row.tenant_id, "picker"
        return view(*args, **kwargs)

    return wrapper


def _tenant() -> str:
    return g.slot_tenant if getattr(g, "slot_channel", "api") == "picker" else current().tenant_id  # type: ignore[no-any-return]


@blp.after_request
def _cors(response: Response) -> Response:
    """Shop pages on other origins call the slot reads and holds from the shopper's browser."""
    origin = request.headers.get("Origin")
    if origin and request.path.startswith(CORS_PATHS) and "publishable-keys" not in request.path:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, DELETE, OPTIONS"
        response.headers["Access-Control-Max-Age"] = "600"
        response.vary.add("Origin")
    return response


def _count_public_hold(redis_url: str, tenant_id: str) -> None:
    """429 past PICKER_HOLDS_PER_ADDRESS; Redis unreachable: not enforced (as the hub's other limits)."""
    address = request.remote_addr or "unknown"
    window = MovingWindowRateLimiter(storage_from_string(storage_uri(redis_url)))
    try:
        allowed = window.hit(PICKER_HOLDS_PER_ADDRESS, "hub-limits", "slot-holds", tenant_id, address)
    except (RedisError, OSError):
        return
    if not allowed:
        raise ApiError(429, "too_many_requests", f"too many windows held from your address ({PICKER_HOLDS_PER_ADDRESS}); "
                       "complete or release one first", [{"path": "$", "message": "held windows per address"}],
                       headers={"Retry-After": "600"})


def drop_of(args: dict[str, Any]) -> Drop:
    point = (args["lat"], args["lng"]) if "lat" in args else None
    return Drop(postal_code=args.get("postal_code", ""), country=args.get("country", ""), point=point,
                weight_g=args["weight_g"], volume_cm3=args["volume_cm3"], parcels=args["parcels"],
                street=args.get("address", ""), city=args.get("city", ""))


def answer_body(answer: Any) -> dict[str, Any]:
    lat, lng = answer.point if answer.point else (None, None)
    return {"date": answer.day.isoformat(), "location": {"source": answer.location_source, "lat": lat, "lng": lng},
            "depot_ids": answer.depot_ids, "windows": [w.as_dict() for w in answer.windows]}


@blp.route("/slots", methods=["GET"])
@blp.doc(summary="The delivery windows of a day for an address",
         description="Each window says open true/false and, when closed, why: full (the plan of the day, tried "
         "by cheapest insertion with time windows, capacity and shifts, has no room), cut_off_passed, or "
         "outside_coverage. Give a postal_code (and country), a street address (address, with postal_code or "
         "city, and country), or coordinates, plus the parcels' weight and volume. The hub has no geocoder: a street "
         "address is found among those this tenant delivered to with coordinates (location.source known_address), "
         "else located at its postal code's centre (postal_area).",
         security=[{"bearer": []}])
@blp.arguments(SlotQuerySchema, location="query")
@blp.response(200, SlotsSchema)
@slot_caller
def list_slots(args: dict[str, Any]) -> dict[str, Any]:
    with get_runtime().sessions() as session:
        answer = slots_for(session, _tenant(), args["date"], drop_of(args), utcnow())
    return answer_body(answer)


@blp.route("/slots/reservations", methods=["POST"])
@blp.doc(summary="Hold a window", description="Held for the tenant's slots.hold_minutes (default 15); the hold "
         "counts as a planned stop until it expires or is released, and is confirmed by the order that carries "
         "its id (slot_reservation_id). 409 names why the window cannot be held (full, cut_off_passed, "
         "outside_coverage).")
@blp.arguments(ReservationRequestSchema)
@blp.response(201, ReservationSchema)
@blp.alt_response(409, description="The window cannot be held: error.code is full, cut_off_passed, outside_coverage or not_a_window (not the start of a window of that day under the tenant's settings)")
@slot_caller
def create_reservation(body: dict[str, Any]) -> dict[str, Any]:
    runtime, tenant_id, start = get_runtime(), _tenant(), body["window_start"]
    if g.slot_channel == "picker":
        _count_public_hold(runtime.redis_url, tenant_id)
    try:
        with hold_lock(runtime.redis, tenant_id), transaction(runtime.sessions) as session:
            held = hold(session, tenant_id, drop_of(body), start, utcnow(), channel=g.slot_channel)
            return describe(held.reservation, utcnow())
    except SlotRefused as exc:
        raise ApiError(exc.status, exc.reason, exc.message, [{"path": "$.window_start", "message": exc.message}]) from None


@blp.route("/slots/reservations/<reservation_id>", methods=["GET"])
@blp.doc(summary="One reservation, with its state (held, confirmed, released, expired)")
@blp.response(200, ReservationSchema)
@slot_caller
def show_reservation(reservation_id: str) -> dict[str, Any]:
    with get_runtime().sessions() as session:
        row = get(session, _tenant(), reservation_id)
        if row is None:
            raise not_found("slot reservation", reservation_id)
        return describe(row, utcnow())


@blp.route("/slots/reservations/<reservation_id>", methods=["DELETE"])
@blp.doc(summary="Release a held window now (a confirmed one stays with its delivery)")
@blp.response(200, ReservationSchema)
@slot_caller
def release_reservation(reservation_id: str) -> dict[str, Any]:
    with transaction(get_runtime().sessions) as session:
        row = release(session, _tenant(), reservation_id)
        if row is None:
            raise not_found("slot reservation", reservation_id)
        return describe(row, utcnow())


@blp.route("/slots/publishable-keys", methods=["POST"])
@blp.doc(summary="Mint a publishable key for a shop page (shown once)",
         description="It reads slots and holds windows, nothing else. allowed_origins (e.g. https://shop.example) "
         "limits the pages whose browsers may use it; empty allows any.")
@blp.arguments(PublishableKeyRequestSchema)
@blp.response(201, PublishableKeySchema)
@require_role("admin")
def mint_publishable_key(body: dict[str, Any]) -> dict[str, Any]:
    with transaction(get_runtime().sessions) as session:
        try:
            row, plaintext = publishable.mint(session, current().tenant_id, label=body["label"],
                                              allowed_origins=body["allowed_origins"])
        except publishable.PublishableKeyRefused as exc:
            raise ApiError(422, "validation_failed", str(exc), [{"path": "$.allowed_origins", "message": str(exc)}]) from None
        return {**publishable.describe(row), "key": plaintext}


@blp.route("/slots/publishable-keys", methods=["GET"])
@blp.doc(summary="This tenant's publishable keys (never the keys themselves)")
@blp.response(200, PublishableKeyListSchema)
@require_role("admin")
def list_publishable_keys() -> dict[str, Any]:
    with get_runtime().sessions() as session:
        rows = session.execute(select(PublishableKey).where(PublishableKey.tenant_id == current().tenant_id)
                               .order_by(PublishableKey.id)).scalars()
        return {"items": [publishable.describe(r) for r in rows]}


@blp.route("/slots/publishable-keys/<key_id>", methods=["DELETE"])
@blp.doc(summary="Revoke a publishable key for good")
@blp.response(200, PublishableKeySchema)
@require_role("admin")
def revoke_publishable_key(key_id: str) -> dict[str, Any]:
    with transaction(get_runtime().sessions) as session:
        row = publishable.revoke(session, current().tenant_id, key_id, datetime.now(timezone.utc))
        if row is None:
            raise not_found("publishable key", key_id)
        return publishable.describe(row)


@blp.route("/settings/slots", methods=["GET"])
@blp.doc(summary="The slot settings in force (defaults filled in)")
@blp.response(200, SlotSettingsInForce)
@require_role("admin", "integration")
def get_slot_settings() -> dict[str, Any]:
    with get_runtime().sessions() as session:
        return _in_force(load_settings(session, current().tenant_id))


@blp.route("/settings/slots", methods=["PUT"])
@blp.doc(summary="Replace the slot settings", description="Keys: window_minutes, day_start, day_end, "
         "cutoff_minutes, hold_minutes, days_ahead, price, currency, pickup_points; a key left out follows its "
         "default. Answers the settings in force; 422 names a bad key.")
@blp.arguments(SlotSettingsBody)
@blp.response(200, SlotSettingsInForce)
@require_role("admin")
def put_slot_settings(body: dict[str, Any]) -> dict[str, Any]:
    with transaction(get_runtime().sessions) as session:
        try:
            settings = save_settings(session, current().tenant_id, body)
        except SlotSettingsError as exc:
            raise ApiError(422, "validation_failed", str(exc), [{"path": exc.path.replace("$.slots", "$", 1),
                                                                 "message": exc.message}]) from None
    return _in_force(settings)
