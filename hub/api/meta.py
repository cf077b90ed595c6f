"""Connectors, the dead-letter view, and the health check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint as FlaskBlueprint
from flask_smorest import Blueprint
from redis.exceptions import RedisError
from rq import Worker
from sqlalchemy import text

from hub.api.auth import require_role
from hub.jobs.failures import dead_letters
from hub.plugins.settings import settings_json_schema
from hub.runtime import get_runtime

blp = Blueprint("meta", __name__, url_prefix="/api/v1", description="Connectors and jobs")
health = FlaskBlueprint("health", __name__)


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
@require_role("admin", "integration")
def connectors() -> dict[str, Any]:
    return connector_listing()


@blp.route("/jobs/dead-letters", methods=["GET"])
@blp.doc(summary="Jobs that failed for good, with the reason")
@require_role("admin")
def dead_letter_view() -> dict[str, Any]:
    return {"items": [
        {"id": d.id, "queue": d.queue, "function": d.func, "args": d.args, "reason": d.reason,
         "failed_at": d.failed_at.isoformat() if d.failed_at else None}
        for d in dead_letters(get_runtime())
    ]}


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
    checks["plugins"] = {"loaded": [s.id for s in runtime.registry.specs()],
                         "failed": [{"name": f.name, "error": f.error} for f in runtime.registry.failures()]}
    ok = checks["database"]["ok"] and checks["redis"]["ok"]
    return {"ok": ok, **checks}, 200 if ok else 503
