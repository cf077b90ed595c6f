"""POST /hooks/<installation_id>: every inbound webhook. Verify, store raw, enqueue, answer fast."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import request
from marshmallow import Schema, fields, validate

from hub.api.declare import Blueprint
from hub.api.errors import ApiError, not_found
from hub.db.engine import transaction
from hub.db.models import Installation
from hub.intake.inbox import store
from hub.ledger.installations import connector_for
from hub.plugins.capabilities import require, supports
from hub.plugins.values import Headers, InboundRequest
from hub.runtime import get_runtime

blp = Blueprint("hooks", __name__, url_prefix="/hooks", description="Inbound webhooks from stores, warehouses and carriers")


# The body is whatever the store sends, and its signature covers the raw bytes: the view reads them as they came
# (no parser may re-encode them), so the document states what is true of them: any JSON, or any other bytes.
ANY_BODY = {
    "required": False,
    "description": "The webhook exactly as the store, warehouse or carrier sends it; its connector verifies it.",
    "content": {"application/json": {"schema": {}},
                "*/*": {"schema": {"type": "string", "format": "binary"}}},
}


class HookLinks(Schema):
    status = fields.String(required=True, metadata={"description": "Where to see what became of it"})


class HookAccepted(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["accepted", "duplicate"]),
                           metadata={"description": "duplicate: the same webhook was stored before (a no-op)"})
    inbox_id = fields.Integer(required=True)
    links = fields.Nested(HookLinks, required=True)


def inbound_request() -> InboundRequest:
    return InboundRequest(
        method=request.method, path=request.path, headers=Headers(list(request.headers.items())),
        body=request.get_data(cache=True), query=request.args.to_dict(), remote_addr=request.remote_addr,
        received_at=datetime.now(timezone.utc),
    )


@blp.route("/<installation_id>", methods=["POST"])
@blp.doc(summary="Receive a webhook for an installation",
         description="The installation's connector verifies the request (401 when it does not verify). A verified "
         "request is stored byte for byte and processed by a job; the same webhook twice is a no-op.",
         security=[], requestBody=ANY_BODY)
@blp.response(200, HookAccepted)
def receive(installation_id: str) -> tuple[dict[str, Any], int]:
    runtime = get_runtime()
    with runtime.sessions() as session:
        installation = session.get(Installation, installation_id)
        if installation is None:
            raise not_found("installation", installation_id)
        connector = connector_for(runtime.registry, installation)
    if not supports(connector, "receive_webhook"):
        raise ApiError(405, "not_supported", f"connector {installation.connector!r} does not receive webhooks")
    inbound = inbound_request()
    verification = require(connector, "receive_webhook").verify(inbound)
    if not verification.ok:
        raise ApiError(401, "signature_invalid", f"the request did not verify: {verification.reason}")
    with transaction(runtime.sessions) as session:
        item, duplicate = store(
            session, tenant_id=installation.tenant_id, source_key=installation.id, installation_id=installation.id,
            dedupe_key=verification.dedupe_key, body=inbound.body, headers=inbound.headers.raw_items(),
            path=inbound.path, verification=verification.reason or "verified",
        )
        return {"status": "duplicate" if duplicate else "accepted", "inbox_id": item.id,
                "links": {"status": f"/api/v1/inbox/{item.id}"}}, 200
