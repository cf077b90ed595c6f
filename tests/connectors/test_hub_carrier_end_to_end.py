"""End to end with two carrier stand-ins (real HTTP, pytest-httpserver, Standard Webhooks signatures made and
checked with the `standardwebhooks` library): one rejects, so the hub re-assigns; the other accepts and
reports picked_up -> delivered with proof of delivery. Every step is checked at the hub."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterator

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook
from werkzeug import Request, Response

from hub.canonical.validation import validate_document
from hub.db.models import DeliveryEvent
from hub.ledger.events import verify_chain
from hub.paths import REPO_ROOT
from tests.fleet.setup import delivery_input, post
from tests.fixtures import make_key
from tests.planning.setup import release_scheduled

SECRET_A = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SECRET_B = "whsec_c2VjcmV0LWZvci1jYXJyaWVyLWItMDEyMzQ1Njc4OQ"
# Reports carry the carrier's own times: yesterday's, so they are never ahead of the hub's clock.
DAY = (date.today() - timedelta(days=1)).isoformat()
POD = {"recipient_name": "P. Natarajan", "captured_at": f"{DAY}T15:12:40Z",
       "signature": {"id": "sig_b_1", "content_type": "image/png", "size_bytes": 5120, "sha256": "b" * 64},
       "photos": [{"id": "med_b_1", "content_type": "image/jpeg", "size_bytes": 48211,
                   "sha256": "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"}]}


class StandIn:
    """A carrier's receiving endpoint: checks the hub's signature, keeps the offers, answers as told."""

    def __init__(self, server: HTTPServer, secret: str, answer: dict[str, Any]) -> None:
        self.server, self.webhook, self.answer, self.offers = server, Webhook(secret), answer, []
        server.expect_request("/offers", method="POST").respond_with_handler(self.handle)

    def handle(self, request: Request) -> Response:
        message = self.webhook.verify(request.get_data(as_text=True), dict(request.headers))  # raises if forged
        self.offers.append({"headers": dict(request.headers), "message": message})
        return Response(json.dumps(self.answer), content_type="application/json")

    @property
    def url(self) -> str:
        return self.server.url_for("/offers")


@pytest.fixture
def servers() -> Iterator[tuple[HTTPServer, HTTPServer]]:
    pair = (HTTPServer(host="127.0.0.1", port=0), HTTPServer(host="127.0.0.1", port=0))
    for server in pair:
        server.start()
    yield pair
    for server in pair:
        server.clear()
        server.stop()


def signed(secret: str, report: dict[str, Any], message_id: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(report)
    now = datetime.now(timezone.utc)
    return body.encode(), {"content-type": "application/json", "webhook-id": message_id,
                           "webhook-timestamp": str(int(now.timestamp())),
                           "webhook-signature": Webhook(secret).sign(message_id, now, body)}


def install(client: Any, headers: dict[str, str], name: str, stand_in: StandIn, secret: str, base: str) -> dict[str, Any]:
    installation = post(client, headers, "/api/v1/installations", {
        "connector": "hub_carrier", "label": name, "register_webhooks": False,
        "settings": {"endpoint_url": stand_in.url, "secret": secret}})
    assert secret not in json.dumps(installation)  # secrets go in, never come out
    return post(client, headers, "/api/v1/carriers", {
        "name": name, "kind": "crowd", "installation_id": installation["id"], "coverage": {"postal_prefixes": ["M5V"]},
        "origin": {"lat": 43.645, "lng": -79.39}, "price_card": {"currency": "CAD", "base": base, "per_km": "0.50"},
        "acceptance_timeout_s": 20})


def test_one_rejects_the_other_accepts_and_reports_to_delivered(client, tenant, run_jobs, clean, servers):
    h = tenant["headers"]
    rejecting = StandIn(servers[0], SECRET_A, {"accepted": False, "reason": "no courier free"})
    accepting = StandIn(servers[1], SECRET_B, {"accepted": True, "reference": "B-7731"})
    carrier_a = install(client, h, "Alpha Couriers", rejecting, SECRET_A, base="4.00")  # cheaper: asked first
    carrier_b = install(client, h, "Bravo Express", accepting, SECRET_B, base="7.00")
    assert client.put("/api/v1/assignment-policy", json={"strategy": "cheapest"}, headers=h).status_code == 201

    delivery_id = post(client, h, "/api/v1/deliveries", delivery_input("ORD-E2E"))["id"]
    run_jobs()

    # Both carriers got exactly one signed offer for the same delivery, each with its own job id.
    assert len(rejecting.offers) == 1 and len(accepting.offers) == 1
    offer_a, offer_b = rejecting.offers[0]["message"], accepting.offers[0]["message"]
    assert offer_a["type"] == offer_b["type"] == "carrier.job.offered"
    job = offer_b["data"]
    assert validate_document("carrier_job.v1", job) == [] and job["delivery_id"] == delivery_id
    assert offer_a["data"]["job_id"] != job["job_id"] and accepting.offers[0]["headers"]["Webhook-Id"] == job["job_id"]
    assert job["callback"]["status_url"] == f"http://hub.test/api/v1/carrier/jobs/{job['job_id']}/status"

    doc = client.get(f"/api/v1/deliveries/{delivery_id}", headers=h).json
    assert doc["status"] == "dispatched"
    assignment = client.get(f"/api/v1/deliveries/{delivery_id}/assignment", headers=h).json
    assert assignment["carrier_id"] == carrier_b["id"] and assignment["state"] == "accepted"
    assert assignment["external_ref"] == "B-7731" and assignment["attempt"] == 2
    assert assignment["history"][0]["state"] == "rejected" and assignment["history"][0]["reason"] == "no courier free"
    excluded = {r["candidate_id"]: r for r in assignment["decision"]["candidates"]}[carrier_a["id"]]
    assert excluded["excluded_by"] == "availability" and "no courier free" in excluded["detail"]

    # The accepting carrier reports, signed with its secret, to the callback URL from the job.
    path = job["callback"]["status_url"].removeprefix("http://hub.test")
    reports = [
        ("msg-1", {"type": "delivery.status_changed", "occurred_at": f"{DAY}T14:02:00Z",
                   "data": {"status": "picked_up"}}),
        ("msg-2", {"type": "delivery.pod_captured", "data": POD}),
        ("msg-3", {"type": "delivery.status_changed", "occurred_at": f"{DAY}T15:12:00Z",
                   "data": {"status": "delivered", "reason": "handed to recipient"}}),
    ]
    for message_id, report in reports:
        body, headers = signed(SECRET_B, report, message_id)
        response = client.post(path, data=body, headers=headers)
        assert response.status_code == 200, response.json
    forged_body, forged_headers = signed(SECRET_A, reports[0][1], "msg-x")  # the other carrier's secret
    assert client.post(path, data=forged_body, headers=forged_headers).status_code == 401
    run_jobs()

    doc = client.get(f"/api/v1/deliveries/{delivery_id}", headers=h).json
    assert doc["status"] == "delivered"
    events = client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=h).json["items"]
    assert [(e["type"], e["data"].get("status") or e["data"].get("carrier_id")) for e in events] == [
        ("delivery.created", None),
        ("delivery.status_changed", "assigned"),
        ("delivery.assigned", carrier_a["id"]),
        ("delivery.carrier_rejected", carrier_a["id"]),
        ("delivery.assigned", carrier_b["id"]),
        ("delivery.status_changed", "dispatched"),
        ("delivery.dispatched", carrier_b["id"]),
        ("delivery.status_changed", "picked_up"),
        ("delivery.handoff", None),
        ("delivery.pod_captured", None),
        ("delivery.status_changed", "delivered"),
        ("delivery.handoff", None),
    ]
    pod = events[-3]
    assert pod["actor"] == {"kind": "carrier", "id": carrier_b["id"]} and pod["data"] == POD
    assert events[-2]["occurred_at"] == f"{DAY}T15:12:00.000000Z"
    carrier = {"kind": "carrier", "id": carrier_b["id"]}
    assert [e["data"] for e in events if e["type"] == "delivery.handoff"] == [
        {"from": {"kind": "warehouse", "id": "queen-west"}, "to": carrier}, {"from": carrier, "to": {"kind": "recipient"}}]
    for event in events:  # the canonical types validate against the envelope with their data schemas
        if event["type"] in ("delivery.status_changed", "delivery.pod_captured", "delivery.assigned"):
            envelope = {k: v for k, v in event.items() if k not in ("hash", "prev_hash")}
            assert validate_document("events/envelope.v1", envelope) == [], event
    with clean.sessions() as session:
        stored = session.execute(select(DeliveryEvent).where(DeliveryEvent.delivery_id == delivery_id)).scalars().all()
        assert verify_chain(stored).ok


def test_a_carrier_sees_and_reports_only_its_own_jobs(client, tenant, run_jobs, clean, servers):
    h = tenant["headers"]
    carrier_a = install(client, h, "Alpha", StandIn(servers[0], SECRET_A, {"accepted": True, "reference": "A-1"}),
                        SECRET_A, base="4.00")
    carrier_b = install(client, h, "Bravo", StandIn(servers[1], SECRET_B, {"accepted": True, "reference": "B-1"}),
                        SECRET_B, base="9.00")
    client.put("/api/v1/assignment-policy", json={"strategy": "cheapest"}, headers=h)
    delivery_id = post(client, h, "/api/v1/deliveries", delivery_input("ORD-OWN"))["id"]
    run_jobs()
    key_a = make_key(clean, tenant["id"], "carrier", subject_id=carrier_a["id"])
    key_b = make_key(clean, tenant["id"], "carrier", subject_id=carrier_b["id"])
    jobs_a = client.get("/api/v1/carrier/jobs", headers=key_a).json["items"]
    assert [j["delivery_id"] for j in jobs_a] == [delivery_id] and jobs_a[0]["reference"] == "A-1"
    assert client.get("/api/v1/carrier/jobs", headers=key_b).json["items"] == []
    path = f"/api/v1/carrier/jobs/{jobs_a[0]['job_id']}/status"
    report = {"type": "delivery.status_changed", "data": {"status": "in_transit"}}
    assert client.post(path, json=report, headers=key_b).status_code == 404  # not B's job: invisible
    assert client.post(path, json=report, headers=h).status_code == 403  # an admin key is not a carrier
    bad = client.post(path, json={"type": "delivery.status_changed", "data": {"status": "teleported"}}, headers=key_a)
    assert bad.status_code == 422 and bad.json["error"]["details"][0]["path"] == "$.data.status"
    applied = client.post(path, json=report, headers=key_a)
    assert applied.status_code == 200 and applied.json["status"] == "in_transit"
    assert client.get(f"/api/v1/deliveries/{delivery_id}", headers=h).json["status"] == "in_transit"
    back = client.post(path, json={"type": "delivery.status_changed", "data": {"status": "picked_up"}}, headers=key_a)
    assert back.status_code == 409 and "'in_transit' cannot become 'picked_up'" in back.json["error"]["message"]


def test_cancelling_the_delivery_withdraws_the_job_at_the_carrier(client, tenant, run_jobs, servers):
    h = tenant["headers"]
    stand_in = StandIn(servers[0], SECRET_A, {"accepted": True, "reference": "A-9"})
    carrier_a = install(client, h, "Alpha", stand_in, SECRET_A, base="4.00")
    delivery_id = post(client, h, "/api/v1/deliveries", delivery_input("ORD-CXL"))["id"]
    run_jobs()
    assert client.get(f"/api/v1/deliveries/{delivery_id}", headers=h).json["status"] == "dispatched"
    cancelled = client.post(f"/api/v1/deliveries/{delivery_id}/cancel", json={"reason": "customer changed mind"},
                            headers=h)
    assert cancelled.status_code == 200
    run_jobs()
    kinds = [offer["message"]["type"] for offer in stand_in.offers]
    assert kinds == ["carrier.job.offered", "carrier.job.cancelled"]
    assert stand_in.offers[1]["message"]["data"] == {"reference": "A-9", "reason": "customer changed mind"}
    events = client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=h).json["items"]
    assert events[-1]["type"] == "delivery.carrier_cancelled" and events[-1]["data"]["carrier_id"] == carrier_a["id"]


def test_signed_webhooks_a_delivered_before_its_proof_waits_for_the_proof(client, tenant, run_jobs, clean, servers):
    """Through /hooks nobody waits for an answer: a report that does not fit is recorded, not lost."""
    h = tenant["headers"]
    carrier = install(client, h, "Alpha", StandIn(servers[0], SECRET_A, {"accepted": True, "reference": "A-5"}),
                      SECRET_A, base="4.00")  # the delivery requires a signature and a photo
    delivery_id = post(client, h, "/api/v1/deliveries", delivery_input("ORD-HOOK"))["id"]
    run_jobs()
    job_id = client.get(f"/api/v1/deliveries/{delivery_id}/assignment", headers=h).json["job_id"]
    hooks = f"/hooks/{carrier['installation_id']}"

    def send(message_id: str, report: dict[str, Any]) -> None:
        body, headers = signed(SECRET_A, {**report, "job_id": job_id}, message_id)
        assert client.post(hooks, data=body, headers=headers).status_code == 200
        run_jobs()

    send("m-1", {"type": "delivery.status_changed", "occurred_at": f"{DAY}T15:12:00Z", "data": {"status": "delivered"}})
    assert client.get(f"/api/v1/deliveries/{delivery_id}", headers=h).json["status"] == "dispatched"
    events = client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=h).json["items"]
    ignored, exception = events[-2:]
    assert ignored["type"] == "delivery.carrier_report_ignored" and ignored["data"]["code"] == "pod_incomplete"
    assert exception["type"] == "delivery.exception" and exception["data"]["code"] == "pod_incomplete"
    assert validate_document("events/exception.v1", exception["data"]) == []

    send("m-2", {"type": "delivery.pod_captured", "data": POD})  # the proof arrives: the delivered applies now
    doc = client.get(f"/api/v1/deliveries/{delivery_id}", headers=h).json
    assert doc["status"] == "delivered"
    last = client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=h).json["items"][-2]
    assert (last["type"], last["data"]["status"], last["occurred_at"]) == (
        "delivery.status_changed", "delivered", f"{DAY}T15:12:00.000000Z")

    send("m-3", {"type": "delivery.status_changed", "data": {"status": "picked_up"}})  # after delivered: no move
    assert client.get(f"/api/v1/deliveries/{delivery_id}", headers=h).json["status"] == "delivered"
    assert client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=h).json["items"][-1]["data"]["code"] \
        == "invalid_transition"


def test_a_proof_given_as_image_links_is_downloaded_and_a_missing_image_raised(client, tenant, run_jobs, clean,
                                                                              servers):
    """media_urls: the hub downloads the images (the carrier's image host is the second stand-in), keeps them
    with their SHA-256, and applies the waiting delivered only when the proof is complete."""
    h, images = tenant["headers"], servers[1]
    signature_png = (REPO_ROOT / "tests" / "execution" / "fixtures" / "signature.png").read_bytes()
    door_png = (REPO_ROOT / "tests" / "execution" / "fixtures" / "door.png").read_bytes()
    images.expect_request("/sig.png").respond_with_data(signature_png, content_type="image/png")
    images.expect_request("/gone.jpg").respond_with_data("not found", status=404)
    images.expect_request("/door.png").respond_with_data(door_png, content_type="image/png")
    carrier = install(client, h, "Alpha", StandIn(servers[0], SECRET_A, {"accepted": True, "reference": "A-6"}),
                      SECRET_A, base="4.00")
    delivery_id = post(client, h, "/api/v1/deliveries", delivery_input("ORD-LINKS"))["id"]  # signature + photo
    run_jobs()
    job_id = client.get(f"/api/v1/deliveries/{delivery_id}/assignment", headers=h).json["job_id"]
    hooks = f"/hooks/{carrier['installation_id']}"
    proof = {"type": "delivery.pod_captured", "job_id": job_id, "data": {"captured_at": f"{DAY}T15:12:40Z"},
             "media_urls": {"signature": images.url_for("/sig.png"), "photos": [images.url_for("/gone.jpg")]}}
    delivered = {"type": "delivery.status_changed", "job_id": job_id, "occurred_at": f"{DAY}T15:12:44Z",
                 "data": {"status": "delivered"}}
    for message_id, report in (("m-1", proof), ("m-2", delivered)):
        body, headers = signed(SECRET_A, report, message_id)
        assert client.post(hooks, data=body, headers=headers).status_code == 200
    run_jobs()  # both reports are applied, then the images are fetched: the photo link is dead

    def events() -> list[dict[str, Any]]:
        return client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=h).json["items"]

    assert client.get(f"/api/v1/deliveries/{delivery_id}", headers=h).json["status"] == "dispatched"
    pod = next(e for e in events() if e["type"] == "delivery.pod_captured")["data"]
    assert pod["signature"]["sha256"] == hashlib.sha256(signature_png).hexdigest() and "photos" not in pod
    assert "not fetched: photo" in pod["notes"] and "answered 404" in pod["notes"]
    exception = events()[-1]
    assert exception["type"] == "delivery.exception" and exception["data"]["code"] == "pod_incomplete"
    assert "photos" in exception["data"]["message"] and validate_document("events/exception.v1", exception["data"]) == []

    # The carrier sends the photo again from a link that works: the proof is complete, the delivered applies.
    again = {**proof, "media_urls": {"photos": [images.url_for("/door.png")]}}
    body, headers = signed(SECRET_A, again, "m-3")
    assert client.post(hooks, data=body, headers=headers).status_code == 200
    run_jobs()
    assert client.get(f"/api/v1/deliveries/{delivery_id}", headers=h).json["status"] == "delivered"
    custody = client.get(f"/api/v1/deliveries/{delivery_id}/custody", headers=h).json
    assert custody["ok"] is True and len(custody["media"]) == 2


def test_proof_links_are_validated(client, tenant, run_jobs, clean, servers):
    carrier = install(client, tenant["headers"], "Alpha",
                      StandIn(servers[0], SECRET_A, {"accepted": True, "reference": "A-7"}), SECRET_A, base="4.00")
    delivery_id = post(client, tenant["headers"], "/api/v1/deliveries", delivery_input("ORD-BADLINK"))["id"]
    run_jobs()
    job_id = client.get(f"/api/v1/deliveries/{delivery_id}/assignment", headers=tenant["headers"]).json["job_id"]
    path = f"/api/v1/carrier/jobs/{job_id}/status"
    key = make_key(clean, tenant["id"], "carrier", subject_id=carrier["id"])
    bad = client.post(path, headers=key, json={"type": "delivery.pod_captured", "data": {"captured_at": f"{DAY}T15:00:00Z"},
                                               "media_urls": {"signature": "ftp://x/sig.png", "photos": "nope"}})
    assert bad.status_code == 422 and bad.json["error"]["details"][0]["path"] == "$.media_urls.photos"
    on_status = client.post(path, headers=key, json={"type": "delivery.status_changed", "data": {"status": "in_transit"},
                                                     "media_urls": {}})
    assert on_status.status_code == 422 and on_status.json["error"]["details"][0]["path"] == "$.media_urls"


def test_an_image_host_that_fails_for_a_while_is_tried_again(client, tenant, run_jobs, clean, servers):
    h, images = tenant["headers"], servers[1]
    png = (REPO_ROOT / "tests" / "execution" / "fixtures" / "signature.png").read_bytes()
    images.expect_oneshot_request("/sig.png").respond_with_data("busy", status=503)
    images.expect_request("/sig.png").respond_with_data(png, content_type="image/png")
    carrier = install(client, h, "Alpha", StandIn(servers[0], SECRET_A, {"accepted": True, "reference": "A-8"}),
                      SECRET_A, base="4.00")
    delivery_id = post(client, h, "/api/v1/deliveries", delivery_input("ORD-RETRY", requirements={}))["id"]
    run_jobs()
    job_id = client.get(f"/api/v1/deliveries/{delivery_id}/assignment", headers=h).json["job_id"]
    proof = {"type": "delivery.pod_captured", "job_id": job_id, "data": {"captured_at": f"{DAY}T15:12:40Z"},
             "media_urls": {"signature": images.url_for("/sig.png")}}
    body, headers = signed(SECRET_A, proof, "m-1")
    assert client.post(f"/hooks/{carrier['installation_id']}", data=body, headers=headers).status_code == 200
    run_jobs()  # 503: the download job fails and RQ schedules it again (external policy)

    def pods() -> list[dict[str, Any]]:
        items = client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=h).json["items"]
        return [e["data"] for e in items if e["type"] == "delivery.pod_captured"]

    assert pods() == []
    assert release_scheduled(clean)  # RQ's scheduler, without waiting for the backoff
    run_jobs()
    [pod] = pods()
    assert pod["signature"]["sha256"] == hashlib.sha256(png).hexdigest()
