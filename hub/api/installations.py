"""Installations: a connector set up for this tenant. Secrets go in, never come out."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from flask import request
from flask_smorest import Blueprint
from sqlalchemy.orm import Session

from hub.api.auth import current, require_role
from hub.api.errors import ApiError, not_found
from hub.api.requests import MAX_ROW_ID, json_body
from hub.db.engine import transaction
from hub.db.models import Installation, Tenant
from hub.egress import describe as describe_failure
from hub.errors import classify_exception
from hub.intake.inbox import failures_since
from hub.intake.mappings import effective_mapping, stored_payload, try_mapping
from hub.intake.polling import polls, start_polling
from hub.ledger.installations import (
    InstallationError,
    connector_for,
    create_installation,
    describe,
    list_installations,
    register_remote_webhooks,
    unregister_remote_webhooks,
    validated,
)
from hub.plugins.registry import UnknownConnector
from hub.runtime import Runtime, get_runtime

# The installation's status counts failed inbound requests over a day: long enough to span a night
# nobody watched, short enough that a fixed problem stops showing.
FAILURE_WINDOW = timedelta(hours=24)

blp = Blueprint("installations", __name__, url_prefix="/api/v1/installations",
                description="Connectors installed for this tenant")


def _details(exc: InstallationError) -> list[dict[str, Any]]:
    return [{"path": f"$.{path}", "message": " ".join(msgs)} for path, msgs in sorted(exc.details.items())]


def _register(runtime: Runtime, installation: Installation) -> None:
    """Register the store's webhooks; a store that refuses is the caller's problem to fix (502, nothing saved)."""
    try:
        register_remote_webhooks(runtime.registry, installation, runtime.config.public_url)
    except Exception as exc:
        kind = classify_exception(exc)
        raise ApiError(502, "remote_refused", f"the other side refused to register webhooks ({kind} error): {describe_failure(exc)}",
                       [{"path": "$.settings", "message": "check the URL and the credentials"}]) from None


def _load(session: Session, installation_id: str) -> Installation:
    installation = session.get(Installation, installation_id)
    if installation is None or installation.tenant_id != current().tenant_id:
        raise not_found("installation", installation_id)
    return installation


def _object_body() -> dict[str, Any]:
    body, _ = json_body()
    if not isinstance(body, dict):
        raise ApiError(422, "validation_failed", "the body must be a JSON object", [{"path": "$", "message": "not an object"}])
    return body


@blp.route("", methods=["POST"])
@blp.doc(summary="Install a connector",
         description='Body: {"connector": "shopify", "settings": {...}, "overrides": {"canonical.path": "JMESPath", '
         '"tables": {"shopify/service_levels": {"codes": {"Courier Express": "same_day"}}}}, '
         '"label": "...", "register_webhooks": true}. Settings are validated by the connector; with '
         "register_webhooks the hub asks the store to send its webhooks to the installation's inbound URL.")
@require_role("admin")
def create() -> tuple[dict[str, Any], int]:
    body = _object_body()
    runtime = get_runtime()
    connector_id = body.get("connector")
    if not isinstance(connector_id, str):
        raise ApiError(422, "validation_failed", "name the connector to install",
                       [{"path": "$.connector", "message": "required string"}])
    with transaction(runtime.sessions) as session:
        tenant = session.get(Tenant, current().tenant_id)
        try:
            installation, _ = create_installation(
                session, runtime.registry, tenant, connector_id, body.get("settings") or {},
                overrides=body.get("overrides") or {}, label=str(body.get("label") or ""))
        except UnknownConnector:
            raise ApiError(422, "unknown_connector", f"no connector named {connector_id!r} is installed",
                           [{"path": "$.connector", "message": f"known: {', '.join(runtime.registry.names())}"}]) from None
        except InstallationError as exc:
            raise ApiError(422, "validation_failed", str(exc), _details(exc)) from None
        if body.get("register_webhooks", True):
            _register(runtime, installation)
        created = describe(runtime.registry, installation, runtime.config.public_url)
    _start_polling_if_it_pulls(installation.id)
    return created, 201


def _start_polling_if_it_pulls(installation_id: str) -> None:
    """Connectors that pull (no webhooks) start polling as soon as they are installed or resumed."""
    runtime = get_runtime()
    with runtime.sessions() as session:
        installation = session.get(Installation, installation_id)
        if installation is None or installation.status != "active":
            return
        pulls = polls(connector_for(runtime.registry, installation))
    if pulls:
        start_polling(runtime, installation_id)


@blp.route("", methods=["GET"])
@blp.doc(summary="List installations")
@require_role("admin", "integration")
def index() -> dict[str, Any]:
    runtime = get_runtime()
    with runtime.sessions() as session:
        return {"items": [describe(runtime.registry, i, runtime.config.public_url)
                          for i in list_installations(session, current().tenant_id)]}


@blp.route("/<installation_id>", methods=["GET"])
@blp.doc(summary="Get an installation", description="inbox.failed_last_24h counts the inbound requests "
         "that were accepted and then failed in the last 24 hours (GET /api/v1/inbox says why).")
@require_role("admin", "integration")
def show(installation_id: str) -> dict[str, Any]:
    runtime = get_runtime()
    with runtime.sessions() as session:
        installation = _load(session, installation_id)
        failed = failures_since(session, installation.id, FAILURE_WINDOW, datetime.now(timezone.utc))
        return {**describe(runtime.registry, installation, runtime.config.public_url),
                "inbox": {"failed_last_24h": failed,
                          "failed_link": f"/api/v1/inbox?installation={installation.id}&state=failed"}}


@blp.route("/<installation_id>", methods=["PATCH"])
@blp.doc(summary="Change settings, overrides, label or status",
         description="Settings are merged with the stored ones (send only what changes); the result is validated "
         'again. status "active" resumes a paused installation.')
@require_role("admin")
def update(installation_id: str) -> dict[str, Any]:
    body = _object_body()
    runtime = get_runtime()
    with transaction(runtime.sessions) as session:
        installation = _load(session, installation_id)
        spec = runtime.registry.get(installation.connector)
        settings = {**installation.settings, **(body.get("settings") or {})}
        overrides = body.get("overrides", installation.overrides) or {}
        try:
            installation.settings = validated(spec, settings, overrides)
        except InstallationError as exc:
            raise ApiError(422, "validation_failed", str(exc), _details(exc)) from None
        installation.overrides = overrides
        if "settings" in body:  # new credentials or secrets: the store's webhooks must follow them
            _register(runtime, installation)
        if "label" in body:
            installation.label = str(body["label"])
        if body.get("status") in ("active", "paused"):
            installation.status = body["status"]
            installation.paused_reason = None if body["status"] == "active" else "paused by an operator"
        elif "status" in body:
            raise ApiError(422, "validation_failed", "status must be 'active' or 'paused'",
                           [{"path": "$.status", "message": f"got {body['status']!r}"}])
        updated = describe(runtime.registry, installation, runtime.config.public_url)
    if body.get("status") == "active":
        _start_polling_if_it_pulls(installation_id)
    return updated


@blp.route("/<installation_id>/mapping", methods=["GET"])
@blp.doc(summary="The installation's effective mapping",
         description="The connector's value tables with the owner's table overrides merged in, and the field overrides "
         "(as `hub mappings show`).")
@require_role("admin", "integration")
def mapping(installation_id: str) -> dict[str, Any]:
    runtime = get_runtime()
    with runtime.sessions() as session:
        return effective_mapping(runtime.registry, _load(session, installation_id))


@blp.route("/<installation_id>/mapping/try", methods=["POST"])
@blp.doc(summary="Map a payload without storing it",
         description="Body: the raw order as the source sends it; or no body and ?inbox=<id> for the order of a request "
         "the hub stored for this installation. Answers the canonical delivery (or the skip reason), its data-quality "
         "flags, what came from the installation's overrides, and schema errors; nothing is stored (as `hub mappings "
         "try`).")
@require_role("admin", "integration")
def mapping_try(installation_id: str) -> dict[str, Any]:
    inbox = request.args.get("inbox")
    if inbox is not None and not (inbox.isdigit() and int(inbox) <= MAX_ROW_ID):
        raise ApiError(400, "bad_query", "inbox must be the id of a stored request", [{"path": "query.inbox",
                       "message": f"not a number: {inbox!r}"}])
    payload = _object_body() if inbox is None else None
    runtime = get_runtime()
    with runtime.sessions() as session:
        installation = _load(session, installation_id)
        try:
            if payload is None:
                payload = stored_payload(runtime.registry, session, installation, int(inbox))
            return try_mapping(runtime.registry, installation, payload, datetime.now(timezone.utc))
        except ValueError as exc:
            raise ApiError(422, "not_mappable", str(exc), [{"path": "$", "message": str(exc)}]) from None


@blp.route("/<installation_id>", methods=["DELETE"])
@blp.doc(summary="Delete an installation",
         description="The hub first asks the other side to remove the webhooks it registered at install time; when "
         "that fails nothing is deleted (502), and ?force=true deletes anyway. Its deliveries stay; inbound webhooks "
         "to it then get 404.")
@require_role("admin")
def delete(installation_id: str) -> tuple[str, int]:
    runtime = get_runtime()
    with runtime.sessions() as session:  # no transaction held while the other side answers
        installation = _load(session, installation_id)
        if request.args.get("force", "").lower() not in ("1", "true", "yes"):
            _unregister(runtime, installation)
    with transaction(runtime.sessions) as session:
        session.delete(_load(session, installation_id))
    return "", 204


def _unregister(runtime: Runtime, installation: Installation) -> None:
    try:
        unregister_remote_webhooks(runtime.registry, installation)
    except Exception as exc:
        kind = classify_exception(exc)
        raise ApiError(502, "remote_refused", f"the other side refused to remove the webhooks ({kind} error): {describe_failure(exc)}; "
                       "nothing was deleted", [{"path": "$", "message": "retry, or delete with ?force=true to leave "
                                                "them at the other side"}]) from None
