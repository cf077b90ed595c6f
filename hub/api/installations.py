"""Installations: a connector set up for this tenant. Secrets go in, never come out."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from marshmallow import INCLUDE, Schema, fields, validate
from sqlalchemy.orm import Session

from hub.api.auth import current, require_role
from hub.api.declare import AsSent, Blueprint, plugin_variant
from hub.api.errors import ApiError, not_found
from hub.api.requests import MAX_ROW_ID
from hub.canonical.fields import StrictBoolean
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
from hub.plugins.overrides import MAX_EXPRESSION_LENGTH, TABLES_KEY, canonical_paths
from hub.plugins.registry import Registry, UnknownConnector
from hub.runtime import Runtime, get_runtime

# The installation's status counts failed inbound requests over a day: long enough to span a night
# nobody watched, short enough that a fixed problem stops showing.
FAILURE_WINDOW = timedelta(hours=24)
STATUSES = ("active", "paused")


class InstallationBody(Schema):
    """Which settings an installation takes depends on its connector: the document states them per connector
    (`blp.document_body` below), the connector's own schema checks them (422 naming each field)."""

    connector = fields.String(required=True, metadata={"description": "A connector id (GET /api/v1/connectors)"})
    settings = fields.Dict(load_default=dict, metadata={"description": "As the connector's settings_schema says"})
    overrides = fields.Dict(load_default=dict, metadata={
        "description": '{"canonical.path": "JMESPath", "tables": {"<table>": {...patch...}}}'})
    label = fields.String()
    register_webhooks = StrictBoolean(load_default=True, metadata={
        "description": "Ask the store to send its webhooks to the installation's inbound URL"})


class InstallationChanges(Schema):
    settings = fields.Dict(metadata={"description": "Merged with the stored settings, then validated again"})
    overrides = fields.Dict(metadata={"description": "Replaces the stored overrides"})
    label = fields.String()
    status = fields.String(validate=validate.OneOf(STATUSES, error="status must be 'active' or 'paused'"),
                           metadata={"description": "active resumes a paused installation"})


class RawOrder(AsSent, Schema):
    """The order exactly as the source sends it (any JSON object)."""

    class Meta:
        unknown = INCLUDE


class TryQuery(Schema):
    inbox = fields.Integer(validate=validate.Range(min=0, max=MAX_ROW_ID), metadata={
        "description": "Map the order of this stored request of the installation instead of a body"})


class DeleteQuery(Schema):
    force = fields.Boolean(load_default=False, metadata={
        "description": "Delete even when the other side does not remove its webhooks"})


class RegisteredWebhook(Schema):
    topic = fields.String(required=True)
    address = fields.String(required=True)
    external_id = fields.Raw(required=True, allow_none=True, metadata={"description": "The other side's id for it"})


class InstallationSchema(Schema):
    id = fields.String(required=True)
    connector = fields.String(required=True)
    label = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    paused_reason = fields.String(required=True, allow_none=True)
    settings = fields.Dict(required=True, metadata={"description": "Secrets redacted"})
    overrides = fields.Dict(required=True)
    inbound_url = fields.String(required=True, metadata={"description": "Where the store sends its webhooks"})
    registered_webhooks = fields.List(fields.Nested(RegisteredWebhook), required=True)
    created_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})


class InstallationList(Schema):
    items = fields.List(fields.Nested(InstallationSchema), required=True)


class InboxFailures(Schema):
    failed_last_24h = fields.Integer(required=True)
    failed_link = fields.String(required=True)


class InstallationStatus(InstallationSchema):
    inbox = fields.Nested(InboxFailures, required=True)


class OverriddenEntry(Schema):
    entry = fields.String(required=True)
    value = fields.Raw(required=True, allow_none=True)


class MappingTable(Schema):
    name = fields.String(required=True)
    file = fields.String(required=True, allow_none=True)
    kind = fields.String(required=True, allow_none=True)
    data = fields.Dict(required=True)
    overridden = fields.List(fields.Nested(OverriddenEntry), required=True)
    problem = fields.String(metadata={"description": "Why the owner's patch no longer applies"})


class EffectiveMapping(Schema):
    installation_id = fields.String(required=True)
    connector = fields.String(required=True)
    field_overrides = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    tables = fields.List(fields.Nested(MappingTable), required=True)


class MappingError(Schema):
    path = fields.String(required=True)
    message = fields.String(required=True)


class MappingTry(Schema):
    delivery = fields.Dict(required=True, allow_none=True, metadata={"description": "The canonical delivery"})
    skip_reason = fields.String(required=True, allow_none=True)
    data_quality_flags = fields.List(fields.Raw(), required=True)
    provenance = fields.List(fields.Dict(), required=True)
    errors = fields.List(fields.Nested(MappingError), required=True)


def _overrides_schema(spec: Any) -> dict[str, Any]:
    """What a connector's overrides may name (hub/plugins/overrides.py validate_overrides): canonical delivery
    paths, each a JMESPath expression, and `tables` patching the connector's own tables. That an expression
    parses as JMESPath is checked when saved; no schema can state it."""
    return {"type": "object",
            "propertyNames": {"enum": sorted(canonical_paths()) + [TABLES_KEY]},
            "properties": {TABLES_KEY: {"type": "object",
                                        "propertyNames": {"enum": sorted(t.name for t in spec.tables)},
                                        "additionalProperties": {
                                            "type": "object",
                                            "description": "An RFC 7396 merge patch of the table; the patched "
                                                           "table must still match the table's own schema"}}},
            "additionalProperties": {"type": "string", "pattern": "\\S", "maxLength": MAX_EXPRESSION_LENGTH,
                                     "description": "A JMESPath expression over the order as the store sent it"}}


def _settings_variants(registry: Registry) -> list[dict[str, Any]]:
    """One variant of the install body per connector: its id, the settings its schema takes, its overrides."""
    return [plugin_variant("connector", spec, overrides=_overrides_schema(spec)) for spec in registry.specs()]


blp = Blueprint("installations", __name__, url_prefix="/api/v1/installations",
                description="Connectors installed for this tenant")
# The install body per connector: the connectors are found when the app starts, so the document lists the ones
# this hub has, each with its settings schema.
blp.document_body(InstallationBody, lambda app: {"oneOf": _settings_variants(app.config["HUB_RUNTIME"].registry)})


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


@blp.route("", methods=["POST"])
@blp.doc(summary="Install a connector",
         description='Body: {"connector": "shopify", "settings": {...}, "overrides": {"canonical.path": "JMESPath", '
         '"tables": {"shopify/service_levels": {"codes": {"Courier Express": "same_day"}}}}, '
         '"label": "...", "register_webhooks": true}. Settings are validated by the connector; with '
         "register_webhooks the hub asks the store to send its webhooks to the installation's inbound URL "
         "(502 and nothing saved when the store refuses).")
@blp.arguments(InstallationBody)
@blp.response(201, InstallationSchema)
@require_role("admin")
def create(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    runtime = get_runtime()
    connector_id = body["connector"]
    with transaction(runtime.sessions) as session:
        tenant = session.get(Tenant, current().tenant_id)
        try:
            installation, _ = create_installation(
                session, runtime.registry, tenant, connector_id, body["settings"],
                overrides=body["overrides"], label=body.get("label") or "")
        except UnknownConnector:
            raise ApiError(422, "unknown_connector", f"no connector named {connector_id!r} is installed",
                           [{"path": "$.connector", "message": f"known: {', '.join(runtime.registry.names())}"}]) from None
        except InstallationError as exc:
            raise ApiError(422, "validation_failed", str(exc), _details(exc)) from None
        if body["register_webhooks"]:
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
@blp.response(200, InstallationList)
@require_role("admin", "integration")
def index() -> dict[str, Any]:
    runtime = get_runtime()
    with runtime.sessions() as session:
        return {"items": [describe(runtime.registry, i, runtime.config.public_url)
                          for i in list_installations(session, current().tenant_id)]}


@blp.route("/<installation_id>", methods=["GET"])
@blp.doc(summary="Get an installation", description="inbox.failed_last_24h counts the inbound requests "
         "that were accepted and then failed in the last 24 hours (GET /api/v1/inbox says why).")
@blp.response(200, InstallationStatus)
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
@blp.arguments(InstallationChanges)
@blp.response(200, InstallationSchema)
@require_role("admin")
def update(body: dict[str, Any], installation_id: str) -> dict[str, Any]:
    runtime = get_runtime()
    with transaction(runtime.sessions) as session:
        installation = _load(session, installation_id)
        spec = runtime.registry.get(installation.connector)
        settings = {**installation.settings, **(body.get("settings") or {})}
        overrides = body.get("overrides", installation.overrides)
        try:
            installation.settings = validated(spec, settings, overrides)
        except InstallationError as exc:
            raise ApiError(422, "validation_failed", str(exc), _details(exc)) from None
        installation.overrides = overrides
        if "settings" in body:  # new credentials or secrets: the store's webhooks must follow them
            _register(runtime, installation)
        if "label" in body:
            installation.label = body["label"]
        if "status" in body:
            installation.status = body["status"]
            installation.paused_reason = None if body["status"] == "active" else "paused by an operator"
        updated = describe(runtime.registry, installation, runtime.config.public_url)
    if body.get("status") == "active":
        _start_polling_if_it_pulls(installation_id)
    return updated


@blp.route("/<installation_id>/mapping", methods=["GET"])
@blp.doc(summary="The installation's effective mapping",
         description="The connector's value tables with the owner's table overrides merged in, and the field overrides "
         "(as `hub mappings show`).")
@blp.response(200, EffectiveMapping)
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
@blp.arguments(RawOrder, required=False)
@blp.arguments(TryQuery, location="query")
@blp.response(200, MappingTry)
@require_role("admin", "integration")
def mapping_try(payload: dict[str, Any], args: dict[str, Any], installation_id: str) -> dict[str, Any]:
    runtime = get_runtime()
    with runtime.sessions() as session:
        installation = _load(session, installation_id)
        if "inbox" not in args and not payload:
            raise ApiError(422, "validation_failed", "send the order as the body, or name a stored request with "
                           "?inbox=", [{"path": "$", "message": "an order, or ?inbox=<id>"}])
        try:
            if "inbox" in args:
                payload = stored_payload(runtime.registry, session, installation, args["inbox"])
            return try_mapping(runtime.registry, installation, payload, datetime.now(timezone.utc))
        except ValueError as exc:
            raise ApiError(422, "not_mappable", str(exc), [{"path": "$", "message": str(exc)}]) from None


@blp.route("/<installation_id>", methods=["DELETE"])
@blp.doc(summary="Delete an installation",
         description="The hub first asks the other side to remove the webhooks it registered at install time; when "
         "that fails nothing is deleted (502), and ?force=true deletes anyway. Its deliveries stay; inbound webhooks "
         "to it then get 404.")
@blp.arguments(DeleteQuery, location="query")
@blp.response(204)
@require_role("admin")
def delete(args: dict[str, Any], installation_id: str) -> tuple[str, int]:
    runtime = get_runtime()
    with runtime.sessions() as session:  # no transaction held while the other side answers
        installation = _load(session, installation_id)
        if not args["force"]:
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
