"""The customer's tracking page over HTTP, as a phone without JavaScript sees it: what it shows at each stage of a
real route worked through the driver API, what it never shows, its headers, its expiry and its rating form."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import requests
from sqlalchemy import select, update

from hub.canonical.validation import validate_document
from hub.customer.rating import form_nonce
from hub.db.engine import transaction
from hub.db.models import DeliveryEvent, utcnow
from tests.customer.scene import arrive, complete, fail, ping, plan_day, set_page_settings, start_route
from tests.tracking.setup import STOPS

NEAR_ALEX = (52.5230, 13.4080)


def page(client: Any, path: str, lang: str = "en") -> tuple[int, str, Any]:
    answer = client.get(f"{path}?lang={lang}")
    return answer.status_code, answer.get_data(as_text=True), answer.headers


def text_of(html: str) -> str:
    """What a person reads: the page without its tags, script or map markup."""
    body = re.sub(r"<(script|svg|title)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def nonce_of(html: str) -> str:
    return re.search(r'name="nonce" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def test_on_the_way_the_page_shows_status_eta_stops_driver_and_map(client, tenant, clean, run_jobs) -> None:
    scene = plan_day(client, tenant, clean, run_jobs)
    status, html, headers = page(client, scene.path())
    assert status == 200
    assert "Delivery scheduled" in text_of(html) and "Estimated arrival" in text_of(html)
    assert headers["Referrer-Policy"] == "no-referrer" and headers["Cache-Control"] == "no-store"
    assert headers["X-Robots-Tag"].startswith("noindex")
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert '<meta http-equiv="refresh"' in html.split("<noscript>")[1]  # reloads itself without JavaScript

    start_route(client, scene, run_jobs)
    ping(client, scene, NEAR_ALEX, run_jobs)
    status, html, _ = page(client, scene.path())
    words = text_of(html)
    assert "On the way" in words and "2 stops before you" in words
    assert "Jonas" in words and "Albrecht" not in words and "Van 1" in words  # first name only
    assert 'class="map-driver"' in html and 'class="map-destination"' in html
    # Other customers' stops: no marker, no address, no name; the driver's phone number is never there.
    assert html.count("map-destination") == 1
    for other in ("alex", "hackescher"):
        assert STOPS[other][2] not in html
    assert "Lena Vogel" not in html and "+4930" not in html

    arrive(client, scene, "alex", run_jobs)
    complete(client, scene, "alex", run_jobs)
    words = text_of(page(client, scene.path())[1])
    assert "1 stop before you" in words


def test_the_position_is_hidden_while_the_driver_is_more_than_n_stops_away(client, tenant, clean, run_jobs) -> None:
    scene = plan_day(client, tenant, clean, run_jobs)
    set_page_settings(clean, tenant["id"], position_within_stops=1)
    start_route(client, scene, run_jobs)
    ping(client, scene, NEAR_ALEX, run_jobs)
    html = page(client, scene.path())[1]
    assert "2 stops before you" in text_of(html)
    assert "map-driver" not in html and "map-line" not in html and "map-destination" in html
    assert "when you are one of the next 1 stops" in text_of(html)
    events = client.get(f"{scene.path()}/events?lang=en")
    first = b"".join(next(events.response) for _ in range(2)).decode()
    events.close()
    assert "map-driver" not in first and "2 stops before you" in first  # the live stream holds the same rule

    arrive(client, scene, "alex", run_jobs)
    complete(client, scene, "alex", run_jobs)
    html = page(client, scene.path())[1]
    assert "1 stop before you" in text_of(html) and "map-driver" in html


def test_delivered_shows_the_proof_and_takes_one_rating(client, tenant, clean, run_jobs) -> None:
    scene = plan_day(client, tenant, clean, run_jobs)
    start_route(client, scene, run_jobs)
    for name in ("alex", "hackescher", "tor"):
        arrive(client, scene, name, run_jobs)
        complete(client, scene, name, run_jobs)
    status, html, _ = page(client, scene.path())
    words = text_of(html)
    assert status == 200 and "Delivered" in words and "Proof of delivery" in words and "Received by Lena Vogel" in words
    photo = re.search(r'class="thumb" src="([^"]+)"', html).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    assert photo.startswith("/media/") and client.get(photo).status_code == 200
    assert str(STOPS["tor"][0]) not in html  # the proof's GPS position is never shown

    refused = client.post(f"{scene.path()}/rating?lang=en", data={"rating": "5", "nonce": "1.forged"})
    assert refused.status_code == 400 and "The form expired" in refused.get_data(as_text=True)
    nonce = nonce_of(html)
    bad = client.post(f"{scene.path()}/rating?lang=en", data={"rating": "9", "nonce": nonce})
    assert bad.status_code == 422 and "choose a rating from 1 to 5" in bad.get_data(as_text=True)
    sent = client.post(f"{scene.path()}/rating?lang=en", data={"rating": "4", "comment": "Friendly,\n quick.",
                                                               "nonce": nonce})
    assert sent.status_code == 303 and sent.headers["Location"].endswith("#rating")
    again = client.post(f"{scene.path()}/rating?lang=en", data={"rating": "1", "nonce": nonce})
    assert again.status_code == 303
    with clean.sessions() as session:
        rated = session.execute(select(DeliveryEvent).where(DeliveryEvent.delivery_id == scene.ids["tor"],
                                                            DeliveryEvent.type == "delivery.rated")).scalars().all()
    assert [(e.data, e.actor) for e in rated] == [({"rating": 4, "comment": "Friendly, quick."}, {"kind": "customer"})]
    assert validate_document("events/rated.v1", rated[0].data) == []
    words = text_of(page(client, scene.path())[1])
    assert "You rated this delivery 4 of 5." in words and "Send rating" not in words


def test_a_rating_before_delivery_is_refused(client, tenant, clean, run_jobs) -> None:
    scene = plan_day(client, tenant, clean, run_jobs)
    html = page(client, scene.path())[1]
    assert "Send rating" not in html
    answer = client.post(f"{scene.path()}/rating?lang=en", data={"rating": "5", "nonce": form_nonce("test-secret", scene.tokens["tor"])})
    assert answer.status_code == 422 and "once the parcel is delivered" in answer.get_data(as_text=True)


def test_a_failed_attempt_says_what_happened_and_links_to_next_steps(client, tenant, clean, run_jobs) -> None:
    scene = plan_day(client, tenant, clean, run_jobs)
    start_route(client, scene, run_jobs)
    fail(client, scene, "tor", run_jobs, "customer_unavailable")
    html = page(client, scene.path())[1]
    words = text_of(html)
    assert "We could not deliver your parcel" in words and "Nobody was there to take the delivery." in words
    assert f'href="/t/{scene.tokens["tor"]}/next?lang=en"' in html and "Choose what happens next" in words


def test_an_expired_or_unknown_link_shows_nothing(client, tenant, clean, run_jobs) -> None:
    scene = plan_day(client, tenant, clean, run_jobs)
    start_route(client, scene, run_jobs)
    arrive(client, scene, "tor", run_jobs)
    complete(client, scene, "tor", run_jobs)
    assert page(client, scene.path())[0] == 200
    with transaction(clean.sessions) as session:  # delivered eight days ago: past the default 7 days
        session.execute(update(DeliveryEvent).where(DeliveryEvent.delivery_id == scene.ids["tor"])
                        .values(occurred_at=utcnow() - timedelta(days=8)))
    status, html, headers = page(client, scene.path())
    assert status == 410 and headers["Cache-Control"] == "no-store"
    assert text_of(html) == "This tracking link has expired For your privacy, " \
                            "tracking links stop working a while after the delivery ends."
    assert tenant["name"] not in html and "Lena" not in html and "/media/" not in html
    assert client.get(f"{scene.path()}/events").status_code == 410
    set_page_settings(clean, tenant["id"], link_days_after_end=30)
    assert page(client, scene.path())[0] == 200  # the tenant keeps links longer

    status, html, _ = page(client, "/t/" + "x" * 43)
    assert status == 404 and "Tracking link not found" in html and tenant["name"] not in html


def test_branding_and_language(client, tenant, clean, run_jobs) -> None:
    scene = plan_day(client, tenant, clean, run_jobs)
    set_page_settings(clean, tenant["id"], brand_name="Blumen Berlin", colour="#ffd400",
                      support_contact="hilfe@blumen.example", logo_url="https://cdn.blumen.example/logo.png")
    answer = client.get(scene.path(), headers={"Accept-Language": "en-US"})
    html = answer.get_data(as_text=True)
    assert '<html lang="de">' in html and "Lieferung eingeplant" in html  # a German address: German first
    assert "Blumen Berlin" in html and "hilfe@blumen.example" in html
    assert "img-src 'self' https://cdn.blumen.example;" in answer.headers["Content-Security-Policy"]
    css = re.search(r'href="(/t/assets/brand/[^"]+)"', html).group(1)  # type: ignore[union-attr]
    assert client.get(css).get_data(as_text=True) == ":root{--brand:#ffd400;--brand-text:#111111}\n"
    for lang, words in (("fr", "Livraison planifiée"), ("es", "Entrega programada"), ("en", "Delivery scheduled")):
        assert words in page(client, scene.path(), lang)[1]


def test_without_javascript_a_plain_get_shows_the_status(hub_url, client, tenant, clean, run_jobs) -> None:
    scene = plan_day(client, tenant, clean, run_jobs)
    start_route(client, scene, run_jobs)
    answer = requests.get(f"{hub_url}{scene.path()}", headers={"Accept-Language": "de"}, timeout=10)
    assert answer.status_code == 200 and "Unterwegs" in answer.text and "2 Halte vor Ihnen" in answer.text
    assert re.search(r'<noscript><meta http-equiv="refresh" content="\d+"></noscript>', answer.text)
    for asset in ("/t/assets/tracking.css", "/t/assets/tracking.js"):
        assert requests.get(f"{hub_url}{asset}", timeout=10).status_code == 200
