"""How an API operation declares what it takes and what it answers, so /api/openapi.json is generated from
the code that validates.

- `Blueprint`: flask-smorest's, with the hub's argument parser. `@blp.arguments(Schema)` validates the JSON
  body (read by hub.api.requests.json_body: depth limit, 400 on malformed JSON) and `@blp.arguments(Schema,
  location="query")` the query string; a problem answers the hub's error body naming each field: 422
  `validation_failed` for a body, 400 `bad_query` for the query string.
- `AsSent`: a body schema mixin that validates but hands the view the JSON as sent (canonical documents are
  stored exactly as received; their marshmallow twins would turn timestamps into datetimes).
- `StoredDocument` / `AsStored`: a response schema / field documented by a schema but answered as stored (a
  canonical document).
- `Page` and `cursor_field()`: the list answer `{items, next_cursor}` and the `?cursor=` that pages it.
- `HubApi` writes what the schemas check into the document: canonical field types, a schema's rules as a
  whole (`class Meta: openapi = {...}`, SchemaRules) and "no NUL" on free text (hub.api.requests refuses it).
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import flask
import marshmallow as ma
from apispec import BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_instance
from apispec.ext.marshmallow.schema_resolver import SchemaResolver
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from marshmallow import fields, post_load
from webargs import core
from webargs.flaskparser import FlaskParser

from hub.api.errors import ApiError, ErrorSchema
from hub.api.requests import CURSOR_PATTERN, json_body
from hub.canonical.fields import DECIMAL, DecimalString, Number, Timestamp, unique_items
from hub.canonical.validation import marshmallow_field_errors
from hub.plugins.settings import settings_json_schema


class HubApi(Api):
    """flask-smorest's Api, documenting the hub's own error body for every operation's error responses and
    the canonical fields (timestamps, decimal strings, numbers) as the JSON they are."""

    ERROR_SCHEMA = ErrorSchema

    def __init__(self, app: flask.Flask | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("spec_kwargs", {}).setdefault("extra_plugins", [SchemaRules()])
        kwargs["spec_kwargs"].setdefault("marshmallow_plugin", HubMarshmallowPlugin())
        super().__init__(app, **kwargs)
        self.register_field(Timestamp, "string", "date-time")
        self.register_field(Number, "number", None)
        self.register_field(DecimalString, "string", None)
        self.ma_plugin.converter.add_attribute_function(_decimal_pattern)
        self.ma_plugin.converter.add_attribute_function(_no_nul)
        self.ma_plugin.converter.add_attribute_function(_unique_items)
        self.ma_plugin.converter.add_attribute_function(_dict_keys)


class SchemaRules(BasePlugin):
    """Rules a schema checks as a whole (a window needs a start or an end), written into its OpenAPI form from
    the schema's `Meta.openapi` so clients and fuzzers see them: `class Meta: openapi = {"minProperties": 1}`."""

    def schema_helper(self, name: str, definition: dict[str, Any], **kwargs: Any) -> dict[str, Any] | None:
        return schema_rules(kwargs.get("schema")) or None


def schema_rules(schema: Any) -> dict[str, Any]:
    """A schema's rules across its fields (`Meta.openapi`), for a class or an instance."""
    meta = getattr(schema, "Meta", None) or getattr(getattr(schema, "__class__", None), "Meta", None)
    return dict(getattr(meta, "openapi", {}) or {})


class QueryRulesResolver(SchemaResolver):
    """A query string whose schema states rules across its fields (`Meta.openapi`: "a postal_code or lat and
    lng") cannot be written as one parameter per field, which is how a query schema is otherwise documented:
    it is documented as one object parameter, `style: form, explode: true` (its fields sent as `?a=1&b=2`,
    exactly what the parser reads), whose schema carries the rules."""

    def resolve_parameters(self, parameters: list[Any]) -> list[Any]:
        folded = []
        for parameter in parameters:
            schema = parameter.get("schema") if isinstance(parameter, dict) else None
            if parameter.get("in") == "query" and schema is not None and not isinstance(schema, dict) \
                    and schema_rules(schema):
                instance = resolve_schema_instance(schema)
                document = {**self.converter.schema2jsonschema(instance), **schema_rules(instance)}
                folded.append({"in": "query", "name": type(instance).__name__.removesuffix("Schema").lower(),
                               "style": "form", "explode": True, "required": bool(document.get("required")),
                               "schema": document})
            else:
                folded.append(parameter)
        return super().resolve_parameters(folded)  # type: ignore[no-any-return]


class HubMarshmallowPlugin(MarshmallowPlugin):
    Resolver = QueryRulesResolver


def _decimal_pattern(converter: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    # A field narrower than any decimal (an unsigned amount) states its own pattern in its metadata.
    return {"pattern": field.metadata.get("pattern", DECIMAL.pattern)} if isinstance(field, DecimalString) else {}


# What hub.api.requests refuses in every string (PostgreSQL stores no NUL), stated where no pattern says more.
NO_NUL = "^[^\\x00]*$"


def _no_nul(converter: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    if not isinstance(field, fields.String) or "pattern" in field.metadata:
        return {}
    if any(isinstance(v, ma.validate.Regexp) for v in field.validators):
        return {}
    return {"pattern": NO_NUL}


def _unique_items(converter: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    # The canonical lists that refuse duplicates (tags, codes) say so, as their JSON Schema does.
    return {"uniqueItems": True} if isinstance(field, fields.List) and unique_items in field.validators else {}


def _dict_keys(converter: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    # A map whose keys are checked (country codes) says which keys it takes, as its values' schema says the rest.
    if not isinstance(field, fields.Dict) or field.key_field is None or not field.key_field.validators:
        return {}
    keys = converter.field2property(field.key_field)
    return {"propertyNames": {k: v for k, v in keys.items() if k in ("type", "pattern", "enum", "minLength",
                                                                     "maxLength")}}


@functools.cache
def _shared_instance(schema: type[ma.Schema]) -> ma.Schema:
    return schema()


class HubParser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 422

    def _get_schema(self, argmap: Any, req: flask.Request) -> ma.Schema:
        # webargs makes a new instance of a schema class for every request, and with it every nested schema
        # (marshmallow builds those lazily, then keeps them): a delivery's body paid 12 schema builds and their
        # fields' deep copies per POST, a tenth of the API's CPU. Loading keeps no state, so one instance serves.
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            return _shared_instance(argmap)
        return super()._get_schema(argmap, req)

    def load_json(self, req: flask.Request, schema: ma.Schema) -> Any:
        # Any content type: clients that forget the header still get their body read (and a clear error).
        if not req.get_data(cache=True):
            return core.missing
        return json_body()[0]

    def handle_error(self, error: ma.ValidationError, req: flask.Request, schema: ma.Schema, *,
                     error_status_code: int | None, error_headers: Any) -> Any:
        messages = error.messages if isinstance(error.messages, dict) else {"json": error.messages}
        if "query" in messages:
            details = [{"path": f"query.{e.path.removeprefix('$.')}", "message": e.message}
                       for e in marshmallow_field_errors(messages["query"])]
            raise ApiError(400, "bad_query", "the query string is not valid: " + "; ".join(
                f"{d['path']}: {d['message']}" for d in details), details)
        # A JSON body, or a multipart form (declared at location "files"): paths name the field, as in the body.
        body = next((messages[where] for where in ("json", "files", "form") if where in messages), messages)
        if body == {"_schema": ["Invalid input type."]} or body == ["Invalid input type."]:
            raise ApiError(422, "validation_failed", "the request body must be a JSON object",
                           [{"path": "$", "message": "not an object"}])
        details = [e.as_dict() for e in marshmallow_field_errors(body)]
        raise ApiError(422, "validation_failed", "the request body is not valid: " + "; ".join(
            f"{d['path']}: {d['message']}" for d in details[:5]), details)


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = HubParser()

    def document_body(self, schema: type[ma.Schema], extra: Callable[[flask.Flask], dict[str, Any]]) -> None:
        """Document the JSON bodies of `schema` as `allOf: [schema, extra(app)]`, for what depends on the plugins the
        app found when it started (a connector's settings, an SMS provider's), which no schema class can state."""

        def widen(doc: dict[str, Any], doc_info: dict[str, Any], *, app: flask.Flask, **kwargs: Any) -> dict[str, Any]:
            content = doc.get("requestBody", {}).get("content", {}).get("application/json", {})
            if content.get("schema") is schema:
                content["schema"] = {"allOf": [schema, extra(app)]}
            return doc

        self._prepare_doc_cbks.append(widen)


def plugin_variant(key: str, spec: Any, **properties: Any) -> dict[str, Any]:
    """One form of a body that names a plugin: `key` is the plugin's id, `settings` what its settings schema takes
    (required when the schema requires any field), plus `properties`."""
    settings = {k: v for k, v in settings_json_schema(spec).items() if k not in ("$schema", "title")}
    return {"properties": {key: {"const": spec.id}, "settings": settings, **properties},
            "required": [key, "settings"] if settings.get("required") else [key]}


class AsSent:
    """Mixin for a body schema: validate every field, then hand the view the JSON exactly as sent."""

    @post_load(pass_original=True)
    def _as_sent(self, data: Any, original: Any, **kwargs: Any) -> Any:
        return original


class StoredDocument:
    """Mixin for a response schema whose object is already its JSON (a canonical document): answered as is,
    documented by the schema."""

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        return obj


class AsStored(fields.Nested):
    """A nested document answered as it is stored (already JSON), documented by its schema."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value


def cursor_field() -> fields.String:
    """The ?cursor= of a list: what a previous page answered as next_cursor."""
    return fields.String(validate=ma.validate.Regexp(CURSOR_PATTERN, error="Not a cursor this API gave out."),
                         metadata={"description": "next_cursor from the previous page"})


class Page(ma.Schema):
    """Base of list answers: subclasses declare `items`."""

    next_cursor = fields.String(allow_none=True, metadata={"description": "Pass back as ?cursor= for the next page; null on the last"})

