"""Settings validation, secret redaction and the settings JSON Schema."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest
from marshmallow import Schema, fields, validate

from hub.plugins import REDACTED, ConnectorSpec, SettingsError, load_settings, secret_fields, settings_json_schema
from hub.plugins.settings import public_settings, redact


class Auth(Schema):
    client_id = fields.String(required=True)
    client_secret = fields.String(required=True, metadata={"secret": True})


class ShopSettings(Schema):
    shop = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9-]+$"), metadata={"description": "Shop handle"})
    api_token = fields.String(required=True, metadata={"secret": True, "description": "Admin API token"})
    mode = fields.String(load_default="live", validate=validate.OneOf(["live", "test"]))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=250))
    auth = fields.Nested(Auth, required=False)
    topics = fields.List(fields.String(), validate=validate.Length(min=1))


SPEC = ConnectorSpec(
    id="shopdemo", label="Shop demo", kind="source", version="1", settings_schema=ShopSettings,
    capabilities=frozenset(), factory=lambda settings: object(),
)
TOKEN = "shpat_0123456789abcdef"
RAW: dict[str, Any] = {"shop": "berlin-bakery", "api_token": TOKEN, "auth": {"client_id": "cid", "client_secret": "csecret-9876"}}


def test_load_settings_validates_and_fills_defaults() -> None:
    settings = load_settings(SPEC, RAW)
    assert settings["mode"] == "live" and settings["page_size"] == 50 and settings["api_token"] == TOKEN


def test_errors_name_each_bad_field_with_dotted_paths() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(SPEC, {"shop": "Berlin Bakery!", "mode": "sandbox", "auth": {"client_id": "x"}, "tokn": "typo"})
    errors = caught.value.errors
    assert set(errors) == {"shop", "api_token", "mode", "auth.client_secret", "tokn"}
    assert all(isinstance(m, str) for msgs in errors.values() for m in msgs)
    assert "api_token" in str(caught.value)


def test_non_mapping_settings_are_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(SPEC, ["not", "a", "dict"])  # type: ignore[arg-type]
    assert set(caught.value.errors) == {"_schema"}


def test_secrets_are_found_in_nested_schemas() -> None:
    assert secret_fields(SPEC) == {"api_token", "auth.client_secret"}


def test_settings_repr_and_redact_never_show_secrets() -> None:
    settings = load_settings(SPEC, RAW)
    for text in (repr(settings), str(settings), f"{settings}", json.dumps(redact(SPEC, settings))):
        assert TOKEN not in text and "csecret-9876" not in text
    assert redact(SPEC, settings)["api_token"] == REDACTED
    assert redact(SPEC, settings)["auth"] == {"client_id": "cid", "client_secret": REDACTED}
    assert pickle.loads(pickle.dumps(settings)).secret_paths == settings.secret_paths


def test_public_settings_drop_secrets() -> None:
    public = public_settings(SPEC, load_settings(SPEC, RAW))
    assert "api_token" not in public and public["auth"] == {"client_id": "cid"} and public["shop"] == "berlin-bakery"


def test_settings_json_schema_describes_types_and_secrets() -> None:
    schema = settings_json_schema(SPEC)
    json.dumps(schema)
    props = schema["properties"]
    assert schema["required"] == ["shop", "api_token"] and schema["additionalProperties"] is False
    assert props["api_token"] == {"type": "string", "description": "Admin API token", "writeOnly": True, "x-secret": True}
    assert props["shop"]["pattern"] == "^[a-z0-9-]+$"
    assert props["mode"] == {"type": "string", "enum": ["live", "test"], "default": "live"}
    assert props["page_size"] == {"type": "integer", "minimum": 1, "maximum": 250, "default": 50}
    assert props["auth"]["properties"]["client_secret"]["x-secret"] is True
    assert props["topics"] == {"type": "array", "items": {"type": "string"}, "minItems": 1}
