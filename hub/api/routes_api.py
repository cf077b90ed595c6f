"""Route plans: plan a depot's day, read versions (JSON, GeoJSON), lock and move stops, re-plan."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate

from hub.api.auth import current, require_role
from hub.api.errors import ApiError, field_errors
from hub.api.requests import date_arg, json_body
from hub.canonical.validation import marshmallow_field_errors
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


class PlanRequestSchema(Schema):
    depot_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    date = fields.Date(required=True)
    time_limit_s = fields.Float(validate=validate.Range(min=0.1, max=MAX_TIME_LIMIT_S))


class ReplanSchema(Schema):
    time_limit_s = fields.Float(validate=validate.Range(min=0.1, max=MAX_TIME_LIMIT_S))


class LockSchema(Schema):
    vehicle_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    sequence = fields.Integer(allow_none=True, validate=validate.Range(min=0),
                              metadata={"description": "0-based position among the vehicle's remaining stops"})


class MoveSchema(Schema):
    vehicle_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    position = fields.Integer(required=True, validate=validate.Range(min=0),
                              metadata={"description": "0-based position among the vehicle's remaining stops"})


def _body(schema: type[Schema], optional: bool = False) -> dict[str, Any]:
    if optional and not request.get_data():
        return {}
    doc, _ = json_body()
    if not isinstance(doc, dict):
        raise ApiError(422, "validation_failed", "the body must be a JSON object", [{"path": "$", "message": "not an object"}])
    try:
        return schema().load(doc)
    except ValidationError as exc:
        raise ApiError(422, "validation_failed", "some fields are not valid",
                       field_errors(marshmallow_field_errors(exc.messages))) from None


def _wait() -> bool:
    return request.args.get("wait", "").lower() in ("1", "true", "yes")


def _api_error(exc: service.PlanError) -> ApiError:
    return ApiError(exc.status, exc.code, exc.message, [{"path": exc.path, "message": exc.message}])


def _run(depot_id: str, day: date, time_limit_s: float | None, trigger: str) -> tuple[dict[str, Any], int]:
    """Plan now (?wait=true) and answer with the stored plan, or queue it and answer 202."""
    tenant_id, runtime = current().tenant_id, get_runtime()
    if not _wait():
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
    except ValueError as exc:  # e.g. a depot without coordinates
        raise ApiError(422, "validation_failed", str(exc), [{"path": "$.depot_id", "message": str(exc)}]) from None
    if result["status"] != "planned":
        messages = {"nothing_to_plan": "no own-fleet deliveries are assigned to this depot for that day",
                    "stale": "a newer plan was stored while this one was computed; it stands"}
        return {**result, "message": messages.get(result["status"], "")}, 200
    with runtime.sessions() as session:
        return service.detail(session, service.get_plan(session, result["plan_id"])), 201


@blp.route("", methods=["POST"])
@blp.doc(summary="Plan a depot's day", description='Body: {"depot_id", "date": "YYYY-MM-DD", "time_limit_s"?}. '
         "Queued (202) unless ?wait=true, which plans in the request (time limit at most 20 s) and returns the plan.")
@require_role(*ROLES)
def create_plan() -> tuple[dict[str, Any], int]:
    data = _body(PlanRequestSchema)
    with get_runtime().sessions() as session:
        depot = session.get(Depot, data["depot_id"])
        if depot is None or depot.tenant_id != current().tenant_id:
            raise ApiError(422, "validation_failed", "depot_id does not name one of your depots",
                           [{"path": "$.depot_id", "message": f"unknown id {data['depot_id']!r}"}])
    return _run(data["depot_id"], data["date"], data.get("time_limit_s"), "api")


@blp.route("", methods=["GET"])
@blp.doc(summary="List route plans", description="Filters: depot_id, date (YYYY-MM-DD). Newest version first.")
@require_role(*ROLES)
def list_plans() -> dict[str, Any]:
    day = date_arg()
    with get_runtime().sessions() as session:
        rows = service.list_plans(session, current().tenant_id, request.args.get("depot_id"), day)
        return {"items": [service.summary(r) for r in rows]}


def _plan(session: Any, plan_id: str) -> Any:
    try:
        return service.get_plan(session, plan_id, current().tenant_id)
    except service.PlanError as exc:
        raise _api_error(exc) from None


@blp.route("/<plan_id>", methods=["GET"])
@blp.doc(summary="A plan with its routes and stops in order, and the unassigned deliveries with reasons")
@require_role(*ROLES)
def get_plan(plan_id: str) -> dict[str, Any]:
    with get_runtime().sessions() as session:
        return service.detail(session, _plan(session, plan_id))


@blp.route("/<plan_id>/geojson", methods=["GET"])
@blp.doc(summary="The plan as a GeoJSON FeatureCollection (routes, stops, depot, unassigned)")
@require_role(*ROLES)
def get_geojson(plan_id: str) -> Any:
    with get_runtime().sessions() as session:
        body = service.geojson(_plan(session, plan_id))
    return body, 200, {"Content-Type": "application/geo+json"}


def _lock_and_replan(plan_id: str, delivery_id: str, vehicle_id: str, position: int | None,
                     trigger: str) -> tuple[dict[str, Any], int]:
    with transaction(get_runtime().sessions) as session:
        row = _plan(session, plan_id)
        try:
            stop = service.set_lock(session, row, delivery_id, vehicle_id, position)
        except service.PlanError as exc:
            raise _api_error(exc) from None
        lock = {"delivery_id": stop.delivery_id, "vehicle_id": stop.lock_vehicle_id, "position": stop.lock_position}
        depot_id, day = row.depot_id, row.plan_date
    body, status = _run(depot_id, day, None, trigger)
    return {**body, "lock": lock}, status


@blp.route("/<plan_id>/stops/<delivery_id>/lock", methods=["POST"])
@blp.doc(summary="Pin a stop to a vehicle (and optionally a position), then re-plan",
         description='Body: {"vehicle_id", "sequence"?: 0-based position among the remaining stops}. Only on the '
         "current version (409 otherwise). Re-plans in the background unless ?wait=true.")
@require_role(*ROLES)
def lock_stop(plan_id: str, delivery_id: str) -> tuple[dict[str, Any], int]:
    data = _body(LockSchema)
    return _lock_and_replan(plan_id, delivery_id, data["vehicle_id"], data.get("sequence"), "api.lock")


@blp.route("/<plan_id>/stops/<delivery_id>/move", methods=["POST"])
@blp.doc(summary="Move a stop to a vehicle at a position, then re-plan",
         description='Body: {"vehicle_id", "position": 0-based among the remaining stops}. The stop stays locked '
         "there in later re-plans. Re-plans in the background unless ?wait=true.")
@require_role(*ROLES)
def move_stop(plan_id: str, delivery_id: str) -> tuple[dict[str, Any], int]:
    data = _body(MoveSchema)
    return _lock_and_replan(plan_id, delivery_id, data["vehicle_id"], data["position"], "api.move")


@blp.route("/<plan_id>/replan", methods=["POST"])
@blp.doc(summary="Re-plan the plan's day from its current version",
         description='Body (optional): {"time_limit_s"}. In the background unless ?wait=true.')
@require_role(*ROLES)
def replan_plan(plan_id: str) -> tuple[dict[str, Any], int]:
    data = _body(ReplanSchema, optional=True)
    with get_runtime().sessions() as session:
        row = _plan(session, plan_id)
        depot_id, day = row.depot_id, row.plan_date
    return _run(depot_id, day, data.get("time_limit_s"), "api.replan")
