"""`hub mappings show|try` and their API twins on a Shopify installation with a table override and a field
override, end to end: installed through the API, read back through the CLI, nothing stored by a try."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from hub.cli import main
from hub.db.models import Delivery, InboxItem
from hub.paths import PAYLOADS_DIR

ORDER = PAYLOADS_DIR / "shopify_webhook_orders_create.json"  # Shopify's own sample: shipping line "Generic Shipping"
SETTINGS = {"shop": "maple-goods.myshopify.com", "access_token": "shpat_test_token", "client_secret": "shpss_test_secret"}
OVERRIDES = {
    "priority_tier": "'high'",
    "tables": {"shopify/service_levels": {"codes": {"Generic Shipping": "same_day"}}},
}


def _install(client, tenant, overrides=OVERRIDES):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/installations", headers=tenant["headers"], json={
        "connector": "shopify", "settings": SETTINGS, "overrides": overrides, "register_webhooks": False})


def _stored(runtime) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with runtime.sessions() as session:
        return tuple(session.scalar(select(func.count()).select_from(m)) for m in (InboxItem, Delivery))  # type: ignore[return-value]


def test_show_prints_the_patched_table_and_the_field_overrides(client, tenant):
    created = _install(client, tenant)
    assert created.status_code == 201, created.json
    installation_id = created.json["id"]

    result = CliRunner().invoke(main, ["mappings", "show", installation_id, "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["field_overrides"] == {"priority_tier": "'high'"}
    tables = {t["name"]: t for t in shown["tables"]}
    assert set(tables) == {"shopify/service_levels", "common/service_level_words", "common/address_words"}
    levels = tables["shopify/service_levels"]
    assert levels["file"] == "mappings/shopify/service_levels.yaml"
    assert levels["data"]["codes"]["Generic Shipping"] == "same_day"
    assert levels["data"]["codes"]["express"] == "express"  # the rest of the table is still there
    assert levels["overridden"] == [{"entry": "codes.Generic Shipping", "value": "same_day"}]
    assert tables["common/address_words"]["overridden"] == []

    text = CliRunner().invoke(main, ["mappings", "show", installation_id])
    assert text.exit_code == 0 and "overridden: codes.Generic Shipping = \"same_day\"" in text.output
    assert "priority_tier = 'high'" in text.output

    api = client.get(f"/api/v1/installations/{installation_id}/mapping", headers=tenant["headers"])
    assert api.status_code == 200 and api.json == shown


def test_try_maps_a_real_payload_through_the_overrides_and_stores_nothing(client, tenant, runtime):
    installation_id = _install(client, tenant).json["id"]
    before = _stored(runtime)

    result = CliRunner().invoke(main, ["mappings", "try", installation_id, str(ORDER), "--json"])
    assert result.exit_code == 0, result.output
    tried = json.loads(result.output)
    delivery = tried["delivery"]
    assert delivery["service_level"] == "same_day"          # from the table override
    assert delivery["priority_tier"] == "high"               # from the field override
    assert delivery["source"]["connector"] == "shopify" and tried["errors"] == []
    assert "service_level_unknown" not in {f["code"] for f in tried["data_quality_flags"]}
    assert {"table": "shopify/service_levels", "entry": "codes.Generic Shipping", "value": "same_day",
            "from": "installation table override"} in tried["provenance"]
    assert {"field": "priority_tier", "expression": "'high'", "value": "high",
            "from": "installation field override"} in tried["provenance"]
    assert _stored(runtime) == before

    text = CliRunner().invoke(main, ["mappings", "try", installation_id, str(ORDER)])
    assert text.exit_code == 0 and "Nothing was stored." in text.output and '"service_level": "same_day"' in text.output

    api = client.post(f"/api/v1/installations/{installation_id}/mapping/try", headers=tenant["headers"],
                      data=ORDER.read_bytes(), content_type="application/json")
    assert api.status_code == 200 and api.json["delivery"]["service_level"] == "same_day"
    assert _stored(runtime) == before


def test_without_the_table_override_the_same_order_has_no_service_level(client, tenant):
    installation_id = _install(client, tenant, overrides={}).json["id"]
    tried = json.loads(CliRunner().invoke(main, ["mappings", "try", installation_id, str(ORDER), "--json"]).output)
    assert tried["delivery"]["service_level"] == "unknown"
    assert "service_level_unknown" in {f["code"] for f in tried["data_quality_flags"]}
    assert tried["provenance"] == []


def test_a_table_override_that_breaks_the_schema_is_refused_naming_the_field(client, tenant):
    bad = _install(client, tenant, overrides={"tables": {"shopify/service_levels": {"codes": {"Courier Express": "sameday"}}}})
    assert bad.status_code == 422
    error = bad.json["error"]
    assert error["code"] == "validation_failed"
    assert error["details"][0]["path"] == "$.overrides.tables.shopify/service_levels.codes.Courier Express"
    assert "'sameday' is not one of" in error["details"][0]["message"]

    unknown = _install(client, tenant, overrides={"tables": {"woocommerce/service_levels": {"codes": {"x": "economy"}}}})
    assert unknown.status_code == 422
    assert "not a table of this connector" in unknown.json["error"]["details"][0]["message"]

    installation_id = _install(client, tenant, overrides={}).json["id"]
    patched = client.patch(f"/api/v1/installations/{installation_id}", headers=tenant["headers"],
                           json={"overrides": {"tables": {"shopify/service_levels": {"pickup_words": ["(unclosed"]}}}})
    assert patched.status_code == 422
    assert patched.json["error"]["details"][0]["path"].startswith("$.overrides.tables.shopify/service_levels.pickup_words")


def test_show_and_try_name_a_missing_installation(clean, tmp_path: Path):
    payload = tmp_path / "order.json"
    payload.write_text("{}", encoding="utf-8")
    for args in (["show", "ins_missing"], ["try", "ins_missing", str(payload)]):
        result = CliRunner().invoke(main, ["mappings", *args])
        assert result.exit_code != 0 and "no installation 'ins_missing'" in result.output


def test_patch_saves_a_valid_table_patch_and_refuses_a_bad_one(client, tenant, tmp_path: Path):
    installation_id = _install(client, tenant, overrides={"priority_tier": "'high'"}).json["id"]
    runner = CliRunner()
    bad = runner.invoke(main, ["mappings", "patch", installation_id, "shopify/service_levels", '{"codes": {"Courier Express": "soon"}}'])
    assert bad.exit_code != 0 and "overrides.tables.shopify/service_levels.codes.Courier Express" in bad.output

    patch_file = tmp_path / "patch.json"
    patch_file.write_text('{"codes": {"Generic Shipping": "same_day"}}', encoding="utf-8")
    saved = runner.invoke(main, ["mappings", "patch", installation_id, "shopify/service_levels", f"@{patch_file}"])
    assert saved.exit_code == 0, saved.output
    shown = client.get(f"/api/v1/installations/{installation_id}", headers=tenant["headers"]).json
    assert shown["overrides"] == {"priority_tier": "'high'", "tables": {"shopify/service_levels": {"codes": {"Generic Shipping": "same_day"}}}}
    tried = json.loads(runner.invoke(main, ["mappings", "try", installation_id, str(ORDER), "--json"]).output)
    assert tried["delivery"]["service_level"] == "same_day"

    removed = runner.invoke(main, ["mappings", "patch", installation_id, "shopify/service_levels", "{}"])
    assert removed.exit_code == 0
    assert client.get(f"/api/v1/installations/{installation_id}", headers=tenant["headers"]).json["overrides"] == {"priority_tier": "'high'"}


def test_try_maps_a_stored_webhook_by_its_inbox_id(client, tenant):
    """The request a store sent (and the hub answered with an inbox id) is tried again through today's mapping."""
    installation_id = _install(client, tenant).json["id"]
    body = ORDER.read_bytes()
    signature = base64.b64encode(hmac.new(SETTINGS["client_secret"].encode(), body, hashlib.sha256).digest()).decode()
    hook = client.post(f"/hooks/{installation_id}", data=body, headers={
        "Content-Type": "application/json", "X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-Sha256": signature,
        "X-Shopify-Shop-Domain": SETTINGS["shop"], "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"})
    assert hook.status_code == 200, hook.json
    inbox_id = hook.json["inbox_id"]

    result = CliRunner().invoke(main, ["mappings", "try", installation_id, "--inbox", str(inbox_id), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["delivery"]["service_level"] == "same_day"
    api = client.post(f"/api/v1/installations/{installation_id}/mapping/try?inbox={inbox_id}", headers=tenant["headers"])
    assert api.status_code == 200 and api.json["delivery"]["service_level"] == "same_day"

    missing = CliRunner().invoke(main, ["mappings", "try", installation_id, "--inbox", "999999"])
    assert missing.exit_code != 0 and "has no stored request 999999" in missing.output
    both = CliRunner().invoke(main, ["mappings", "try", installation_id, str(ORDER), "--inbox", str(inbox_id)])
    assert both.exit_code != 0 and "either FILE.json or --inbox ID" in both.output
    other = client.post(f"/api/v1/installations/{installation_id}/mapping/try?inbox=999999", headers=tenant["headers"])
    assert other.status_code == 422 and "999999" in other.json["error"]["message"]
