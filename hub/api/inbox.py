"""The inbox as the integrator sees it: every stored inbound request, what became of it and why.

A hook answers 200 "accepted" before its job runs; this is where a request that failed afterwards (a WMS
event that fails its schema, an order whose fetch 404s, a body that is not JSON) says so.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint
from sqlalchemy import select

from hub.api.auth import current, require_role
from hub.api.errors import ApiError, not_found
from hub.api.requests import MAX_ROW_ID, decode_cursor, encode_cursor, limit_arg
from hub.db.models import InboxItem
from hub.intake.inbox import STATES
from hub.runtime import get_runtime

blp = Blueprint("inbox", __name__, url_prefix="/api/v1/inbox", description="Inbound requests and their outcome")


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


def inbox_view(item: InboxItem) -> dict[str, Any]:
    """What an integrator may see of a stored request: its outcome, not its body or headers."""
    outcome = item.outcome or {}
    reason = outcome.get("reason") or "; ".join(  # a request of several events: each one's reason
        str(e["reason"]) for e in outcome.get("events", []) if isinstance(e, dict) and e.get("reason")) or None
    return {
        "id": item.id, "installation_id": item.installation_id,
        "source": "api" if item.installation_id is None else "hook", "path": item.path,
        "state": item.state, "reason": reason, "error_kind": outcome.get("error_kind"),
        "delivery_id": outcome.get("delivery_id") or item.delivery_id, "outcome": outcome,
        "attempts": item.attempts, "received_at": _iso(item.received_at), "processed_at": _iso(item.processed_at),
    }


@blp.route("", methods=["GET"])
@blp.doc(summary="List stored inbound requests", description="Newest first. Filters: installation (id), state "
         "(pending, processed, skipped, failed, rejected; comma-separated). Pass next_cursor back as cursor.")
@require_role("admin", "integration")
def list_inbox() -> dict[str, Any]:
    caller, limit, args = current(), limit_arg(), request.args
    query = select(InboxItem).where(InboxItem.tenant_id == caller.tenant_id)
    if args.get("installation"):
        query = query.where(InboxItem.installation_id == args["installation"])
    if args.get("state"):
        states = args["state"].split(",")
        unknown = set(states) - set(STATES)
        if unknown:
            raise ApiError(400, "bad_query", f"unknown state {sorted(unknown)}",
                           [{"path": "query.state", "message": f"known: {', '.join(STATES)}"}])
        query = query.where(InboxItem.state.in_(states))
    if (cursor := decode_cursor(args.get("cursor"))) is not None:
        if not cursor.isdigit():
            raise ApiError(400, "bad_query", "the cursor is not one this API gave out",
                           [{"path": "query.cursor", "message": "unreadable cursor"}])
        query = query.where(InboxItem.id < int(cursor))
    with get_runtime().sessions() as session:
        rows = session.execute(query.order_by(InboxItem.id.desc()).limit(limit + 1)).scalars().all()
        page = rows[:limit]
        return {"items": [inbox_view(item) for item in page],
                "next_cursor": encode_cursor(str(page[-1].id)) if len(rows) > limit else None}


@blp.route("/<int:inbox_id>", methods=["GET"])
@blp.doc(summary="One stored inbound request, by the inbox_id the hook answered with")
@require_role("admin", "integration")
def show_inbox_item(inbox_id: int) -> dict[str, Any]:
    with get_runtime().sessions() as session:
        item = session.get(InboxItem, inbox_id) if inbox_id <= MAX_ROW_ID else None
        if item is None or item.tenant_id != current().tenant_id:
            raise not_found("inbox item", str(inbox_id))
        return inbox_view(item)
