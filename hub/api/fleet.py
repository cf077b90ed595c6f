"""The fleet API: depots, vehicles, drivers and carriers (CRUD), and the versioned assignment policy."""

from __future__ import annotations

from typing import Any, Callable

from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import func, select

from hub.api.auth import current, require_role
from hub.api.errors import ApiError, field_errors, not_found
from hub.api.requests import json_body
from hub.assignment.policy import validate_policy
from hub.canonical.ids import sortable_id
from hub.canonical.validation import marshmallow_field_errors
from hub.db.engine import transaction
from hub.db.models import Installation
from hub.db.models.fleet import AssignmentPolicyRow, Base, Carrier, Depot, Driver, Vehicle
from hub.runtime import get_runtime

blp = Blueprint("capacity", __name__, url_prefix="/api/v1", description="Own fleet, carriers and assignment policy")

HHMM = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="expected HH:MM (24 h), e.g. 14:30")
AMOUNT = validate.Regexp(r"^\d+(\.\d+)?$", error="expected a decimal number as a string, e.g. \"4.90\"")
LEVELS = ["same_day", "next_day", "scheduled", "express", "economy", "unknown"]


class CoverageSchema(Schema):
    postal_prefixes = fields.List(fields.String(validate=validate.Length(min=1)))
    polygons = fields.List(fields.Dict(), metadata={"description": "GeoJSON Polygon or MultiPolygon geometries"})


class DepotSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    address = fields.Dict()
    lat = fields.Float(validate=validate.Range(-90, 90), allow_none=True)
    lng = fields.Float(validate=validate.Range(-180, 180), allow_none=True)
    utc_offset_min = fields.Integer(validate=validate.Range(-720, 840))
    coverage = fields.Nested(CoverageSchema)
    service_levels = fields.List(fields.String(validate=validate.OneOf(LEVELS)))
    cutoff_time = fields.String(validate=HHMM, allow_none=True)
    active = fields.Boolean()


class VehicleSchema(Schema):
    depot_id = fields.String(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    capacity_weight_g = fields.Integer(validate=validate.Range(min=0), allow_none=True)
    capacity_volume_cm3 = fields.Integer(validate=validate.Range(min=0), allow_none=True)
    capacity_parcels = fields.Integer(validate=validate.Range(min=0), allow_none=True)
    features = fields.List(fields.String())
    cost_per_km = fields.String(validate=AMOUNT)
    cost_per_hour = fields.String(validate=AMOUNT)
    speed_kmh = fields.Float(validate=validate.Range(min=1, max=200))
    active = fields.Boolean()


class DriverSchema(Schema):
    depot_id = fields.String(required=True)
    vehicle_id = fields.String(allow_none=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    shift_start = fields.String(validate=HHMM)
    shift_end = fields.String(validate=HHMM)
    max_hours = fields.Float(validate=validate.Range(0, 24))
    zones = fields.List(fields.String(validate=validate.Length(min=1)))
    skills = fields.List(fields.String())
    rating = fields.Float(validate=validate.Range(0, 5))
    available = fields.Boolean()


class PriceCardSchema(Schema):
    currency = fields.String(validate=validate.Regexp(r"^[A-Z]{3}$"))
    base = fields.String(validate=AMOUNT)
    per_km = fields.String(validate=AMOUNT)
    per_kg = fields.String(validate=AMOUNT)
    surcharges = fields.Dict(keys=fields.String(), values=fields.String(validate=AMOUNT))


class QualitySchema(Schema):
    failed_attempt_rate = fields.Float(validate=validate.Range(0, 1))
    avg_delay_min = fields.Float(validate=validate.Range(min=0))
    pod_compliance = fields.Float(validate=validate.Range(0, 1))
    acceptance_rate = fields.Float(validate=validate.Range(0, 1))


class OriginSchema(Schema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lng = fields.Float(required=True, validate=validate.Range(-180, 180))


class CarrierSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    kind = fields.String(required=True, validate=validate.OneOf(["3pl", "crowd"]))
    installation_id = fields.String(allow_none=True)
    coverage = fields.Nested(CoverageSchema)
    origin = fields.Nested(OriginSchema)
    utc_offset_min = fields.Integer(validate=validate.Range(-720, 840))
    service_levels = fields.List(fields.String(validate=validate.OneOf(LEVELS)))
    features = fields.List(fields.String())
    cutoff_time = fields.String(validate=HHMM, allow_none=True)
    daily_capacity = fields.Integer(validate=validate.Range(min=0), allow_none=True)
    max_order_value = fields.String(validate=AMOUNT, allow_none=True)
    price_card = fields.Nested(PriceCardSchema)
    live_quote = fields.Boolean()
    speed_kmh = fields.Float(validate=validate.Range(min=1, max=200))
    rating = fields.Float(validate=validate.Range(0, 5))
    quality = fields.Nested(QualitySchema)
    # How long a carrier has to accept a job before it goes to the next candidate; 5 s to 1 h.
    acceptance_timeout_s = fields.Integer(validate=validate.Range(5, 3600))
    active = fields.Boolean()


# resource path -> (model, schema, id prefix, the tenant's rows it points at that must exist)
RESOURCES: dict[str, tuple[type[Base], type[Schema], str, dict[str, type[Base]]]] = {
    "depots": (Depot, DepotSchema, "dep_", {}),
    "vehicles": (Vehicle, VehicleSchema, "veh_", {"depot_id": Depot}),
    "drivers": (Driver, DriverSchema, "drv_", {"depot_id": Depot, "vehicle_id": Vehicle}),
    "carriers": (Carrier, CarrierSchema, "car_", {"installation_id": Installation}),
}


def dump(row: Base) -> dict[str, Any]:
    out = {c.name: getattr(row, c.name) for c in row.__table__.columns if c.name != "tenant_id"}
    if out.get("created_at") is not None:
        out["created_at"] = out["created_at"].isoformat()
    return out


def _load(schema: type[Schema], body: Any, partial: bool) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(422, "validation_failed", "the body must be a JSON object", [{"path": "$", "message": "not an object"}])
    try:
        return schema().load(body, partial=partial)
    except ValidationError as exc:
        raise ApiError(422, "validation_failed", "some fields are not valid",
                       field_errors(marshmallow_field_errors(exc.messages))) from None


def _check_refs(session: Any, refs: dict[str, type[Base]], data: dict[str, Any]) -> None:
    for field, model in refs.items():
        value = data.get(field)
        if value is None:
            continue
        row = session.get(model, value)
        if row is None or row.tenant_id != current().tenant_id:
            raise ApiError(422, "validation_failed", f"{field} does not name one of your {model.__tablename__}",
                           [{"path": f"$.{field}", "message": f"unknown id {value!r}"}])


def _owned(session: Any, model: type[Base], ident: str, what: str) -> Base:
    row = session.get(model, ident)
    if row is None or row.tenant_id != current().tenant_id:
        raise not_found(what, ident)
    return row


def _crud(resource: str) -> None:
    model, schema, prefix, refs = RESOURCES[resource]
    what = resource.rstrip("s")

    def create() -> tuple[dict[str, Any], int]:
        data = _load(schema, json_body()[0], partial=False)
        with transaction(get_runtime().sessions) as session:
            _check_refs(session, refs, data)
            row = model(id=sortable_id(prefix), tenant_id=current().tenant_id, **data)
            session.add(row)
            session.flush()
            return dump(row), 201

    def index() -> dict[str, Any]:
        with get_runtime().sessions() as session:
            rows = session.execute(select(model).where(model.tenant_id == current().tenant_id)
                                   .order_by(model.id)).scalars().all()
            return {"items": [dump(r) for r in rows]}

    def show(ident: str) -> dict[str, Any]:
        with get_runtime().sessions() as session:
            return dump(_owned(session, model, ident, what))

    def update(ident: str) -> dict[str, Any]:
        data = _load(schema, json_body()[0], partial=True)
        with transaction(get_runtime().sessions) as session:
            row = _owned(session, model, ident, what)
            _check_refs(session, refs, data)
            for key, value in data.items():
                setattr(row, key, value)
            session.flush()
            return dump(row)

    def delete(ident: str) -> tuple[str, int]:
        with transaction(get_runtime().sessions) as session:
            session.delete(_owned(session, model, ident, what))
        return "", 204

    views: list[tuple[str, str, Callable[..., Any], str, tuple[str, ...]]] = [
        ("", "POST", create, f"Create a {what}", ("admin",)),
        ("", "GET", index, f"List {resource}", ("admin", "integration")),
        ("/<ident>", "GET", show, f"Get a {what}", ("admin", "integration")),
        ("/<ident>", "PATCH", update, f"Change a {what} (send only what changes)", ("admin",)),
        ("/<ident>", "DELETE", delete, f"Delete a {what}", ("admin",)),
    ]
    for suffix, method, view, summary, roles in views:
        view.__name__ = f"{resource}_{view.__name__}"
        blp.route(f"/{resource}{suffix}", methods=[method], endpoint=view.__name__)(
            blp.doc(summary=summary)(require_role(*roles)(view)))


for _resource in RESOURCES:
    _crud(_resource)


def _policy_out(row: AssignmentPolicyRow | None) -> dict[str, Any]:
    if row is None:
        return {"version": 0, "document": {"strategy": "balanced"}, "created_at": None}
    return {"version": row.version, "document": row.document, "created_at": row.created_at.isoformat()}


@blp.route("/assignment-policy", methods=["GET"])
@blp.doc(summary="The assignment policy in force (version 0 is the built-in default: balanced)")
@require_role("admin", "integration")
def get_policy() -> dict[str, Any]:
    with get_runtime().sessions() as session:
        row = session.execute(select(AssignmentPolicyRow).where(AssignmentPolicyRow.tenant_id == current().tenant_id)
                              .order_by(AssignmentPolicyRow.version.desc()).limit(1)).scalar_one_or_none()
        return _policy_out(row)


@blp.route("/assignment-policy", methods=["PUT"])
@blp.doc(summary="Save a new version of the assignment policy",
         description="The body is an assignment_policy.v1 document (schemas/assignment_policy.v1.json); 422 names "
         "each bad field. Earlier versions are kept; decisions record the version they used.")
@require_role("admin")
def put_policy() -> tuple[dict[str, Any], int]:
    doc, _ = json_body()
    errors = validate_policy(doc)
    if errors:
        raise ApiError(422, "validation_failed", "the document does not match assignment_policy.v1", field_errors(errors))
    caller = current()
    with transaction(get_runtime().sessions) as session:
        latest = session.scalar(select(func.max(AssignmentPolicyRow.version))
                                .where(AssignmentPolicyRow.tenant_id == caller.tenant_id)) or 0
        row = AssignmentPolicyRow(tenant_id=caller.tenant_id, version=latest + 1, document=doc, created_by=caller.key_id)
        session.add(row)
        session.flush()
        return _policy_out(row), 201


@blp.route("/assignment-policy/versions", methods=["GET"])
@blp.doc(summary="Every saved version of the assignment policy, newest first")
@require_role("admin", "integration")
def policy_versions() -> dict[str, Any]:
    with get_runtime().sessions() as session:
        rows = session.execute(select(AssignmentPolicyRow).where(AssignmentPolicyRow.tenant_id == current().tenant_id)
                               .order_by(AssignmentPolicyRow.version.desc())).scalars().all()
        return {"items": [_policy_out(r) for r in rows]}
