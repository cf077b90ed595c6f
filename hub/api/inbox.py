"""The inbox as the integrator sees it: every stored inbound request, what became of it and why.

A hook answers 200 "accepted" before its job runs; this is where a request that failed afterwards (a WMS
event that fails its schema, an order whose fetch 404s, a body that is not JSON) says so.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import select

from hub.api.auth import current, require_role
from hub.api.declare import Blueprint, Page, cursor_field
from hub.api.errors import not_found
from hub.api.requests import MAX_ROW_ID, decode_cursor, encode_cursor
from hub.db.models import InboxItem
from hub.intake.inbox import STATES
from hub.runtime import get_runtime

blp = Blueprint("inbox", __name__, url_prefix="/api/v1/inbox", description="Inbound requests and their outcome")


STATE_LIST = "^({0})(,({0}))*$".format("|".join(STATES))


class InboxQuery(Schema):
    installation = fields.String(metadata={"description": "Installation id"})
    state = fields.String(validate=validate.Regexp(STATE_LIST, error=f"Not a state or a comma-separated list of "
                                                   f"states ({', '.join(STATES)})."),
                          metadata={"description": "One state or several, comma-separated"})
    cursor = cursor_field()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class InboxItemSchema(Schema):
    id = fields.Integer(required=True)
    installation_id = fields.String(required=True, allow_none=True)
    source = fields.String(required=True, validate=validate.OneOf(["api", "hook"]))
    path = fields.String(required=True, allow_none=True)
    state = fields.String(required=True, validate=validate.OneOf(STATES))
    reason = fields.String(required=True, allow_none=True, metadata={"description": "Why it failed or was skipped"})
    error_kind = fields.String(required=True, allow_none=True)
    delivery_id = fields.String(required=True, allow_none=True)
    outcome = fields.Dict(required=True, metadata={"description": "What processing recorded"})
    attempts = fields.Integer(required=True)
    received_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    processed_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})


class InboxPage(Page):
    items = fields.List(fields.Nested(InboxItemSchema), required=True)


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
@blp.arguments(InboxQuery, location="query")
@blp.response(200, InboxPage)
@require_role("admin", "integration")
def list_inbox(args: dict[str, Any]) -> dict[str, Any]:
    caller, limit = current(), args["limit"]
    query = select(InboxItem).where(InboxItem.tenant_id == caller.tenant_id)
    if args.get("installation"):
        query = query.where(InboxItem.installation_id == args["installation"])
    if args.get("state"):
        query = query.where(InboxItem.state.in_(args["state"].split(",")))
    if (cursor := decode_cursor(args.get("cursor"))) is not None:
        # The cursors this API gives out are ids; any other well-formed one names no place to page after.
        if not (cursor.isascii() and cursor.isdigit()):
            return {"items": [], "next_cursor": None}
        query = query.where(InboxItem.id < min(int(cursor), MAX_ROW_ID))
    with get_runtime().sessions() as session:
        rows = session.execute(query.order_by(InboxItem.id.desc()).limit(limit + 1)).scalars().all()
        page = rows[:limit]
        return {"items": [inbox_view(item) for item in page],
                "next_cursor": encode_cursor(str(page[-1].id)) if len(rows) > limit else None}


@blp.route("/<int:inbox_id>", methods=["GET"])
@blp.doc(summary="One stored inbound request, by the inbox_id the hook answered with")
@blp.response(200, InboxItemSchema)
@require_role("admin", "integration")
def show_inbox_item(inbox_id: int) -> dict[str, Any]:
    with get_runtime().sessions() as session:
        item = session.get(InboxItem, inbox_id) if inbox_id <= MAX_ROW_ID else None
        if item is None or item.tenant_id != current().tenant_id:
            raise not_found("inbox item", str(inbox_id))
        return inbox_view(item)
