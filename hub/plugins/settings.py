"""Installation settings: validate, redact, describe.

A connector's settings are a marshmallow schema. Secret fields carry ``metadata={"secret": True}``::

    class AcmeSettings(Schema):
        webhook_secret = fields.String(required=True, metadata={"secret": True,
                                       "description": "Shared secret for X-Acme-Signature"})
        default_country = fields.String(load_default="US", validate=validate.Length(equal=2))

The hub validates what an owner typed with :func:`load_settings` (errors name the field), stores it,
and shows it only through :func:`redact`. The loaded :class:`Settings` mapping never prints a secret.
Connectors never read environment variables: everything they need arrives here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import marshmallow
from marshmallow import fields as mf
from marshmallow import validate as mv

from hub.plugins.spec import ConnectorSpec, PluginError

__all__ = [
    "REDACTED",
    "STANDARD_WEBHOOKS_SECRET",
    "Pattern",
    "VISIBLE",
    "WebUrl",
    "Settings",
    "SettingsError",
    "load_settings",
    "public_settings",
    "redact",
    "secret_fields",
    "settings_json_schema",
]

REDACTED = "***redacted***"

_B64 = "[A-Za-z0-9+/]"
#: A Standard Webhooks symmetric secret: ``whsec_`` + base64 of 24 to 64 random bytes (the spec, "Signature
#: scheme"), padding optional. 8 to 20 groups of four characters (3 bytes each) and a tail of 2 or 3 (1 or 2
#: bytes), or 21 groups and a tail of 2: 24 to 64 bytes, as a pattern the settings' JSON Schema can show.
STANDARD_WEBHOOKS_SECRET = (f"^whsec_(?:(?:{_B64}{{4}}){{8,20}}(?:{_B64}{{2}}(?:==?)?|{_B64}{{3}}=?)?"
                            f"|(?:{_B64}{{4}}){{21}}(?:{_B64}{{2}}(?:==?)?)?)$")
# A web address as the settings' JSON Schema shows it: http(s), a host name (labels of letters, digits and
# hyphens; a dotted one ends in a label of two or more), an IPv4 address or an IPv6 literal, an optional port,
# path, query and fragment. Narrower than marshmallow's Url (no user:password@, no trailing dot), so whatever
# the pattern admits, Url admits too.
_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
WEB_URL = (f"^[Hh][Tt][Tt][Pp][Ss]?://(?:{_LABEL}|(?:{_LABEL}\\.)+[A-Za-z0-9-]{{2,}}|[0-9]{{1,3}}(?:\\.[0-9]{{1,3}}){{3}}"
           "|\\[[A-Fa-f0-9]*:[A-Fa-f0-9:]+\\])"
           "(?::[0-9]{1,5})?(?:/|[/?#][A-Za-z0-9._~%!$&'()*+,;=:@/?#-]+)?$")


#: One character that is neither a control character nor a space, written out for patterns that JSON Schema shows:
#: Python's ``\s`` and JavaScript's differ (U+001C-U+001F and U+0085 are spaces to Python only, U+FEFF to JavaScript
#: only), so a pattern with ``\S`` would accept in a client what the hub refuses.
VISIBLE = "[^\\x00-\\x20\\x7f-\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]"


class Pattern(mv.Regexp):
    """A Regexp checked as JSON Schema's ``pattern`` is: the whole value (Python's ``$`` also matches before
    a final newline, JavaScript's does not), so the settings' JSON Schema states exactly what is accepted."""

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, str) or self.regex.fullmatch(value) is None:
            raise marshmallow.ValidationError(self._format_error(value))
        return value


class WebUrl(mf.Url):
    """An http(s) address that marshmallow's Url accepts and WEB_URL describes (shown as the pattern)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("require_tld", False)
        kwargs.setdefault("schemes", {"http", "https"})
        validators = list(kwargs.pop("validate", None) or [])
        super().__init__(validate=[Pattern(WEB_URL, error="Not an http(s) address such as https://shop.example.com."),
                                   *validators], **kwargs)


class SettingsError(PluginError, ValueError):
    """Settings did not validate. ``errors`` maps a dotted field path to its messages
    (``{"webhook_secret": ["Missing data for required field."]}``)."""

    def __init__(self, connector_id: str, errors: Mapping[str, list[str]]) -> None:
        self.connector_id = connector_id
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in errors.items()}
        detail = "; ".join(f"{path}: {' '.join(msgs)}" for path, msgs in sorted(self.errors.items()))
        super().__init__(f"invalid settings for connector {connector_id!r}: {detail}")


class Settings(dict[str, Any]):
    """Validated settings: a plain dict whose ``repr``/``str`` hide secret values, so that logging
    or printing it never leaks one. Values themselves are untouched (``settings["webhook_secret"]``)."""

    def __init__(self, data: Mapping[str, Any], secrets: frozenset[str] = frozenset()) -> None:
        super().__init__(data)
        self._secrets = secrets

    @property
    def secret_paths(self) -> frozenset[str]:
        """Dotted paths of the secret fields."""
        return self._secrets

    def __repr__(self) -> str:
        return f"Settings({_redacted(self, self._secrets)!r})"

    __str__ = __repr__

    def __reduce__(self) -> tuple[Any, ...]:
        return (Settings, (dict(self), self._secrets))


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error dict → ``{"dotted.path": [messages]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            for sub, msgs in _flatten(value, path).items():
                out.setdefault(sub, []).extend(msgs)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out[prefix or "_schema"] = list(messages)
    elif isinstance(messages, list):
        for item in messages:
            for sub, msgs in _flatten(item, prefix).items():
                out.setdefault(sub, []).extend(msgs)
    else:
        out[prefix or "_schema"] = [str(messages)]
    return out


def _walk(schema: marshmallow.Schema, prefix: str = "") -> list[tuple[str, mf.Field]]:
    """Every (dotted path, field) in a schema, descending into Nested fields."""
    found: list[tuple[str, mf.Field]] = []
    for name, fld in schema.fields.items():
        path = f"{prefix}.{fld.data_key or name}" if prefix else (fld.data_key or name)
        found.append((path, fld))
        if isinstance(fld, mf.Nested) and not fld.many:
            found.extend(_walk(fld.schema, path))
    return found


def secret_fields(spec: ConnectorSpec) -> set[str]:
    """Dotted paths of the fields marked ``metadata={"secret": True}``."""
    return {path for path, fld in _walk(spec.settings_schema()) if fld.metadata.get("secret")}


def url_fields(spec: ConnectorSpec) -> set[str]:
    """Dotted paths of the settings that are URLs (``fields.Url``): where the hub will connect."""
    return {path for path, fld in _walk(spec.settings_schema()) if isinstance(fld, mf.Url)}


def load_settings(spec: ConnectorSpec, raw: Mapping[str, Any]) -> Settings:
    """Validate ``raw`` with the connector's schema; raise :class:`SettingsError` naming each bad field.

    Unknown keys are errors (a typo must not be silently dropped) unless the schema says otherwise.
    """
    if not isinstance(raw, Mapping):
        raise SettingsError(spec.id, {"_schema": ["Settings must be an object."]})
    try:
        loaded = spec.settings_schema().load(dict(raw))
    except marshmallow.ValidationError as exc:
        raise SettingsError(spec.id, _flatten(exc.messages)) from None
    if not isinstance(loaded, Mapping):
        raise SettingsError(spec.id, {"_schema": ["The settings schema must load to a mapping (no post_load objects)."]})
    return Settings(loaded, frozenset(secret_fields(spec)))


def _redacted(data: Mapping[str, Any], secrets: frozenset[str] | set[str], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if path in secrets:
            out[key] = REDACTED if value not in (None, "") else value
        elif isinstance(value, Mapping):
            out[key] = _redacted(value, secrets, path)
        else:
            out[key] = value
    return out


def redact(spec: ConnectorSpec, settings: Mapping[str, Any]) -> dict[str, Any]:
    """A copy safe to show in the API, the CLI and logs: every set secret becomes ``REDACTED``."""
    return _redacted(settings, secret_fields(spec))


def public_settings(spec: ConnectorSpec, settings: Mapping[str, Any]) -> dict[str, Any]:
    """A copy without the secret fields at all: what ``MappingContext.settings`` carries."""
    secrets = secret_fields(spec)

    def strip(data: Mapping[str, Any], prefix: str) -> dict[str, Any]:
        kept: dict[str, Any] = {}
        for key, value in data.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if path not in secrets:
                kept[key] = strip(value, path) if isinstance(value, Mapping) else value
        return kept

    return strip(settings, "")


_SIMPLE_TYPES: list[tuple[type[mf.Field], dict[str, Any]]] = [
    (mf.Email, {"type": "string", "format": "email"}),
    (mf.Url, {"type": "string", "format": "uri"}),
    (mf.UUID, {"type": "string", "format": "uuid"}),
    (mf.AwareDateTime, {"type": "string", "format": "date-time"}),
    (mf.DateTime, {"type": "string", "format": "date-time"}),
    (mf.Date, {"type": "string", "format": "date"}),
    (mf.Time, {"type": "string", "format": "time"}),
    (mf.String, {"type": "string"}),
    (mf.Boolean, {"type": "boolean"}),
    (mf.Integer, {"type": "integer"}),
    (mf.Number, {"type": "number"}),
    (mf.Dict, {"type": "object"}),
]


def _field_schema(fld: mf.Field) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(fld, mf.Nested):
        inner = _object_schema(fld.schema)
        out = {"type": "array", "items": inner} if fld.many else inner
    elif isinstance(fld, mf.List):
        out = {"type": "array", "items": _field_schema(fld.inner)}
    elif isinstance(fld, mf.Dict):
        out = {"type": "object"}
        if fld.value_field is not None:
            out["additionalProperties"] = _field_schema(fld.value_field)
        if fld.key_field is not None and (names := _field_schema(fld.key_field)) != {"type": "string"}:
            out["propertyNames"] = names
    else:
        for ftype, js in _SIMPLE_TYPES:
            if isinstance(fld, ftype):
                out = dict(js)
                break
    validators = fld.validators if isinstance(fld.validators, list) else list(fld.validators or [])
    for v in validators:
        if isinstance(v, mv.OneOf):
            out["enum"] = list(v.choices)
        elif isinstance(v, mv.Length):
            key = "Items" if out.get("type") == "array" else "Length"
            if v.equal is not None:
                out[f"min{key}"] = out[f"max{key}"] = v.equal
            if v.min is not None:
                out[f"min{key}"] = v.min
            if v.max is not None:
                out[f"max{key}"] = v.max
        elif isinstance(v, mv.Range):
            if v.min is not None:
                out["minimum" if v.min_inclusive else "exclusiveMinimum"] = v.min
            if v.max is not None:
                out["maximum" if v.max_inclusive else "exclusiveMaximum"] = v.max
        elif isinstance(v, mv.Regexp):
            out["pattern"] = v.regex.pattern
    if fld.metadata.get("description"):
        out["description"] = str(fld.metadata["description"])
    default = fld.load_default
    if default is not marshmallow.missing and not callable(default):
        out["default"] = default
    if fld.allow_none:
        out["type"] = [out["type"], "null"] if "type" in out else "null"
    if fld.metadata.get("secret"):
        out["writeOnly"] = True
        out["x-secret"] = True
    return out


def _object_schema(schema: marshmallow.Schema) -> dict[str, Any]:
    props: dict[str, Any] = {}
    required: list[str] = []
    for name, fld in schema.fields.items():
        if fld.dump_only:
            continue
        key = fld.data_key or name
        props[key] = _field_schema(fld)
        if fld.required:
            required.append(key)
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    if schema.unknown == marshmallow.RAISE:
        out["additionalProperties"] = False
    # Rules across fields (pick_by_secret with pick_by_url): the schema states them in Meta.openapi, as the
    # API's schemas do (hub/api/declare.py), so forms and fuzzers see them.
    out.update(getattr(getattr(schema, "Meta", None), "openapi", None) or {})
    return out


def settings_json_schema(spec: ConnectorSpec) -> dict[str, Any]:
    """A JSON Schema (2020-12) of the settings, for ``hub connectors --json`` and forms. Secret fields
    carry ``"writeOnly": true`` and ``"x-secret": true``; descriptions come from field metadata."""
    out = _object_schema(spec.settings_schema())
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": f"{spec.label} settings", **out}
