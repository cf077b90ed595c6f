"""Secrets at rest: subscription secrets and installation settings/state are Fernet tokens in the database,
read back in clear through the ORM, readable after a key rotation, refused with a clear error under a
wrong key; rows written in clear before migration 0006 are still read, and the migration encrypts them."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from hub.cli import main
from hub.config import Config
from hub.db.encryption import Keyring, SecretKeyError, is_token, reencrypt
from hub.db.engine import alembic_config, make_engine, transaction
from hub.db.models import Installation
from hub.db.models.webhooks import WebhookSubscription
from hub.runtime import Runtime, build_runtime
from hub.webhooks.signing import new_secret

STORE_SECRET = "acme-webhook-secret-0123456789"
GENERATED = {"settings": {"webhook_secret": "generated-signing-secret-42"}, "registered_webhooks": []}
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
# The tables as plain SQL sees them: no hub column types, so nothing is encrypted or decrypted on the way.
TENANTS = sa.table("tenants", *(sa.column(c) for c in ("id", "name", "created_at")), sa.column("settings", JSON))
INSTALLATIONS = sa.table(
    "installations", *(sa.column(c) for c in ("id", "tenant_id", "connector", "label", "status", "created_at",
                                               "updated_at")),
    *(sa.column(c, JSON) for c in ("settings", "overrides", "state")))
SUBSCRIPTIONS = sa.table(
    "webhook_subscriptions", *(sa.column(c) for c in (
        "id", "tenant_id", "url", "description", "enabled", "secret", "previous_secret", "consecutive_failures",
        "created_at", "updated_at")), sa.column("event_types", JSON))


def raw(engine: sa.Engine, table: str, row_id: str, *columns: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(text(f"SELECT {', '.join(columns)} FROM {table} WHERE id = :id"), {"id": row_id}).one()
    return dict(row._mapping)


def json_value(stored: Any) -> Any:
    """A JSON column's value as plain SQL returns it: parsed on PostgreSQL (JSONB), JSON text on SQLite."""
    return stored if not isinstance(stored, str) or is_token(stored) else json.loads(stored)


def other_runtime(*, run_migrations: bool = False, **overrides: Any) -> Runtime:
    """Another process's runtime (as after a redeploy): other keys, or another database."""
    return build_runtime(Config.from_env(**overrides), run_migrations=run_migrations)


@pytest.fixture
def stored(client, tenant, clean) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """An installation (a store's webhook secret, a generated secret in its state) and a subscription,
    both made through the API."""
    installed = client.post("/api/v1/installations", headers=tenant["headers"], json={
        "connector": "acme_orders", "settings": {"webhook_secret": STORE_SECRET, "default_country": "DE"}})
    assert installed.status_code == 201, installed.json
    with transaction(clean.sessions) as session:
        session.get(Installation, installed.json["id"]).state = GENERATED
    subscribed = client.post("/api/v1/subscriptions", headers=tenant["headers"],
                             json={"url": "http://127.0.0.1:9/hooks", "event_types": ["delivery.*"]})
    assert subscribed.status_code == 201
    notifications = client.put("/api/v1/settings/notifications", headers=tenant["headers"], json={
        "email": {"host": "smtp.example.com", "password": "smtp-password", "from_address": "hub@example.com"}})
    assert notifications.status_code == 200  # the SMTP password: in notify_secrets, encrypted
    return {"installation": installed.json["id"], "subscription": subscribed.json["id"],
            "secret": subscribed.json["secret"]}


def test_the_database_holds_no_secret_in_clear_and_the_orm_reads_them_back(stored, clean):
    settings_state = raw(clean.engine, "installations", stored["installation"], "settings", "state")
    secrets = raw(clean.engine, "webhook_subscriptions", stored["subscription"], "secret", "previous_secret")
    assert STORE_SECRET not in str(settings_state) and "generated-signing-secret" not in str(settings_state)
    # The whole document is one token, not only its secret keys.
    assert all(is_token(json_value(settings_state[c])) for c in ("settings", "state"))
    assert stored["secret"] not in str(secrets) and secrets["previous_secret"] is None
    assert is_token(secrets["secret"])

    with clean.sessions() as session:
        installation = session.get(Installation, stored["installation"])
        subscription = session.get(WebhookSubscription, stored["subscription"])
        assert installation.settings == {"webhook_secret": STORE_SECRET, "default_country": "DE"}
        assert installation.state == GENERATED
        assert subscription.secret == stored["secret"]


def test_a_rotated_key_reads_old_rows_and_writes_new_ones_with_the_current_key(stored, clean):
    env = {**os.environ, "HUB_SECRET_KEY": "rotated-secret", "HUB_SECRET_KEY_PREVIOUS": "older-secret, test-secret"}
    rotated = build_runtime(Config.from_env(env), run_migrations=False)  # HUB_SECRET_KEY_PREVIOUS as operators set it
    try:
        with transaction(rotated.sessions) as session:
            subscription = session.get(WebhookSubscription, stored["subscription"])
            assert subscription.secret == stored["secret"]
            subscription.previous_secret, subscription.secret = subscription.secret, new_secret()
            fresh = subscription.secret
            assert session.get(Installation, stored["installation"]).state == GENERATED

        with pytest.raises(SecretKeyError):  # written with the new key: the old one alone cannot read it
            with clean.sessions() as session:
                session.get(WebhookSubscription, stored["subscription"])
        with rotated.sessions() as session:
            subscription = session.get(WebhookSubscription, stored["subscription"])
            assert (subscription.secret, subscription.previous_secret) == (fresh, stored["secret"])
    finally:
        rotated.close()


def test_reencrypting_lets_the_old_key_go(stored, clean):
    """After a rotation, `hub secrets rotate` rewrites every secret under the new key: the old one is no
    longer needed, and a database with a secret nobody can open is left exactly as it was."""
    rotated = other_runtime(secret_key="rotated-secret", secret_key_previous="test-secret")
    new_only = other_runtime(secret_key="rotated-secret")
    try:
        assert reencrypt(rotated.engine, Keyring.from_config(rotated.config)) == {
            "installations": 1, "webhook_subscriptions": 1, "notify_secrets": 1}
        with new_only.sessions() as session:
            assert session.get(Installation, stored["installation"]).state == GENERATED
            assert session.get(WebhookSubscription, stored["subscription"]).secret == stored["secret"]
        before = raw(clean.engine, "webhook_subscriptions", stored["subscription"], "secret")
        with pytest.raises(SecretKeyError):  # the test key is gone from this keyring: nothing may change
            reencrypt(clean.engine, Keyring.from_config(clean.config))
        assert raw(clean.engine, "webhook_subscriptions", stored["subscription"], "secret") == before
    finally:
        rotated.close()
        new_only.close()


def test_the_rotate_command_reports_and_refuses_plainly(stored, clean):
    done = CliRunner().invoke(main, ["secrets", "rotate", "--json"])  # the test runtime's own key: a rewrite
    assert done.exit_code == 0, done.output
    assert json.loads(done.output) == {"installations": 1, "webhook_subscriptions": 1, "notify_secrets": 1}
    with clean.engine.begin() as conn:  # a secret written under a key this hub does not have
        conn.execute(text("UPDATE webhook_subscriptions SET secret = :token WHERE id = :id"),
                     {"token": Keyring("a-key-long-gone").encrypt(new_secret()), "id": stored["subscription"]})
    refused = CliRunner().invoke(main, ["secrets", "rotate"])
    assert refused.exit_code == 1 and "nothing was changed" in refused.output
    assert "HUB_SECRET_KEY_PREVIOUS" in refused.output


def test_a_wrong_key_is_refused_naming_what_to_set(stored):
    wrong = other_runtime(secret_key="not-the-key-it-was-written-with")
    try:
        for model, key in ((Installation, "installation"), (WebhookSubscription, "subscription")):
            with wrong.sessions() as session, pytest.raises(SecretKeyError, match="HUB_SECRET_KEY_PREVIOUS"):
                session.get(model, stored[key])
    finally:
        wrong.close()


def test_rows_written_in_clear_before_the_change_are_read_as_they_are(tenant, clean):
    now, secret = datetime.now(timezone.utc), new_secret()
    with clean.engine.begin() as conn:
        conn.execute(INSTALLATIONS.insert().values(**legacy_installation("ins_legacy", tenant["id"], now)))
        conn.execute(SUBSCRIPTIONS.insert().values(**legacy_subscription("sub_legacy", tenant["id"], secret, now)))
    with clean.sessions() as session:
        assert session.get(Installation, "ins_legacy").settings == {"webhook_secret": STORE_SECRET}
        assert session.get(WebhookSubscription, "sub_legacy").secret == secret


def test_encrypted_json_cannot_be_queried_in_sql():
    with pytest.raises(TypeError, match="encrypted at rest"):
        Installation.settings["webhook_secret"]  # noqa: B018


def test_the_migration_encrypts_rows_written_in_clear_and_its_downgrade_decrypts_them(empty_database):
    url = empty_database.replace("postgresql://", "postgresql+psycopg://", 1)
    command.upgrade(alembic_config(url), "0002_webhooks")  # the schema before secrets were encrypted
    engine, now, secret, previous = make_engine(url), datetime.now(timezone.utc), new_secret(), new_secret()
    with engine.begin() as conn:
        conn.execute(TENANTS.insert().values(id="ten_1", name="legacy", settings={}, created_at=now))
        conn.execute(INSTALLATIONS.insert().values(**legacy_installation("ins_1", "ten_1", now)))
        conn.execute(SUBSCRIPTIONS.insert().values(**legacy_subscription("sub_1", "ten_1", secret, now, previous)))
        conn.execute(text("INSERT INTO webhook_payloads (event_id, tenant_id, event_type, body, created_at) "
                          "VALUES ('evt_1', 'ten_1', 'delivery.created', '{}', :now)"), {"now": now})
        conn.execute(text("INSERT INTO webhook_deliveries (id, tenant_id, subscription_id, event_id, event_type, "
                          "sequence, state, attempts, created_at) VALUES ('msg_1', 'ten_1', 'sub_1', 'evt_1', "
                          "'delivery.created', 1, 'succeeded', 1, :now)"), {"now": now})

    migrated = other_runtime(database_url=empty_database, run_migrations=True)  # migrates with its own key
    try:
        sealed = {**raw(engine, "installations", "ins_1", "settings", "state"),
                  **raw(engine, "webhook_subscriptions", "sub_1", "secret", "previous_secret")}
        assert STORE_SECRET not in str(sealed) and secret not in str(sealed) and previous not in str(sealed)
        assert all(is_token(json_value(value)) for value in sealed.values())
        # SQLite rebuilds webhook_subscriptions to retype its columns: the history pointing at it stays.
        assert raw(engine, "webhook_deliveries", "msg_1", "subscription_id") == {"subscription_id": "sub_1"}
        with migrated.sessions() as session:
            installation = session.get(Installation, "ins_1")
            subscription = session.get(WebhookSubscription, "sub_1")
            assert (installation.settings, installation.state) == ({"webhook_secret": STORE_SECRET}, GENERATED)
            assert (subscription.secret, subscription.previous_secret) == (secret, previous)

        command.downgrade(alembic_config(url), "0006_secrets_at_rest-1")  # its key: HUB_SECRET_KEY, as the tests set
        opened = raw(engine, "webhook_subscriptions", "sub_1", "secret", "previous_secret")
        assert opened == {"secret": secret, "previous_secret": previous}
        opened_json = raw(engine, "installations", "ins_1", "settings", "state")
        assert {c: json_value(v) for c, v in opened_json.items()} == {"settings": {"webhook_secret": STORE_SECRET},
                                                                      "state": GENERATED}
    finally:
        migrated.close()
        engine.dispose()


def legacy_installation(row_id: str, tenant_id: str, now: datetime) -> dict[str, Any]:
    return {"id": row_id, "tenant_id": tenant_id, "connector": "acme_orders", "label": "legacy", "status": "active",
            "settings": {"webhook_secret": STORE_SECRET}, "overrides": {}, "state": GENERATED,
            "created_at": now, "updated_at": now}


def legacy_subscription(row_id: str, tenant_id: str, secret: str, now: datetime,
                        previous: str | None = None) -> dict[str, Any]:
    return {"id": row_id, "tenant_id": tenant_id, "url": "http://127.0.0.1:9/hooks", "event_types": ["delivery.*"],
            "description": "", "enabled": True, "secret": secret, "previous_secret": previous,
            "consecutive_failures": 0, "created_at": now, "updated_at": now}
