"""Connectors, the dead-letter view, and the health check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint as FlaskBlueprint
from marshmallow import Schema, fields
from redis.exceptions import RedisError
from rq import Worker
from sqlalchemy import text

from hub.api.auth import current, require_role
from hub.api.declare import Blueprint
from hub.outbox.failures import dead_letters
from hub.outbox.status import HEALTH_LATE_S, work_status
from hub.plugins.notifiers import default_notifiers
from hub.plugins.settings import settings_json_schema
from hub.runtime import get_runtime

blp = Blueprint("meta", __name__, url_prefix="/api/v1", description="Connectors and jobs")
health = FlaskBlueprint("health", __name__)


class ConnectorSchema(Schema):
    id = fields.String(required=True)
    label = fields.String(required=True)
    kind = fields.String(required=True)
    version = fields.String(required=True)
    description = fields.String(required=True)
    capabilities = fields.List(fields.String(), required=True)
    settings_schema = fields.Dict(required=True, metadata={"description": "JSON Schema of the settings an "
                                                                          "installation of it takes"})


class LoadFailureSchema(Schema):
    name = fields.String(required=True)
    entry_point = fields.String(required=True)
    error = fields.String(required=True)


class ConnectorList(Schema):
    items = fields.List(fields.Nested(ConnectorSchema), required=True)
    failed = fields.List(fields.Nested(LoadFailureSchema), required=True,
                         metadata={"description": "Entry points that did not load, and why"})


class DeadLetterSchema(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True)
    queue = fields.String(required=True)
    function = fields.String(required=True)
    args = fields.List(fields.Raw(), required=True)
    reason = fields.String(required=True)
    attempts = fields.Integer(required=True)
    failed_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})


class DeadLetterList(Schema):
    items = fields.List(fields.Nested(DeadLetterSchema), required=True)


class KindStatusSchema(Schema):
    pending = fields.Integer(required=True, metadata={"description": "Due or scheduled, never tried"})
    claimed = fields.Integer(required=True, metadata={"description": "A worker is on it now"})
    retrying = fields.Integer(required=True, metadata={"description": "Tried, failed, waiting for its next try"})
    dead = fields.Integer(required=True, metadata={"description": "Failed for good (GET /api/v1/jobs/dead-letters)"})
    oldest_pending_s = fields.Float(required=True, allow_none=True)


class WorkersSchema(Schema):
    alive = fields.Integer(required=True)
    names = fields.List(fields.String(), required=True)


class SweeperSchema(Schema):
    holder = fields.String(required=True, allow_none=True)
    alive = fields.Boolean(required=True)


class WorkStatusSchema(Schema):
    quiet = fields.Boolean(required=True, metadata={"description": "Nothing but periodic work is waiting"})
    work = fields.Dict(keys=fields.String(), values=fields.Nested(KindStatusSchema), required=True,
                       metadata={"description": "Per kind of work"})
    workers = fields.Nested(WorkersSchema, required=True)
    sweeper = fields.Nested(SweeperSchema, required=True)
    late_s = fields.Float(required=True, allow_none=True, metadata={"description": "The oldest due work's wait"})
    at = fields.String(required=True, metadata={"format": "date-time"})
    notes = fields.List(fields.String(), required=True)


def connector_listing() -> dict[str, Any]:
    registry = get_runtime().registry
    items = [
        {"id": s.id, "label": s.label, "kind": s.kind, "version": s.version, "description": s.description,
         "capabilities": sorted(s.capabilities), "settings_schema": settings_json_schema(s)}
        for s in registry.specs()
    ]
    failed = [{"name": f.name, "entry_point": f.value, "error": f.error} for f in registry.failures()]
    return {"items": items, "failed": failed}


@blp.route("/connectors", methods=["GET"])
@blp.doc(summary="Connectors found through entry points, and any that failed to load")
@blp.response(200, ConnectorList)
@require_role("admin", "integration")
def connectors() -> dict[str, Any]:
    return connector_listing()


@blp.route("/jobs/dead-letters", methods=["GET"])
@blp.doc(summary="This tenant's work that failed for good, with the reason (read from the database)")
@blp.response(200, DeadLetterList)
@require_role("admin")
def dead_letter_view() -> dict[str, Any]:
    return {"items": [
        {"id": d.id, "kind": d.kind, "queue": d.queue, "function": d.func, "args": d.args, "reason": d.reason,
         "attempts": d.attempts, "failed_at": d.failed_at.isoformat() if d.failed_at else None}
        for d in dead_letters(get_runtime(), tenant_id=current().tenant_id)
    ]}


@blp.route("/status", methods=["GET"])
@blp.doc(summary="The work waiting in the hub, per kind (pending, claimed, retrying, dead, oldest due), "
         "live workers and the sweeper; quiet when nothing is waiting. Read from the database.")
@blp.response(200, WorkStatusSchema)
@require_role("admin")
def status_view() -> dict[str, Any]:
    return work_status(get_runtime(), tenant_id=current().tenant_id).as_dict()


def _loaded(registry: Any) -> dict[str, Any]:
    """The plugins a registry loaded, and the ones that failed to load with why."""
    return {"loaded": [s.id for s in registry.specs()],
            "failed": [{"name": f.name, "error": f.error} for f in registry.failures()]}


@health.route("/healthz")
def healthz() -> tuple[dict[str, Any], int]:
    runtime = get_runtime()
    checks: dict[str, Any] = {}
    try:
        with runtime.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = {"ok": True, "dialect": runtime.engine.dialect.name}
    except Exception as exc:  # report, never crash the health check
        checks["database"] = {"ok": False, "error": str(exc)}
    try:
        runtime.redis.ping()
        checks["redis"] = {"ok": True, "workers": Worker.count(connection=runtime.redis)}
    except (RedisError, OSError) as exc:
        checks["redis"] = {"ok": False, "error": str(exc)}
    checks["plugins"] = _loaded(runtime.registry)
    checks["notifiers"] = _loaded(default_notifiers())
    ok = checks["database"]["ok"] and checks["redis"]["ok"]
    degraded: list[str] = []
    if checks["database"]["ok"]:
        work = work_status(runtime)
        checks["work"] = {"quiet": work.quiet, "late_s": work.late_s, "workers_alive": work.workers["alive"],
                          "sweeper": work.sweeper["holder"] if work.sweeper["alive"] else None}
        if work.late_s is not None and work.late_s > HEALTH_LATE_S:
            degraded.append(f"work has been due for {work.late_s:.0f} s without being started (over {HEALTH_LATE_S:.0f} s)")
        if not work.quiet and not work.workers["alive"]:
            degraded.append("work is waiting and no worker is alive")
    # Down (503) when the database or Redis is unreachable; degraded (200, "degraded" listing why) when the
    # web app serves but work is not moving: a load balancer keeps the app, a monitor still sees the problem.
    status = "down" if not ok else ("degraded" if degraded else "ok")
    return {"ok": ok and not degraded, "status": status, "degraded": degraded, **checks}, 200 if ok else 503
