"""The fleet API: depots, vehicles, drivers and carriers (CRUD), and the versioned assignment policy."""

from __future__ import annotations

import copy
from typing import Any, Callable

from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from hub.api.auth import current, require_role
from hub.api.declare import AsSent, AsStored, Blueprint
from hub.api.errors import ApiError, not_found
from hub.api.requests import validated
from hub.assignment.policy import DEFAULT_DOCUMENT, SCHEMA
from hub.canonical.fields import Number, StrictBoolean, StrictInteger, Timestamp
from hub.canonical.ids import sortable_id
from hub.canonical.policy import AssignmentPolicySchema
from hub.canonical.vocabulary import AMOUNT_PATTERN, SERVICE_LEVELS
from hub.db.engine import transaction
from hub.db.models import Installation
from hub.db.models.fleet import AssignmentPolicyRow, Base, Carrier, Depot, Driver, Vehicle
from hub.runtime import get_runtime

blp = Blueprint("capacity", __name__, url_prefix="/api/v1", description="Own fleet, carriers and assignment policy")

# maxLength as well as the pattern: Python's `$` also matches before a final newline, and the columns are String(5).
HHMM = [validate.Length(max=5), validate.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$", error="expected HH:MM (24 h), e.g. 14:30")]
AMOUNT_TEXT = "expected a decimal number as a string, e.g. \"4.90\""
AMOUNT = validate.Regexp(AMOUNT_PATTERN, error=AMOUNT_TEXT)
STORED_AMOUNT = [validate.Length(max=20), AMOUNT]  # money columns are String(20)
COUNT = validate.Range(min=0, max=2**31 - 1)  # integer columns are 32-bit on PostgreSQL
NAME = validate.Length(min=1, max=120)
LATITUDE, LONGITUDE = validate.Range(-90, 90), validate.Range(-180, 180)
UTC_OFFSET = validate.Range(-720, 840)
SPEED = validate.Range(min=1, max=200)
RATING = validate.Range(0, 5)
SHARE = validate.Range(0, 1)


def _levels() -> fields.List:
    return fields.List(fields.String(validate=validate.OneOf(SERVICE_LEVELS)),
                       metadata={"description": "Service levels served; empty: all"})


class Coverage(Schema):
    postal_prefixes = fields.List(fields.String(validate=validate.Length(min=1)))
    polygons = fields.List(fields.Dict(), metadata={"description": "GeoJSON Polygon or MultiPolygon geometries "
                                                    "(or Features holding one), positions [lng, lat]"})


class NewDepot(Schema):
    name = fields.String(required=True, validate=NAME)
    address = fields.Dict(metadata={"description": "The depot's address (canonical Address fields)"})
    lat = Number(validate=LATITUDE, allow_none=True)
    lng = Number(validate=LONGITUDE, allow_none=True)
    utc_offset_min = StrictInteger(validate=UTC_OFFSET, metadata={"description": "Local time = UTC + this"})
    coverage = fields.Nested(Coverage)
    service_levels = _levels()
    cutoff_time = fields.String(validate=HHMM, allow_none=True,
                                metadata={"description": "HH:MM local, for same-day and express"})
    active = StrictBoolean()


class NewVehicle(Schema):
    depot_id = fields.String(required=True)
    name = fields.String(required=True, validate=NAME)
    capacity_weight_g = StrictInteger(validate=COUNT, allow_none=True)
    capacity_volume_cm3 = StrictInteger(validate=COUNT, allow_none=True)
    capacity_parcels = StrictInteger(validate=COUNT, allow_none=True)
    features = fields.List(fields.String(), metadata={"description": "e.g. cold_chain, tail_lift"})
    cost_per_km = fields.String(validate=STORED_AMOUNT)
    cost_per_hour = fields.String(validate=STORED_AMOUNT)
    speed_kmh = Number(validate=SPEED)
    active = StrictBoolean()


class NewDriver(Schema):
    depot_id = fields.String(required=True)
    vehicle_id = fields.String(allow_none=True)
    name = fields.String(required=True, validate=NAME)
    shift_start = fields.String(validate=HHMM, metadata={"description": "HH:MM, depot local time"})
    shift_end = fields.String(validate=HHMM, metadata={"description": "HH:MM, depot local time"})
    max_hours = Number(validate=validate.Range(0, 24))
    zones = fields.List(fields.String(validate=validate.Length(min=1)),
                        metadata={"description": "Postal prefixes; empty: the depot's whole area"})
    skills = fields.List(fields.String())
    rating = Number(validate=RATING)
    available = StrictBoolean()


class PriceCard(Schema):
    currency = fields.String(validate=[validate.Length(equal=3), validate.Regexp(r"^[A-Z]{3}$")])
    base = fields.String(validate=AMOUNT)
    per_km = fields.String(validate=AMOUNT)
    per_kg = fields.String(validate=AMOUNT)
    surcharges = fields.Dict(keys=fields.String(), values=fields.String(validate=AMOUNT))


class Quality(Schema):
    failed_attempt_rate = Number(validate=SHARE)
    avg_delay_min = Number(validate=validate.Range(min=0))
    pod_compliance = Number(validate=SHARE)
    acceptance_rate = Number(validate=SHARE)


class Origin(Schema):
    lat = Number(required=True, validate=LATITUDE)
    lng = Number(required=True, validate=LONGITUDE)


class NewCarrier(Schema):
    name = fields.String(required=True, validate=NAME)
    kind = fields.String(required=True, validate=validate.OneOf(["3pl", "crowd"]))
    installation_id = fields.String(allow_none=True, metadata={"description": "The connector installation that "
                                                               "dispatches its jobs"})
    coverage = fields.Nested(Coverage)
    origin = fields.Nested(Origin, metadata={"description": "Where its hub is, for distance"})
    utc_offset_min = StrictInteger(validate=UTC_OFFSET)
    service_levels = _levels()
    features = fields.List(fields.String())
    cutoff_time = fields.String(validate=HHMM, allow_none=True)
    daily_capacity = StrictInteger(validate=COUNT, allow_none=True, metadata={"description": "Deliveries per day"})
    max_order_value = fields.String(validate=STORED_AMOUNT, allow_none=True)
    price_card = fields.Nested(PriceCard)
    live_quote = StrictBoolean(metadata={"description": "Ask the connector for a quote instead of the price card"})
    speed_kmh = Number(validate=SPEED)
    rating = Number(validate=RATING)
    quality = fields.Nested(Quality)
    # How long a carrier has to accept a job before it goes to the next candidate; 5 s to 1 h.
    acceptance_timeout_s = StrictInteger(validate=validate.Range(5, 3600))
    active = StrictBoolean()


def _with(field: fields.Field, **attributes: Any) -> fields.Field:
    field = copy.copy(field)
    for name, value in attributes.items():
        setattr(field, name, value)
    return field


def changes_schema(body: type[Schema], name: str) -> type[Schema]:
    """A PATCH body: the fields of `body`, none required (send only what changes)."""
    return body.from_dict({n: _with(f, required=False) for n, f in body._declared_fields.items()}, name=name)


def row_schema(body: type[Schema], model: type[Base], name: str, **answered_as: fields.Field) -> type[Schema]:
    """A stored row as answered: every column of `body` always present, null where the column allows it."""
    columns = model.__table__.columns
    out: dict[str, fields.Field] = {n: _with(f, required=True, allow_none=columns[n].nullable)
                                    for n, f in body._declared_fields.items()}
    out.update(id=fields.String(required=True), created_at=Timestamp(required=True), **answered_as)
    return Schema.from_dict(out, name=name)


class Resource:
    """One CRUD resource: its table, what a POST takes, what a PATCH takes, what is answered."""

    def __init__(self, path: str, model: type[Base], body: type[Schema], prefix: str,
                 refs: dict[str, type[Base]], **answered_as: fields.Field) -> None:
        self.path, self.model, self.body, self.prefix, self.refs = path, model, body, prefix, refs
        self.what = model.__name__
        self.changes = changes_schema(body, f"{self.what}Changes")
        self.answer = row_schema(body, model, self.what, **answered_as)
        self.page = Schema.from_dict({"items": fields.List(fields.Nested(self.answer), required=True)},
                                     name=f"{self.what}List")


RESOURCES = [
    Resource("depots", Depot, NewDepot, "dep_", {}),
    Resource("vehicles", Vehicle, NewVehicle, "veh_", {"depot_id": Depot}),
    Resource("drivers", Driver, NewDriver, "drv_", {"depot_id": Depot, "vehicle_id": Vehicle}),
    # Until an origin is set it is stored as {}.
    Resource("carriers", Carrier, NewCarrier, "car_", {"installation_id": Installation},
             origin=fields.Dict(required=True, metadata={"description": "{lat, lng} of its hub; {} when not set"})),
]


def columns(row: Base) -> dict[str, Any]:
    return {c.name: getattr(row, c.name) for c in row.__table__.columns if c.name != "tenant_id"}


def _check_refs(session: Any, refs: dict[str, type[Base]], data: dict[str, Any]) -> None:
    """Ids in the body must name the caller's own rows: another tenant's are as unknown as missing ones (404)."""
    for field, model in refs.items():
        value = data.get(field)
        if value is None:
            continue
        row = session.get(model, value)
        if row is None or row.tenant_id != current().tenant_id:
            raise ApiError(404, "not_found", f"{field} does not name one of your {model.__tablename__}: {value!r}",
                           [{"path": f"$.{field}", "message": f"unknown id {value!r}"}])


def _owned(session: Any, model: type[Base], ident: str, what: str) -> Base:
    row = session.get(model, ident)
    if row is None or row.tenant_id != current().tenant_id:
        raise not_found(what, ident)
    return row


def _crud(resource: Resource) -> None:
    model, refs, what = resource.model, resource.refs, resource.path.rstrip("s")
    ref_note = f" {', '.join(refs)} must name your own rows (404 otherwise)." if refs else ""

    def create(data: dict[str, Any]) -> dict[str, Any]:
        with transaction(get_runtime().sessions) as session:
            _check_refs(session, refs, data)
            row = model(id=sortable_id(resource.prefix), tenant_id=current().tenant_id, **data)
            session.add(row)
            session.flush()
            return columns(row)

    def index() -> dict[str, Any]:
        with get_runtime().sessions() as session:
            rows = session.execute(select(model).where(model.tenant_id == current().tenant_id)
                                   .order_by(model.id)).scalars().all()
            return {"items": [columns(r) for r in rows]}

    def show(ident: str) -> dict[str, Any]:
        with get_runtime().sessions() as session:
            return columns(_owned(session, model, ident, what))

    def update(data: dict[str, Any], ident: str) -> dict[str, Any]:
        with transaction(get_runtime().sessions) as session:
            row = _owned(session, model, ident, what)
            _check_refs(session, refs, data)
            for key, value in data.items():
                setattr(row, key, value)
            session.flush()
            return columns(row)

    def delete(ident: str) -> None:
        with transaction(get_runtime().sessions) as session:
            session.delete(_owned(session, model, ident, what))

    item = f"/{resource.path}/<ident>"
    routes: list[tuple[str, str, Callable[..., Any], list[Callable[..., Any]], tuple[str, ...]]] = [
        (f"/{resource.path}", "POST", create, [
            blp.doc(summary=f"Create a {what}", description="422 names each bad field." + ref_note),
            blp.arguments(resource.body), blp.response(201, resource.answer, description=f"The new {what}")],
         ("admin",)),
        (f"/{resource.path}", "GET", index, [blp.doc(summary=f"List {resource.path}"), blp.response(200, resource.page)],
         ("admin", "integration")),
        (item, "GET", show, [blp.doc(summary=f"Get a {what}"), blp.response(200, resource.answer)],
         ("admin", "integration")),
        (item, "PATCH", update, [
            blp.doc(summary=f"Change a {what} (send only what changes)", description="422 names each bad field." + ref_note),
            blp.arguments(resource.changes), blp.response(200, resource.answer)], ("admin",)),
        (item, "DELETE", delete, [blp.doc(summary=f"Delete a {what}"), blp.response(204, description="Deleted")],
         ("admin",)),
    ]
    for path, method, view, declarations, roles in routes:
        view.__name__ = f"{resource.path}_{view.__name__}"
        declared = require_role(*roles)(view)
        for declare in reversed(declarations):
            declared = declare(declared)
        blp.route(path, methods=[method], endpoint=view.__name__)(declared)


for _resource in RESOURCES:
    _crud(_resource)


class PolicyDocument(AsSent, AssignmentPolicySchema):
    """An assignment policy (schemas/assignment_policy.v1.json), stored exactly as sent."""


class PolicyVersion(Schema):
    version = fields.Integer(required=True, metadata={"description": "0 is the built-in default (balanced)"})
    document = AsStored(AssignmentPolicySchema, required=True)
    created_at = Timestamp(required=True, allow_none=True, metadata={"description": "null for the built-in default"})


class PolicyVersions(Schema):
    items = fields.List(fields.Nested(PolicyVersion), required=True)


def _policy_out(row: AssignmentPolicyRow | None) -> dict[str, Any]:
    if row is None:
        return {"version": 0, "document": DEFAULT_DOCUMENT, "created_at": None}
    return {"version": row.version, "document": row.document, "created_at": row.created_at}


@blp.route("/assignment-policy", methods=["GET"])
@blp.doc(summary="The assignment policy in force (version 0 is the built-in default: balanced)")
@blp.response(200, PolicyVersion)
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
@blp.arguments(PolicyDocument)
@blp.response(201, PolicyVersion, description="Saved as the next version, in force from now")
@require_role("admin")
def put_policy(doc: dict[str, Any]) -> dict[str, Any]:
    validated(SCHEMA, doc)  # the JSON Schema is the contract; its marshmallow twin documents it
    caller = current()
    with transaction(get_runtime().sessions) as session:
        latest = session.scalar(select(func.max(AssignmentPolicyRow.version))
                                .where(AssignmentPolicyRow.tenant_id == caller.tenant_id)) or 0
        row = AssignmentPolicyRow(tenant_id=caller.tenant_id, version=latest + 1, document=doc, created_by=caller.key_id)
        session.add(row)
        session.flush()
        return _policy_out(row)


@blp.route("/assignment-policy/versions", methods=["GET"])
@blp.doc(summary="Every saved version of the assignment policy, newest first")
@blp.response(200, PolicyVersions)
@require_role("admin", "integration")
def policy_versions() -> dict[str, Any]:
    with get_runtime().sessions() as session:
        rows = session.execute(select(AssignmentPolicyRow).where(AssignmentPolicyRow.tenant_id == current().tenant_id)
                               .order_by(AssignmentPolicyRow.version.desc())).scalars().all()
        return {"items": [_policy_out(r) for r in rows]}
