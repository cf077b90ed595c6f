"""API keys managed by an admin, through /api/v1/keys and `hub keys`: minted bound to a subject that exists in the
tenant, shown once, listed with their last use, revoked for good; `hub init --new-admin-key` for a lost admin key."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from click.testing import CliRunner
from sqlalchemy import update

from hub.cli import main
from hub.db.engine import transaction
from hub.db.models import ApiKey, utcnow
from hub.runtime import Runtime
from tests.execution.setup import make_driver
from tests.execution.test_carrier_reports import make_carrier
from tests.fixtures import make_key


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_an_admin_mints_keys_bound_to_their_subject_and_shown_once(client: Any, tenant: dict[str, Any],
                                                                   clean: Runtime) -> None:
    headers = tenant["headers"]
    driver = make_driver(client, tenant, "Ana")["id"]
    carrier = make_carrier(client, tenant, "Swift")
    minted = client.post("/api/v1/keys", json={"role": "driver", "subject_id": driver, "label": "Ana's phone"},
                         headers=headers)
    assert minted.status_code == 201, minted.json
    key = minted.json["key"]
    assert key.startswith("hub_dri_") and minted.json["subject_id"] == driver and minted.json["last_used_at"] is None
    assert client.get("/api/v1/driver/route", headers=bearer(key)).status_code == 200  # it works as Ana

    listed = client.get("/api/v1/keys", headers=headers).json["items"]
    assert key not in json.dumps(listed)  # never shown again
    assert {(k["role"], k["subject_id"]) for k in listed} == {("admin", None), ("driver", driver)}
    used = next(k for k in listed if k["role"] == "driver")
    assert used["last_used_at"] is not None and used["prefix"] == key[:12]

    carrier_key = client.post("/api/v1/keys", json={"role": "carrier", "subject_id": carrier}, headers=headers)
    assert carrier_key.status_code == 201 and client.get("/api/v1/carrier/jobs", headers=bearer(
        carrier_key.json["key"])).status_code == 200
    integration = client.post("/api/v1/keys", json={"role": "integration"}, headers=headers)
    assert integration.status_code == 201 and integration.json["subject_id"] is None


def test_a_key_is_refused_for_a_subject_that_is_not_in_the_tenant(client: Any, tenant: dict[str, Any],
                                                                  clean: Runtime) -> None:
    from hub.ledger.tenants import create_tenant

    with transaction(clean.sessions) as session:
        other = create_tenant(session, "other")
    other_admin = make_key(clean, other.id, "admin")
    theirs = make_carrier(client, {"headers": other_admin}, "Theirs")
    mine = make_driver(client, tenant, "Ana")["id"]
    # A subject that is not this tenant's is not found (404); a body that breaks the rules is not valid (422).
    cases = [({"role": "carrier", "subject_id": theirs}, 404, "no carrier"),  # another tenant's carrier
             ({"role": "carrier", "subject_id": mine}, 404, "no carrier"),  # a driver's id for a carrier key
             ({"role": "driver"}, 422, "give its id"),
             ({"role": "integration", "subject_id": mine}, 422, "takes no subject"),
             ({"role": "superuser"}, 422, "unknown role"),
             ({"role": "admin", "extra": 1}, 422, "$.extra")]
    for body, status, reason in cases:
        refused = client.post("/api/v1/keys", json=body, headers=tenant["headers"])
        assert refused.status_code == status and reason in json.dumps(refused.json), (body, refused.json)
    assert len(client.get("/api/v1/keys", headers=tenant["headers"]).json["items"]) == 1  # not the other tenant's


def test_only_admins_manage_keys(client: Any, tenant: dict[str, Any], clean: Runtime) -> None:
    for role in ("integration", "carrier", "driver"):
        headers = make_key(clean, tenant["id"], role)
        assert client.get("/api/v1/keys", headers=headers).status_code == 403
        assert client.post("/api/v1/keys", json={"role": "admin"}, headers=headers).status_code == 403


def test_a_revoked_key_is_refused_at_once_and_stays_listed(client: Any, tenant: dict[str, Any], clean: Runtime) -> None:
    minted = client.post("/api/v1/keys", json={"role": "integration"}, headers=tenant["headers"]).json
    assert client.get("/api/v1/deliveries", headers=bearer(minted["key"])).status_code == 200
    revoked = client.delete(f"/api/v1/keys/{minted['id']}", headers=tenant["headers"])
    assert revoked.status_code == 200 and revoked.json["active"] is False and revoked.json["revoked_at"]
    assert client.get("/api/v1/deliveries", headers=bearer(minted["key"])).status_code == 401
    listed = {k["id"]: k for k in client.get("/api/v1/keys", headers=tenant["headers"]).json["items"]}
    assert listed[minted["id"]]["active"] is False
    admin_id = next(k for k in listed.values() if k["role"] == "admin")["id"]
    last = client.delete(f"/api/v1/keys/{admin_id}", headers=tenant["headers"])
    assert last.status_code == 409 and last.json["error"]["code"] == "last_admin_key"  # the tenant stays managed
    assert client.delete("/api/v1/keys/key_nope", headers=tenant["headers"]).status_code == 404


def test_last_use_is_written_at_most_once_a_minute(client: Any, tenant: dict[str, Any], clean: Runtime) -> None:
    minted = client.post("/api/v1/keys", json={"role": "integration"}, headers=tenant["headers"]).json
    long_ago = utcnow() - timedelta(hours=3)
    with transaction(clean.sessions) as session:
        session.execute(update(ApiKey).where(ApiKey.id == minted["id"]).values(last_used_at=long_ago))
    client.get("/api/v1/deliveries", headers=bearer(minted["key"]))
    first = client.get(f"/api/v1/keys/{minted['id']}", headers=tenant["headers"]).json["last_used_at"]
    assert first > long_ago.isoformat()
    client.get("/api/v1/deliveries", headers=bearer(minted["key"]))
    assert client.get(f"/api/v1/keys/{minted['id']}", headers=tenant["headers"]).json["last_used_at"] == first


def test_hub_keys_create_list_revoke(client: Any, tenant: dict[str, Any], clean: Runtime) -> None:
    runner = CliRunner()
    driver = make_driver(client, tenant, "Ana")["id"]
    created = runner.invoke(main, ["keys", "create", "--tenant", tenant["name"], "--role", "driver",
                                   "--subject", driver, "--json"])
    assert created.exit_code == 0, created.output
    data = json.loads(created.output)
    assert client.get("/api/v1/driver/route", headers=bearer(data["key"])).status_code == 200
    listed = runner.invoke(main, ["keys", "list", "--tenant", tenant["name"]])
    assert listed.exit_code == 0 and data["id"] in listed.output and data["key"] not in listed.output
    assert f"driver for {driver}" in listed.output
    wrong = runner.invoke(main, ["keys", "create", "--tenant", tenant["name"], "--role", "carrier",
                                 "--subject", "car_nope"])
    assert wrong.exit_code != 0 and "no carrier 'car_nope'" in wrong.output
    revoked = runner.invoke(main, ["keys", "revoke", data["id"], "--tenant", tenant["name"]])
    assert revoked.exit_code == 0, revoked.output
    assert client.get("/api/v1/driver/route", headers=bearer(data["key"])).status_code == 401


def test_init_mints_a_new_admin_key_for_an_existing_tenant(client: Any, clean: Runtime) -> None:
    runner = CliRunner()
    first = json.loads(runner.invoke(main, ["init", "--tenant", "acme", "--json"]).output)
    refused = runner.invoke(main, ["init", "--tenant", "acme"])
    assert refused.exit_code != 0 and "--new-admin-key" in refused.output
    again = runner.invoke(main, ["init", "--tenant", "acme", "--new-admin-key", "--json"])
    assert again.exit_code == 0, again.output
    second = json.loads(again.output)
    assert second["tenant_id"] == first["tenant_id"] and second["admin_api_key"] != first["admin_api_key"]
    for key in (first["admin_api_key"], second["admin_api_key"]):
        assert client.get("/api/v1/keys", headers=bearer(key)).status_code == 200
    unknown = runner.invoke(main, ["init", "--tenant", "nobody", "--new-admin-key"])
    assert unknown.exit_code != 0 and "no tenant named 'nobody'" in unknown.output
