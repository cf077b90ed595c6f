"""Messages to customers: the tenant's notification settings (triggers, quiet hours, languages, templates,
SMTP and SMS provider), the messages of a delivery, and the SMS provider's callbacks to the hub (delivery receipts
and incoming messages such as STOP), each verified with the provider's signature (hub/notify)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import Response, request
from marshmallow import INCLUDE, Schema, fields

from hub.api.auth import current, require_role
from hub.api.declare import AsSent, Blueprint, plugin_variant
from hub.api.deliveries import load_delivery
from hub.api.errors import ApiError, field_errors, not_found
from hub.db.engine import transaction
from hub.db.models import Tenant
from hub.errors import ConfigurationError
from hub.notify.messages import messages_of
from hub.notify.optout import keyword, normalize, opt_in, opt_out
from hub.notify.settings import NotificationSettingsSchema, load_settings_for, redacted, save_settings
from hub.notify.sms import HOOKS_PREFIX, provider_for
from hub.outbox.rows import add_outbox
from hub.plugins.notifiers import AnswersIncoming, default_notifiers
from hub.plugins.values import Headers, InboundRequest
from hub.runtime import get_runtime


class SettingsBody(AsSent, NotificationSettingsSchema):
    """The PUT body: checked here for a clear 422, saved by hub.notify.settings (which checks it again with the
    provider's own settings)."""


def _sms_variants() -> list[dict[str, Any]]:
    """The sms block: none, or one form per SMS provider this hub has, with the settings its schema takes."""
    return [{"type": "null"}, *({"type": "object", **plugin_variant("provider", spec)}
                                for spec in default_notifiers().specs())]


blp = Blueprint("notify", __name__, url_prefix="/api/v1", description="Messages to customers (email, SMS)")
# The notifier plugins are found when the app starts: the document lists the providers this hub has (as
# installations do per connector).
blp.document_body(SettingsBody, lambda app: {"properties": {"sms": {"oneOf": _sms_variants()}}})
hooks = Blueprint("notify_hooks", __name__, url_prefix=HOOKS_PREFIX,
                  description="The SMS provider's callbacks: delivery receipts and incoming messages")
RECEIPT_KIND = "notify.receipt"


class MessageSchema(Schema):
    id = fields.String()
    trigger = fields.String()
    channel = fields.String()
    attempt = fields.Integer()
    language = fields.String()
    recipient = fields.String()
    state = fields.String(metadata={"description": "pending, sent, delivered, undelivered, failed, dead, "
                                    "opted_out or expired"})
    subject = fields.String(allow_none=True)
    provider = fields.String(allow_none=True)
    provider_message_id = fields.String(allow_none=True)
    provider_status = fields.String(allow_none=True)
    receipt = fields.Dict()
    error = fields.String(allow_none=True)
    due_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    receipt_at = fields.DateTime(allow_none=True)


class MessageListSchema(Schema):
    items = fields.List(fields.Nested(MessageSchema))


class ProviderCallbackSchema(Schema):
    """What an SMS provider posts (form fields; Twilio's names shown). Other fields are kept as sent."""

    class Meta:
        unknown = INCLUDE

    MessageSid = fields.String(metadata={"description": "The provider's id of the message"})
    MessageStatus = fields.String(metadata={"description": "Status callbacks: queued, sent, delivered, ..."})
    From = fields.String(metadata={"description": "Incoming messages: the customer's number"})
    Body = fields.String(metadata={"description": "Incoming messages: the text (STOP opts out, START back in)"})


class CallbackAnswerSchema(Schema):
    status = fields.String()


@hooks.before_request
def _keep_raw_body() -> None:
    """Read the body before the form is parsed, so the signature is checked over exactly what was sent."""
    request.get_data(cache=True)


@blp.route("/settings/notifications", methods=["GET"])
@blp.response(200, NotificationSettingsSchema)
@blp.doc(summary="The notification settings in force (defaults for what was never set; secrets redacted)")
@require_role("admin", "integration")
def get_settings() -> dict[str, Any]:
    with get_runtime().sessions() as session:
        return redacted(session, current().tenant_id)


@blp.route("/settings/notifications", methods=["PUT"])
@blp.arguments(SettingsBody)
@blp.response(200, NotificationSettingsSchema)
@blp.alt_response(422, description="A field does not validate (a template that does not render, an unknown "
                  "provider, a provider setting); details name each")
@blp.doc(summary="Replace the notification settings",
         description="Every field may be left out: its default holds. A secret sent back as shown (REDACTED), or "
         "left out, keeps the stored one.")
@require_role("admin")
def put_settings(document: dict[str, Any]) -> dict[str, Any]:
    tenant_id = current().tenant_id
    with transaction(get_runtime().sessions) as session:
        errors = save_settings(session, tenant_id, document)
        if errors:
            raise ApiError(422, "validation_failed", "the notification settings do not validate", field_errors(errors))
    with get_runtime().sessions() as session:
        return redacted(session, tenant_id)


@blp.route("/deliveries/<delivery_id>/messages", methods=["GET"])
@blp.response(200, MessageListSchema)
@blp.doc(summary="The messages to this delivery's customer, with their delivery receipts")
@require_role("admin", "integration")
def delivery_messages(delivery_id: str) -> dict[str, Any]:
    with get_runtime().sessions() as session:
        delivery = load_delivery(session, delivery_id)
        return {"items": messages_of(session, delivery.id)}


def _inbound() -> InboundRequest:
    return InboundRequest(method=request.method, path=request.path, headers=Headers(list(request.headers.items())),
                          body=request.get_data(cache=True), query=request.args.to_dict(),
                          remote_addr=request.remote_addr, received_at=datetime.now(timezone.utc))


def _verified(tenant_id: str, provider: str) -> tuple[Any, InboundRequest]:
    """The tenant's provider and the request, once the provider's signature checks out (404 / 401 otherwise)."""
    runtime = get_runtime()
    with runtime.sessions() as session:
        tenant = session.get(Tenant, tenant_id)
        settings = load_settings_for(session, tenant_id) if tenant else {}
    if not tenant or (settings.get("sms") or {}).get("provider") != provider:
        raise not_found("SMS provider for tenant", f"{tenant_id}/{provider}")
    try:
        _, sms = provider_for(settings)
    except ConfigurationError as exc:
        raise ApiError(503, "notifier_unavailable", str(exc)) from None
    inbound = _inbound()
    query = request.query_string.decode("latin-1")
    url = runtime.config.public_url + request.path + (f"?{query}" if query else "")  # as the provider was told it
    verification = sms.verify(inbound, url)
    if not verification.ok:
        raise ApiError(401, "signature_invalid", f"the request did not verify: {verification.reason}")
    return sms, inbound


@hooks.route("/<tenant_id>/<provider>/status", methods=["POST"])
@hooks.arguments(ProviderCallbackSchema, location="form")
@hooks.response(202, CallbackAnswerSchema)
@hooks.doc(summary="A delivery receipt from the SMS provider (its status callback)", security=[],
           description="Verified with the provider's signature (401 otherwise); applied by a job, so a receipt "
           "that arrives before the send is recorded is applied once it is.")
def status_callback(_form: dict[str, Any], tenant_id: str, provider: str) -> tuple[dict[str, str], int]:
    sms, inbound = _verified(tenant_id, provider)
    receipt = sms.receipt(inbound)
    if receipt is None:
        return {"status": "ignored"}, 202
    with transaction(get_runtime().sessions) as session:
        add_outbox(session, tenant_id=tenant_id, kind=RECEIPT_KIND, payload={
            "tenant_id": tenant_id, "provider": provider, "provider_message_id": receipt.provider_message_id,
            "status": receipt.status, "provider_status": receipt.provider_status, "error_code": receipt.error_code,
            "details": dict(receipt.details), "raw": inbound.body.decode("utf-8", "replace")})
    return {"status": "accepted"}, 202


def _answer(sms: Any, outcome: str) -> dict[str, str] | Response:
    """JSON, or the provider's own document when it asks for one (Twilio: empty TwiML, so it logs no error)."""
    if not isinstance(sms, AnswersIncoming):
        return {"status": outcome}
    answer = sms.incoming_answer(outcome)
    return Response(answer.body, status=200, content_type=answer.content_type)


@hooks.route("/<tenant_id>/<provider>/inbound", methods=["POST"])
@hooks.arguments(ProviderCallbackSchema, location="form")
@hooks.response(200, CallbackAnswerSchema, description="JSON, or the provider's own reply document (Twilio: an "
                "empty TwiML `<Response/>` as text/xml)")
@hooks.doc(summary="A message a customer sent to the tenant's number", security=[],
           description="STOP (or another stop word) opts the sender out of SMS from this tenant, START opts back "
           "in; anything else is ignored. Verified with the provider's signature (401 otherwise). A provider that "
           "expects a reply document of its own gets it (Twilio: an empty TwiML `<Response/>`, text/xml).")
def inbound_message(_form: dict[str, Any], tenant_id: str, provider: str) -> dict[str, str] | Response:
    sms, inbound = _verified(tenant_id, provider)
    incoming = sms.incoming(inbound)
    address = normalize("sms", incoming.sender) if incoming else None
    word = keyword(incoming.body) if incoming else None
    if address is None or word is None:
        return _answer(sms, "ignored")
    with transaction(get_runtime().sessions) as session:  # one row, idempotent: done in the request
        if word == "stop":
            opt_out(session, tenant_id, "sms", address, "sms_stop")
        else:
            opt_in(session, tenant_id, "sms", address)
    return _answer(sms, "opted_out" if word == "stop" else "opted_in")
