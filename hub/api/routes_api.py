"""Route plans: plan a depot's day, read versions (JSON, GeoJSON), lock and move stops, re-plan."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, jsonify
from marshmallow import INCLUDE, Schema, fields, validate

from hub.api.auth import current, require_role
from hub.api.declare import Blueprint, StoredDocument
from hub.api.errors import ApiError
from hub.db.engine import transaction
from hub.db.models.fleet import Depot
from hub.errors import TransientError
from hub.planning import service
from hub.planning.days import MAX_TIME_LIMIT_S, plan_depot_day, schedule_plan
from hub.planning.planner import time_limit_for
from hub.runtime import get_runtime

blp = Blueprint("plans", __name__, url_prefix="/api/v1/plans", description="Route plans for the own fleet")

# ?wait=true solves inside the request: keep it under gunicorn's default 30 s worker timeout, with room
# to load and save. Bigger days go through the queue.
MAX_SYNC_TIME_LIMIT_S = 20.0
# A request waits this long for a plan of the same day that is being computed, then answers 409.
SYNC_LOCK_WAIT_S = 5.0
ROLES = ("admin", "integration")
ID = validate.Length(min=1, max=40)


def _time_limit() -> fields.Float:
    return fields.Float(validate=validate.Range(min=0.1, max=MAX_TIME_LIMIT_S), metadata={
        "description": f"Seconds the solver may take; at most {MAX_SYNC_TIME_LIMIT_S:g} with ?wait=true"})


class PlanRequestSchema(Schema):
    depot_id = fields.String(required=True, validate=ID)
    date = fields.Date(required=True, metadata={"description": "The depot's local day, YYYY-MM-DD"})
    time_limit_s = _time_limit()


class ReplanSchema(Schema):
    time_limit_s = _time_limit()


class LockSchema(Schema):
    vehicle_id = fields.String(required=True, validate=ID)
    sequence = fields.Integer(allow_none=True, validate=validate.Range(min=0),
                              metadata={"description": "0-based position among the vehicle's remaining stops"})


class MoveSchema(Schema):
    vehicle_id = fields.String(required=True, validate=ID)
    position = fields.Integer(required=True, validate=validate.Range(min=0),
                              metadata={"description": "0-based position among the vehicle's remaining stops"})


class WaitQuery(Schema):
    wait = fields.Boolean(load_default=False, metadata={
        "description": "true: plan in the request and answer the plan; otherwise queued (202)"})


class PlanListQuery(Schema):
    depot_id = fields.String(validate=ID)
    date = fields.Date(metadata={"description": "YYYY-MM-DD"})


class Totals(Schema):
    vehicles_used = fields.Integer(required=True)
    stops = fields.Integer(required=True)
    unassigned = fields.Integer(required=True)
    distance_m = fields.Integer(required=True)
    duration_s = fields.Integer(required=True)
    cost = fields.Float(required=True)


class PlanSummary(Schema):
    id = fields.String(required=True)
    depot_id = fields.String(required=True)
    date = fields.String(required=True, metadata={"format": "date"})
    version = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["active", "superseded"]))
    trigger = fields.String(required=True, metadata={"description": "What asked for this version"})
    backend = fields.String(required=True)
    objective = fields.Float(required=True)
    time_limit_s = fields.Float(required=True)
    totals = fields.Nested(Totals, required=True)
    created_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})


class PlanList(Schema):
    items = fields.List(fields.Nested(PlanSummary), required=True)


class Pin(Schema):
    vehicle_id = fields.String(required=True)
    position = fields.Integer(required=True, allow_none=True)


class PlannedStop(Schema):
    sequence = fields.Integer(required=True)
    delivery_id = fields.String(required=True)
    arrival = fields.String(required=True, metadata={"format": "date-time"})
    wait_s = fields.Integer(required=True)
    service_start = fields.String(required=True, metadata={"format": "date-time"})
    departure = fields.String(required=True, metadata={"format": "date-time"})
    load_after = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    state = fields.String(required=True)
    lock = fields.Nested(Pin, required=True, allow_none=True)
    eta_sent_window = fields.Dict(required=True, allow_none=True)


class PlannedRoute(Schema):
    vehicle_id = fields.String(required=True)
    driver_id = fields.String(required=True, allow_none=True)
    start = fields.String(required=True, metadata={"format": "date-time"})
    end = fields.String(required=True, metadata={"format": "date-time"})
    distance_m = fields.Integer(required=True)
    duration_s = fields.Integer(required=True)
    cost = fields.Float(required=True)
    start_load = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    stops = fields.List(fields.Nested(PlannedStop), required=True)


class Unassigned(Schema):
    delivery_id = fields.String(required=True)
    reason = fields.String(required=True)
    reason_text = fields.String(required=True)
    message = fields.String(required=True)


class PlanDetail(StoredDocument, PlanSummary):
    """A stored plan: its summary, every route's stops in driving order, and what could not be planned."""

    origin = fields.String(required=True, metadata={"format": "date-time"})
    dimensions = fields.List(fields.String(), required=True)
    routes = fields.List(fields.Nested(PlannedRoute), required=True)
    unassigned = fields.List(fields.Nested(Unassigned), required=True)
    notes = fields.List(fields.String(), required=True)


class Queued(StoredDocument, Schema):
    """Answered as is: the same view answers a plan (201) or why there is none (200), which flask-smorest
    would otherwise dump through this, the operation's main schema."""

    status = fields.String(required=True, validate=validate.OneOf(["queued"]))
    job_id = fields.String(required=True)
    depot_id = fields.String(required=True)
    date = fields.String(required=True, metadata={"format": "date"})


class NotPlanned(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["nothing_to_plan", "stale"]))
    depot_id = fields.String(required=True)
    date = fields.String(required=True, metadata={"format": "date"})
    message = fields.String(required=True)


class StopPin(Pin):
    delivery_id = fields.String(required=True)


class LockedQueued(Queued):
    lock = fields.Nested(StopPin, required=True)


class LockedNotPlanned(NotPlanned):
    lock = fields.Nested(StopPin, required=True)


class LockedPlan(PlanDetail):
    lock = fields.Nested(StopPin, required=True)


class GeoJson(StoredDocument, Schema):
    """A GeoJSON FeatureCollection (RFC 7946)."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(required=True, validate=validate.OneOf(["FeatureCollection"]))
    features = fields.List(fields.Dict(), required=True)


def _api_error(exc: service.PlanError) -> ApiError:
    return ApiError(exc.status, exc.code, exc.message, [{"path": exc.path, "message": exc.message}])


def _run(depot_id: str, day: date, time_limit_s: float | None, trigger: str, wait: bool) -> tuple[dict[str, Any], int]:
    """Plan now (?wait=true) and answer with the stored plan, or queue it and answer 202."""
    tenant_id, runtime = current().tenant_id, get_runtime()
    if not wait:
        job_id = schedule_plan(runtime, tenant_id, depot_id, day.isoformat(), delay_s=0, time_limit_s=time_limit_s,
                               trigger=trigger)
        return {"status": "queued", "job_id": job_id, "depot_id": depot_id, "date": day.isoformat()}, 202
    if time_limit_s is not None and time_limit_s > MAX_SYNC_TIME_LIMIT_S:
        raise ApiError(422, "validation_failed", f"with wait=true the time limit is at most {MAX_SYNC_TIME_LIMIT_S:g} s; "
                       "leave wait out to plan in the background",
                       [{"path": "$.time_limit_s", "message": f"at most {MAX_SYNC_TIME_LIMIT_S:g} with wait=true"}])
    with runtime.sessions() as session:
        limit = min(time_limit_s or time_limit_for(session, tenant_id, None), MAX_SYNC_TIME_LIMIT_S)
    try:
        result = plan_depot_day(tenant_id, depot_id, day.isoformat(), limit, trigger, wait_s=SYNC_LOCK_WAIT_S)
    except TransientError as exc:
        raise ApiError(409, "busy", str(exc)) from None
    except ValueError as exc:  # the depot as stored cannot be planned (e.g. no coordinates): fix the depot
        raise ApiError(409, "depot_not_plannable", str(exc), [{"path": "$.depot_id", "message": str(exc)}]) from None
    if result["status"] != "planned":
        messages = {"nothing_to_plan": "no own-fleet deliveries are assigned to this depot for that day",
                    "stale": "a newer plan was stored while this one was computed; it stands"}
        return {**result, "message": messages.get(result["status"], "")}, 200
    with runtime.sessions() as session:
        return service.detail(session, service.get_plan(session, result["plan_id"])), 201


QUEUED = "Queued: planned by a job (without ?wait=true)"
NOT_PLANNED = "Nothing to plan for that day, or a newer plan was stored meanwhile (with ?wait=true)"
PLANNED = "Planned in the request (?wait=true): the new plan"


@blp.route("", methods=["POST"])
@blp.doc(summary="Plan a depot's day", description="Queued (202) unless ?wait=true, which plans in the request "
         f"(time limit at most {MAX_SYNC_TIME_LIMIT_S:g} s; more is 422) and returns the plan. 404 when depot_id "
         "is not one of your depots; 409 while the same day is being planned, or when the depot cannot be planned "
         "(no coordinates).")
@blp.arguments(WaitQuery, location="query")
@blp.arguments(PlanRequestSchema)
@blp.response(202, Queued, description=QUEUED)
@blp.alt_response(201, schema=PlanDetail, description=PLANNED)
@blp.alt_response(200, schema=NotPlanned, description=NOT_PLANNED)
@require_role(*ROLES)
def create_plan(query: dict[str, Any], data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    with get_runtime().sessions() as session:
        depot = session.get(Depot, data["depot_id"])
        if depot is None or depot.tenant_id != current().tenant_id:
            raise ApiError(404, "not_found", "depot_id does not name one of your depots",
                           [{"path": "$.depot_id", "message": f"unknown id {data['depot_id']!r}"}])
    return _run(data["depot_id"], data["date"], data.get("time_limit_s"), "api", query["wait"])


@blp.route("", methods=["GET"])
@blp.doc(summary="List route plans", description="Filters: depot_id, date (YYYY-MM-DD). Newest version first.")
@blp.arguments(PlanListQuery, location="query")
@blp.response(200, PlanList)
@require_role(*ROLES)
def list_plans(query: dict[str, Any]) -> dict[str, Any]:
    with get_runtime().sessions() as session:
        rows = service.list_plans(session, current().tenant_id, query.get("depot_id"), query.get("date"))
        return {"items": [service.summary(r) for r in rows]}


def _plan(session: Any, plan_id: str) -> Any:
    try:
        return service.get_plan(session, plan_id, current().tenant_id)
    except service.PlanError as exc:
        raise _api_error(exc) from None


@blp.route("/<plan_id>", methods=["GET"])
@blp.doc(summary="A plan with its routes and stops in order, and the unassigned deliveries with reasons")
@blp.response(200, PlanDetail)
@require_role(*ROLES)
def get_plan(plan_id: str) -> dict[str, Any]:
    with get_runtime().sessions() as session:
        return service.detail(session, _plan(session, plan_id))


@blp.route("/<plan_id>/geojson", methods=["GET"])
@blp.doc(summary="The plan as a GeoJSON FeatureCollection (routes, stops, depot, unassigned)")
@blp.response(200, GeoJson, content_type="application/geo+json")
@require_role(*ROLES)
def get_geojson(plan_id: str) -> Response:
    with get_runtime().sessions() as session:
        answer = jsonify(service.geojson(_plan(session, plan_id)))
    answer.mimetype = "application/geo+json"  # a Response passes flask-smorest as is, with its own type
    return answer


def _lock_and_replan(plan_id: str, delivery_id: str, vehicle_id: str, position: int | None,
                     trigger: str, wait: bool) -> tuple[dict[str, Any], int]:
    with transaction(get_runtime().sessions) as session:
        row = _plan(session, plan_id)
        try:
            stop = service.set_lock(session, row, delivery_id, vehicle_id, position)
        except service.PlanError as exc:
            raise _api_error(exc) from None
        lock = {"delivery_id": stop.delivery_id, "vehicle_id": stop.lock_vehicle_id, "position": stop.lock_position}
        depot_id, day = row.depot_id, row.plan_date
    body, status = _run(depot_id, day, None, trigger, wait)
    return {**body, "lock": lock}, status


@blp.route("/<plan_id>/stops/<delivery_id>/lock", methods=["POST"])
@blp.doc(summary="Pin a stop to a vehicle (and optionally a position), then re-plan",
         description="Only on the current version (409 otherwise); 422 when vehicle_id is not one of the plan's "
         "vehicles. Re-plans in the background unless ?wait=true.")
@blp.arguments(WaitQuery, location="query")
@blp.arguments(LockSchema)
@blp.response(202, LockedQueued, description=QUEUED)
@blp.alt_response(201, schema=LockedPlan, description=PLANNED)
@blp.alt_response(200, schema=LockedNotPlanned, description=NOT_PLANNED)
@require_role(*ROLES)
def lock_stop(query: dict[str, Any], data: dict[str, Any], plan_id: str,
              delivery_id: str) -> tuple[dict[str, Any], int]:
    return _lock_and_replan(plan_id, delivery_id, data["vehicle_id"], data.get("sequence"), "api.lock", query["wait"])


@blp.route("/<plan_id>/stops/<delivery_id>/move", methods=["POST"])
@blp.doc(summary="Move a stop to a vehicle at a position, then re-plan",
         description="The stop stays locked there in later re-plans. Only on the current version (409 otherwise); "
         "422 when vehicle_id is not one of the plan's vehicles. Re-plans in the background unless ?wait=true.")
@blp.arguments(WaitQuery, location="query")
@blp.arguments(MoveSchema)
@blp.response(202, LockedQueued, description=QUEUED)
@blp.alt_response(201, schema=LockedPlan, description=PLANNED)
@blp.alt_response(200, schema=LockedNotPlanned, description=NOT_PLANNED)
@require_role(*ROLES)
def move_stop(query: dict[str, Any], data: dict[str, Any], plan_id: str,
              delivery_id: str) -> tuple[dict[str, Any], int]:
    return _lock_and_replan(plan_id, delivery_id, data["vehicle_id"], data["position"], "api.move", query["wait"])


@blp.route("/<plan_id>/replan", methods=["POST"])
@blp.doc(summary="Re-plan the plan's day from its current version",
         description="In the background unless ?wait=true (then a time limit of at most "
         f"{MAX_SYNC_TIME_LIMIT_S:g} s; more is 422).")
@blp.arguments(WaitQuery, location="query")
@blp.arguments(ReplanSchema, required=False)
@blp.response(202, Queued, description=QUEUED)
@blp.alt_response(201, schema=PlanDetail, description=PLANNED)
@blp.alt_response(200, schema=NotPlanned, description=NOT_PLANNED)
@require_role(*ROLES)
def replan_plan(query: dict[str, Any], data: dict[str, Any], plan_id: str) -> tuple[dict[str, Any], int]:
    with get_runtime().sessions() as session:
        row = _plan(session, plan_id)
        depot_id, day = row.depot_id, row.plan_date
    return _run(depot_id, day, data.get("time_limit_s"), "api.replan", query["wait"])
