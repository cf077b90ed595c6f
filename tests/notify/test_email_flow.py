"""Email end to end: a real SMTP server (aiosmtpd on 127.0.0.1) receives what the hub sends; the test reads the
mail, follows its links over HTTP to the hub, and unsubscribes with one click."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import requests

from hub.db.models import DeliveryEvent
from hub.ledger.tracking_links import delivery_for_token
from tests.notify.standins import create_delivery, emailed_unsubscribe_path, messages, move, settings


def test_order_confirmed_email_arrives_with_the_tracking_link_and_one_click_unsubscribe(app, client, tenant, smtp,
                                                                                         run_jobs, hub_url):
    assert client.put("/api/v1/settings/notifications", headers=tenant["headers"],
                      json=settings(smtp.port)).status_code == 200
    delivery_id = create_delivery(client, tenant["headers"])
    run_jobs()

    [mail] = smtp.wait_for(1)
    assert mail["To"] == "priya.n@example.ca"
    assert mail["Subject"] == "Your order 318 is confirmed"
    assert "Queen West Flowers" in mail["From"]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    tracking = re.search(r"http://hub\.test/t/([A-Za-z0-9_-]+)", text)
    assert tracking, text
    assert f'href="{tracking.group(0)}"' in html
    with app.app_context():
        from hub.runtime import get_runtime

        with get_runtime().sessions() as session:
            assert delivery_for_token(session, tracking.group(1)).id == delivery_id  # the link opens this delivery
    # Over HTTP to the hub: the tracking page answers once hub/customer serves /t/<token> (built in parallel).
    page = requests.get(hub_url + urlsplit(tracking.group(0)).path, timeout=10)
    if any(rule.rule.startswith("/t/") for rule in app.url_map.iter_rules()):
        assert page.status_code == 200
    else:
        assert page.status_code == 404  # not in this branch yet: the link's host and token are checked above

    [message] = messages(client.application.config["HUB_RUNTIME"], delivery_id)
    assert (message.trigger, message.channel, message.state, message.provider) == ("order_confirmed", "email", "sent", "smtp")
    assert message.provider_message_id == mail["Message-ID"]
    with client.application.config["HUB_RUNTIME"].sessions() as session:
        sent = session.query(DeliveryEvent).filter_by(delivery_id=delivery_id, type="delivery.message_sent").one()
        assert sent.data["provider_message_id"] == mail["Message-ID"] and sent.data["trigger"] == "order_confirmed"

    # One click on the footer's link: opted out, and a page says so.
    unsubscribe = re.search(r"http://hub\.test(/notify/unsubscribe/\S+)", text).group(1)
    assert mail["List-Unsubscribe"] == f"<http://hub.test{unsubscribe}>"
    answer = requests.get(hub_url + unsubscribe, timeout=10)
    assert answer.status_code == 200 and "You are unsubscribed" in answer.text and "priya.n@example.ca" in answer.text
    move(client.application.config["HUB_RUNTIME"], delivery_id, "assigned", "dispatched", "in_transit")
    run_jobs()
    assert len(smtp.inbox) == 1  # no "out for delivery" email: the address opted out
    states = {m.trigger: m.state for m in messages(client.application.config["HUB_RUNTIME"], delivery_id)}
    assert states == {"order_confirmed": "sent", "out_for_delivery": "opted_out"}


def test_an_altered_unsubscribe_link_is_refused(client, tenant, smtp, run_jobs):
    link = emailed_unsubscribe_path(client, tenant, smtp, run_jobs)
    payload, signature = link.rsplit(".", 1)
    answer = client.get(payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:])
    assert answer.status_code == 404 and "not valid" in answer.get_data(as_text=True)
