"""Templates in four languages, a tenant's override, the settings validated when saved (secrets never shown
back), and `hub notify preview`."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from hub.cli import main
from hub.notify.templates import LANGUAGES, render, sample_context
from hub.notify.triggers import TRIGGERS
from hub.plugins.settings import REDACTED
from tests.notify.standins import create_delivery, messages, settings

# One word each language's messages must use, so a missing or mixed-up translation shows.
GREETING = {"en": "Hello", "de": "Hallo", "fr": "Bonjour", "es": "Hola"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_trigger_renders_in_every_language_on_both_channels(language):
    context = sample_context()
    for trigger in TRIGGERS:
        email = render(trigger, language, "email", context)
        assert email.subject and "\n" not in email.subject
        assert email.text.startswith(GREETING[language]) and context["unsubscribe_url"] in email.text
        assert f'<html lang="{language}">' in email.html and GREETING[language] in email.html
        link = context["reschedule_url"] if trigger == "failed_attempt" else context["tracking_url"]
        assert link in email.text and f'href="{link}"' in email.html
        sms = render(trigger, language, "sms", context)
        assert sms.subject is None and link in sms.text and len(sms.text) <= 320  # two SMS segments at most


@pytest.mark.parametrize("country,language,subject", [
    ("DE", "de", "Ihre Bestellung 318 ist bestätigt"), ("FR", "fr", "Votre commande 318 est confirmée"),
    ("ES", "es", "Su pedido 318 está confirmado"), ("CA", "en", "Your order 318 is confirmed")])
def test_the_customers_country_picks_the_language(client, tenant, smtp, run_jobs, clean, country, language, subject):
    client.put("/api/v1/settings/notifications", headers=tenant["headers"], json=settings(smtp.port))
    delivery_id = create_delivery(client, tenant["headers"], country=country)
    run_jobs()
    assert smtp.wait_for(1)[0]["Subject"] == subject
    assert messages(clean, delivery_id)[0].language == language


def test_a_tenant_overrides_one_part_and_a_broken_template_is_refused_when_saved(client, tenant, smtp, run_jobs):
    override = {"order_confirmed": {"en": {"subject": "Thanks for order {{ reference }}, {{ customer_name }}!"}}}
    bad = client.put("/api/v1/settings/notifications", headers=tenant["headers"],
                     json=settings(smtp.port, templates={"order_confirmed": {"en": {"sms": "{{ referense }}"}}}))
    assert bad.status_code == 422
    assert any(d["path"] == "$.templates.order_confirmed.en.sms" and "referense" in d["message"]
               for d in bad.json["error"]["details"]), bad.json
    assert client.put("/api/v1/settings/notifications", headers=tenant["headers"],
                      json=settings(smtp.port, templates=override)).status_code == 200
    create_delivery(client, tenant["headers"])
    run_jobs()
    mail = smtp.wait_for(1)[0]
    assert mail["Subject"] == "Thanks for order 318, Priya Natarajan!"
    assert mail.get_body(preferencelist=("plain",)).get_content().startswith("Hello Priya Natarajan")  # the rest stays


def test_settings_have_defaults_and_secrets_are_kept_encrypted_and_never_shown(client, tenant, clean):
    defaults = client.get("/api/v1/settings/notifications", headers=tenant["headers"]).json
    assert defaults["quiet_hours"] == {"start": "21:00", "end": "08:00", "bypass": ["delivered", "failed_attempt"]}
    assert defaults["triggers"]["arriving_soon"] == {"channels": ["sms"], "minutes": 15, "stops": 3}
    assert defaults["email"] is None and defaults["sms"] is None
    doc = settings(2525, twilio_url="http://127.0.0.1:9")
    doc["email"]["username"], doc["email"]["password"] = "mailer", "smtp-secret"
    shown = client.put("/api/v1/settings/notifications", headers=tenant["headers"], json=doc).json
    assert shown["email"]["password"] == REDACTED and shown["sms"]["settings"]["auth_token"] == REDACTED
    again = client.put("/api/v1/settings/notifications", headers=tenant["headers"], json=shown)  # sent back as shown
    assert again.status_code == 200
    with clean.engine.connect() as conn:
        tenants = conn.exec_driver_sql("SELECT settings FROM tenants").scalar_one()
        stored = conn.exec_driver_sql("SELECT secrets FROM notify_secrets").scalar_one()
    assert "smtp-secret" not in str(tenants) and "twilio-auth-token" not in str(tenants)
    assert "smtp-secret" not in str(stored) and str(stored).strip('"').startswith("gAAAAA")  # a Fernet token
    from hub.notify.settings import load_settings_for

    with clean.sessions() as session:
        effective = load_settings_for(session, tenant["id"])
    assert effective["email"]["password"] == "smtp-secret"
    assert effective["sms"]["settings"]["auth_token"] == "twilio-auth-token-for-tests"


@pytest.mark.parametrize("patch,path", [
    ({"quiet_hours": {"start": "25:00", "end": "08:00"}}, "$.quiet_hours.start"),
    ({"timezone": "Mars/Olympus"}, "$.timezone"),
    ({"triggers": {"arriving_soon": {"channels": ["pigeon"]}}}, "$.triggers.arriving_soon.channels[0]"),
    ({"triggers": {"teleported": {"channels": ["sms"]}}}, "$.triggers.teleported"),
    ({"sms": {"provider": "carrier_pigeon", "settings": {}}}, "$.sms.provider"),
    ({"sms": {"provider": "twilio", "settings": {"account_sid": "nope"}}}, "$.sms.settings.account_sid"),
])
def test_bad_settings_are_refused_naming_the_field(client, tenant, patch, path):
    answer = client.put("/api/v1/settings/notifications", headers=tenant["headers"], json=patch)
    assert answer.status_code == 422
    assert path in [d["path"] for d in answer.json["error"]["details"]], answer.json


def test_preview_renders_a_message_for_a_delivery(client, tenant, clean):
    delivery_id = create_delivery(client, tenant["headers"], country="DE")
    email = CliRunner().invoke(main, ["notify", "preview", "failed_attempt", "--delivery", delivery_id])
    assert email.exit_code == 0, email.output
    assert email.output.startswith("Subject: Wir haben Sie nicht angetroffen: Bestellung 318")
    assert "/next" in email.output
    sms = CliRunner().invoke(main, ["notify", "preview", "delivered", "--delivery", delivery_id, "--channel", "sms",
                                    "--language", "fr"])
    assert sms.exit_code == 0 and "commande 318 livrée" in sms.output
    html = CliRunner().invoke(main, ["notify", "preview", "delivered", "--delivery", delivery_id, "--html"])
    assert html.output.startswith("<!doctype html>")
    missing = CliRunner().invoke(main, ["notify", "preview", "delivered", "--delivery", "dlv_nope"])
    assert missing.exit_code != 0 and "no delivery" in missing.output
