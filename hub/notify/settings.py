"""A tenant's notification settings: tenants.settings["notifications"], validated when saved, read with defaults.

The block says which triggers send on which channel, the quiet hours, the languages, template overrides, and
how to reach the providers (SMTP; an SMS notifier plugin and its settings). Secrets (the SMTP password, the SMS
provider's secret settings) are kept apart, encrypted, in notify_secrets; they are never shown back (the API
answers REDACTED, and a PUT that sends REDACTED, or leaves a secret out, keeps the stored one).
"""

from __future__ import annotations

import copy
import re
from typing import Any
from zoneinfo import available_timezones

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy.orm import Session

from hub.canonical.validation import FieldError
from hub.db.models import Tenant
from hub.db.models.notify import NotifySecrets
from hub.notify.templates import LANGUAGES, PARTS, template_errors
from hub.notify.triggers import CHANNELS, TRIGGERS
from hub.plugins.notifiers import default_notifiers
from hub.plugins.registry import UnknownConnector
from hub.plugins.settings import REDACTED, Pattern, SettingsError, load_settings, secret_fields

SETTINGS_KEY = "notifications"
HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
# The IANA names this machine's tz database knows, listed in the OpenAPI document as the choices they are.
TIMEZONES = sorted(available_timezones())

DEFAULTS: dict[str, Any] = {
    "enabled": True,
    "sender_name": None,  # how messages are signed; the tenant's name when unset
    "default_language": "en",
    # The customer's language from the delivery address's country; any other country gets default_language.
    "languages_by_country": {"DE": "de", "AT": "de", "CH": "de", "LI": "de", "FR": "fr", "BE": "fr", "LU": "fr",
                             "MC": "fr", "ES": "es", "MX": "es", "AR": "es", "CO": "es", "CL": "es", "PE": "es"},
    # The customer's timezone (IANA); unset: the offset of the delivery's promised window (the customer's local
    # time on the day), UTC when it has none.
    "timezone": None,
    # Nobody wants a text about a parcel at night; 21:00-08:00 is the span most consumer-messaging rules name.
    # "delivered" and "failed_attempt" report what just happened at the customer's door, so they go at once.
    "quiet_hours": {"start": "21:00", "end": "08:00", "bypass": ["delivered", "failed_attempt"]},
    "triggers": {
        "order_confirmed": {"channels": ["email"]},
        "out_for_delivery": {"channels": ["email", "sms"]},
        # 15 minutes or 3 stops ahead: time enough to get to the door, not so early the customer leaves again.
        "arriving_soon": {"channels": ["sms"], "minutes": 15, "stops": 3},
        "delivered": {"channels": ["email"]},
        "failed_attempt": {"channels": ["email", "sms"]},
        "rescheduled": {"channels": ["email"]},
        # An ETA past the promised window's end by more than this; 0: any ETA past it.
        "delayed": {"channels": ["email", "sms"], "grace_minutes": 0},
    },
    "templates": {},  # {trigger: {language: {subject?, text?, html?, sms?}}}: Jinja2, overriding the shipped ones
    "email": None,  # {host, port, security, username, password, from_address, from_name}; unset: no email
    "sms": None,  # {provider, settings}; unset: no SMS
}


class QuietHoursSchema(Schema):
    start = fields.String(required=True, validate=validate.Regexp(HHMM, error="Not a time like 21:00."))
    end = fields.String(required=True, validate=validate.Regexp(HHMM, error="Not a time like 08:00."))
    bypass = fields.List(fields.String(validate=validate.OneOf(TRIGGERS)), load_default=list)


class TriggerSchema(Schema):
    channels = fields.List(fields.String(validate=validate.OneOf(CHANNELS)), required=True)
    minutes = fields.Integer(validate=validate.Range(min=1, max=240))  # arriving_soon
    stops = fields.Integer(validate=validate.Range(min=0, max=50))  # arriving_soon; 0: minutes only
    grace_minutes = fields.Integer(validate=validate.Range(min=0, max=24 * 60))  # delayed


class TemplatePartsSchema(Schema):
    subject = fields.String()
    text = fields.String()
    html = fields.String()
    sms = fields.String()


# One field per trigger and language (not a free dict): an unknown name is an error at its own path, and the
# OpenAPI document lists every trigger and language.
TriggersSchema = Schema.from_dict({t: fields.Nested(TriggerSchema) for t in TRIGGERS}, name="TriggersSchema")
TemplateLanguagesSchema = Schema.from_dict({lang: fields.Nested(TemplatePartsSchema) for lang in LANGUAGES},
                                           name="TemplateLanguagesSchema")
TemplatesSchema = Schema.from_dict({t: fields.Nested(TemplateLanguagesSchema) for t in TRIGGERS},
                                   name="TemplatesSchema")


class EmailSchema(Schema):
    host = fields.String(required=True, validate=validate.Length(min=1, max=253))
    port = fields.Integer(load_default=587, validate=validate.Range(min=1, max=65535))
    security = fields.String(load_default="starttls", validate=validate.OneOf(["starttls", "ssl", "none"]))
    username = fields.String(allow_none=True, load_default=None)
    password = fields.String(allow_none=True, load_default=None, metadata={"secret": True})
    from_address = fields.Email(required=True)
    from_name = fields.String(allow_none=True, load_default=None)


class SmsSchema(Schema):
    provider = fields.String(required=True, metadata={"description": "A notifier from delivery_hub.notifiers"})
    settings = fields.Dict(keys=fields.String(), load_default=dict)


class NotificationSettingsSchema(Schema):
    """The document PUT /api/v1/settings/notifications takes; every field may be left out (its default holds)."""

    enabled = fields.Boolean()
    sender_name = fields.String(allow_none=True, validate=validate.Length(max=120))
    default_language = fields.String(validate=validate.OneOf(LANGUAGES))
    languages_by_country = fields.Dict(keys=fields.String(validate=Pattern(r"^[A-Z]{2}$", error="Not a country code like DE.")),
                                       values=fields.String(validate=validate.OneOf(LANGUAGES)))
    timezone = fields.String(allow_none=True, validate=validate.OneOf(
        TIMEZONES, error="Not an IANA timezone such as Europe/Berlin."))
    quiet_hours = fields.Nested(QuietHoursSchema, allow_none=True)
    triggers = fields.Nested(TriggersSchema)
    templates = fields.Nested(TemplatesSchema)
    email = fields.Nested(EmailSchema, allow_none=True)
    sms = fields.Nested(SmsSchema, allow_none=True)

    @validates_schema
    def _templates_compile(self, data: dict[str, Any], **kwargs: Any) -> None:
        problems: dict[str, Any] = {}
        for trigger, languages in (data.get("templates") or {}).items():
            for language, parts in languages.items():
                for part, error in template_errors(parts).items():
                    problems.setdefault(trigger, {}).setdefault(language, {})[part] = [error]
        if problems:
            raise ValidationError({"templates": problems})


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key != "settings":
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def stored(session: Session, tenant_id: str) -> dict[str, Any]:
    tenant = session.get(Tenant, tenant_id)
    block = (tenant.settings or {}).get(SETTINGS_KEY) if tenant else None
    return block if isinstance(block, dict) else {}


def _secrets(session: Session, tenant_id: str) -> dict[str, Any]:
    row = session.get(NotifySecrets, tenant_id)
    return dict(row.secrets or {}) if row else {}


def sms_secret_paths(provider: str) -> set[str]:
    try:
        return secret_fields(default_notifiers().get(provider))  # type: ignore[arg-type]
    except UnknownConnector:
        return set()


def channel_ready(settings: dict[str, Any], channel: str) -> bool:
    """Whether the tenant set the channel up (SMTP for email, a notifier for SMS)."""
    block = settings.get(channel)
    return isinstance(block, dict) and bool(block.get("host") if channel == "email" else block.get("provider"))


def sends_messages(settings: dict[str, Any]) -> bool:
    """Whether messages are on and at least one channel is set up to carry them."""
    return bool(settings.get("enabled", True)) and any(channel_ready(settings, c) for c in CHANNELS)


def tenant_sends_messages(session: Session, tenant_id: str) -> bool:
    """`sends_messages` from the tenant's stored block alone (whether a channel is set up needs no secret)."""
    block = stored(session, tenant_id)
    return sends_messages({key: block.get(key, DEFAULTS.get(key)) for key in ("enabled", *CHANNELS)})


def load_settings_for(session: Session, tenant_id: str, *, with_secrets: bool = True) -> dict[str, Any]:
    """The effective settings: defaults, the tenant's block over them, then the secrets (or REDACTED)."""
    effective = _merge(DEFAULTS, stored(session, tenant_id))
    secrets = _secrets(session, tenant_id)

    def shown(key: str) -> Any:
        return (secrets[key] if with_secrets else REDACTED) if key in secrets else None

    email, sms = effective.get("email"), effective.get("sms")
    if isinstance(email, dict):
        email["password"] = shown("email.password")
    if isinstance(sms, dict):
        for path in sms_secret_paths(sms.get("provider", "")):
            value = shown(f"sms.settings.{path}")
            if value is not None:
                sms.setdefault("settings", {})[path] = value
    return effective


def save_settings(session: Session, tenant_id: str, document: Any) -> list[FieldError]:
    """Validate the whole block and store it (secrets apart, encrypted); the errors instead, nothing stored."""
    if not isinstance(document, dict):
        return [FieldError("$", "the notification settings are a JSON object")]
    try:
        loaded = NotificationSettingsSchema().load(document)
    except ValidationError as exc:
        return _field_errors(exc.messages)
    kept = _secrets(session, tenant_id)
    secrets: dict[str, Any] = {}
    email = loaded.get("email")
    if email:
        password = email.pop("password", None)
        if password in (None, REDACTED):  # left out or shown back: keep the stored one ("" removes it)
            password = kept.get("email.password")
        if password:
            secrets["email.password"] = password
    sms = loaded.get("sms")
    if sms:
        try:
            spec = default_notifiers().get(sms["provider"])
        except UnknownConnector as exc:
            return [FieldError("$.sms.provider", str(exc))]
        raw = dict(sms.get("settings") or {})
        secret_paths = secret_fields(spec)  # type: ignore[arg-type]
        for path in secret_paths:
            if raw.get(path) in (None, REDACTED) and f"sms.settings.{path}" in kept:
                raw[path] = kept[f"sms.settings.{path}"]
        try:
            checked = load_settings(spec, raw)  # type: ignore[arg-type]
        except SettingsError as exc:
            return [FieldError(f"$.sms.settings.{path}", " ".join(msgs)) for path, msgs in sorted(exc.errors.items())]
        sms["settings"] = {k: v for k, v in checked.items() if k not in secret_paths}
        secrets.update({f"sms.settings.{k}": v for k, v in checked.items() if k in secret_paths})
    tenant = session.get(Tenant, tenant_id)
    tenant.settings = {**(tenant.settings or {}), SETTINGS_KEY: loaded}  # a new dict: JSON columns track assignment
    row = session.get(NotifySecrets, tenant_id)
    if row is None:
        session.add(NotifySecrets(id=tenant_id, secrets=secrets))
    else:
        row.secrets = secrets
    return []


def _field_errors(messages: Any, path: str = "$") -> list[FieldError]:
    if isinstance(messages, dict):
        out: list[FieldError] = []
        for key, value in messages.items():
            out.extend(_field_errors(value, path if key == "_schema" else f"{path}.{key}"))
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [FieldError(path, " ".join(messages))]
    if isinstance(messages, list):
        return [e for m in messages for e in _field_errors(m, path)]
    return [FieldError(path, str(messages))]


def redacted(session: Session, tenant_id: str) -> dict[str, Any]:
    """What the API and the CLI show: the effective settings with every stored secret as REDACTED."""
    return load_settings_for(session, tenant_id, with_secrets=False)


def template_overrides(settings: dict[str, Any], trigger: str, language: str) -> dict[str, str]:
    parts = ((settings.get("templates") or {}).get(trigger) or {}).get(language) or {}
    return {k: v for k, v in parts.items() if k in PARTS and isinstance(v, str)}
