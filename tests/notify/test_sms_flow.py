"""SMS end to end through the twilio library: Twilio's Messages API stood in by pytest-httpserver on 127.0.0.1
(reached through the hub's egress guard), its status callback and a STOP reply posted back to the hub with
Twilio's signature (RequestValidator), and a forged callback refused."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hub.db.models import DeliveryEvent
from tests.notify.standins import (
    ACCOUNT_SID, FROM_NUMBER, create_delivery, messages, move, new_eta, settings, twilio_signature,
)

PHONE = "+14165550142"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def _post_signed(client, path: str, form: dict[str, str], signature: str | None = None):  # type: ignore[no-untyped-def]
    url = "http://hub.test" + path  # HUB_PUBLIC_URL in tests: the address Twilio was given
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature or twilio_signature(url, form)})


def _on_the_road(client, tenant, runtime):  # type: ignore[no-untyped-def]
    delivery_id = create_delivery(client, tenant["headers"], email=None)
    move(runtime, delivery_id, "assigned", "dispatched", "in_transit")
    return delivery_id


def test_out_for_delivery_sms_goes_through_twilio_and_its_receipt_lands_on_the_message(client, tenant, twilio,
                                                                                       run_jobs, clean):
    assert client.put("/api/v1/settings/notifications", headers=tenant["headers"],
                      json=settings(twilio_url=twilio.url_for("/").rstrip("/"))).status_code == 200
    delivery_id = _on_the_road(client, tenant, clean)
    run_jobs()

    [form] = twilio.sent
    assert form["To"] == [PHONE] and form["From"] == [FROM_NUMBER]
    assert "Queen West Flowers: your order 318 is on its way" in form["Body"][0]
    assert form["StatusCallback"] == [f"http://hub.test/hooks/notify/{tenant['id']}/twilio/status"]
    [message] = [m for m in messages(clean, delivery_id) if m.channel == "sms"]
    assert (message.trigger, message.state, message.provider, message.provider_status) == (
        "out_for_delivery", "sent", "twilio", "queued")

    callback = {"MessageSid": message.provider_message_id, "MessageStatus": "delivered", "AccountSid": ACCOUNT_SID,
                "To": PHONE, "From": FROM_NUMBER, "ApiVersion": "2010-04-01"}
    path = f"/hooks/notify/{tenant['id']}/twilio/status"
    assert _post_signed(client, path, callback).status_code == 202
    assert _post_signed(client, path, callback).status_code == 202  # Twilio may repeat itself
    forged = _post_signed(client, path, {**callback, "MessageStatus": "failed"}, signature="bm90IGEgc2lnbmF0dXJl")
    assert forged.status_code == 401 and forged.json["error"]["code"] == "signature_invalid"
    run_jobs()

    [message] = [m for m in messages(clean, delivery_id) if m.channel == "sms"]
    assert (message.state, message.provider_status) == ("delivered", "delivered")
    assert message.receipt["status"] == "delivered" and message.receipt_at is not None
    with clean.sessions() as session:
        statuses = session.query(DeliveryEvent).filter_by(delivery_id=delivery_id, type="delivery.message_status").all()
    assert [(e.data["status"], e.data["provider_message_id"]) for e in statuses] == [("delivered", message.provider_message_id)]
    listed = client.get(f"/api/v1/deliveries/{delivery_id}/messages", headers=tenant["headers"]).json["items"]
    assert [(m["trigger"], m["state"]) for m in listed] == [("out_for_delivery", "delivered")]


def test_stop_opts_the_number_out_and_start_back_in(client, tenant, twilio, run_jobs, clean):
    client.put("/api/v1/settings/notifications", headers=tenant["headers"],
               json=settings(twilio_url=twilio.url_for("/").rstrip("/")))
    path = f"/hooks/notify/{tenant['id']}/twilio/inbound"
    reply = {"MessageSid": "SM" + "f" * 32, "AccountSid": ACCOUNT_SID, "From": PHONE, "To": FROM_NUMBER, "Body": " Stop "}
    assert _post_signed(client, path, {**reply, "Body": "STOP"}, signature="d3Jvbmc=").status_code == 401
    answer = _post_signed(client, path, reply)
    assert answer.status_code == 200 and answer.text == EMPTY_TWIML  # Twilio reads TwiML: no error 12300

    delivery_id = _on_the_road(client, tenant, clean)
    run_jobs()
    assert twilio.sent == []  # nothing reached Twilio
    assert {m.trigger: m.state for m in messages(clean, delivery_id)} == {"out_for_delivery": "opted_out"}

    assert _post_signed(client, path, {**reply, "Body": "START"}).text == EMPTY_TWIML
    new_eta(clean, delivery_id, datetime.now(timezone.utc) + timedelta(minutes=5))
    run_jobs()
    assert len(twilio.sent) == 1 and "arrives in about 15 min" in twilio.sent[0]["Body"][0]


def test_twilio_gets_an_empty_twiml_answer_to_every_incoming_message(client, tenant, twilio, clean):
    """Twilio logs error 12300 for an answer that is not TwiML (JSON included): every verified reply, a stop word,
    a start word or a plain "thanks", is answered with an empty <Response/> as text/xml, which sends nothing back."""
    client.put("/api/v1/settings/notifications", headers=tenant["headers"],
               json=settings(twilio_url=twilio.url_for("/").rstrip("/")))
    path = f"/hooks/notify/{tenant['id']}/twilio/inbound"
    reply = {"MessageSid": "SM" + "e" * 32, "AccountSid": ACCOUNT_SID, "From": PHONE, "To": FROM_NUMBER}
    for body in ("STOP", "START", "Thanks, see you tomorrow"):
        answer = _post_signed(client, path, {**reply, "Body": body})
        assert answer.status_code == 200, body
        assert answer.headers["Content-Type"].split(";")[0] == "text/xml"
        assert answer.text == EMPTY_TWIML
    assert _post_signed(client, path, {**reply, "Body": "STOP"}, signature="d3Jvbmc=").status_code == 401


def test_a_receipt_for_a_message_of_another_tenant_changes_nothing(client, tenant, twilio, run_jobs, clean):
    client.put("/api/v1/settings/notifications", headers=tenant["headers"],
               json=settings(twilio_url=twilio.url_for("/").rstrip("/")))
    assert _post_signed(client, "/hooks/notify/ten_unknown/twilio/status",
                        {"MessageSid": "SM1", "MessageStatus": "delivered"}).status_code == 404
    assert _post_signed(client, f"/hooks/notify/{tenant['id']}/other/status",
                        {"MessageSid": "SM1", "MessageStatus": "delivered"}).status_code == 404
