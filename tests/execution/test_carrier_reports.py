"""Carriers report status and proof of delivery on deliveries dispatched to them (their accepted assignment),
through /api/v1/carrier/deliveries/<id>/events and /pod; anyone else's delivery is 404."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select

from hub.canonical.ids import new_job_id, sortable_id
from hub.db.engine import transaction
from hub.db.models.fleet import Assignment
from hub.ledger.events import iso
from tests.execution.setup import image, pod_form, post_delivery, set_status
from tests.fixtures import make_key


def make_carrier(client, tenant, name: str) -> str:
    response = client.post("/api/v1/carriers", headers=tenant["headers"], json={
        "name": name, "kind": "3pl", "coverage": {"postal_prefixes": ["M"]}})
    assert response.status_code == 201, response.json
    return response.json["id"]


def dispatch_to(clean, tenant_id: str, delivery_id: str, carrier_id: str, state: str = "accepted") -> None:
    """What the assignment and dispatch jobs leave behind once a carrier accepted the job."""
    with transaction(clean.sessions) as session:
        earlier = session.scalar(select(func.max(Assignment.attempt)).where(Assignment.delivery_id == delivery_id))
        session.add(Assignment(id=sortable_id("asg_"), tenant_id=tenant_id, delivery_id=delivery_id,
                               attempt=(earlier or 0) + 1,
                               day=date.today(), candidate_id=carrier_id, capacity="carrier", carrier_id=carrier_id,
                               state=state, job_id=new_job_id(), decision={}, reason="test"))
    set_status(clean, delivery_id, "dispatched")


def status(body_status: str, **data) -> dict:
    return {"type": "delivery.status_changed", "data": {"status": body_status, **data}}


def test_carrier_reports_and_completes_with_pod(client, tenant, run_jobs, clean):
    delivery = post_delivery(client, tenant, run_jobs, "ORD-1")  # requires signature and photo
    carrier = make_carrier(client, tenant, "Swift")
    dispatch_to(clean, tenant["id"], delivery, carrier)
    headers = make_key(clean, tenant["id"], "carrier", subject_id=carrier)
    url = f"/api/v1/carrier/deliveries/{delivery}/events"

    picked = client.post(url, json=status("picked_up"), headers=headers)
    assert picked.status_code == 200, picked.json
    assert picked.json["status"] == "picked_up"
    bare = client.post(url, json=status("delivered"), headers=headers)
    assert bare.status_code == 422 and bare.json["error"]["code"] == "pod_incomplete"
    assert [d["path"] for d in bare.json["error"]["details"]] == ["$.signature", "$.photos"]
    wrong = client.post(url, json=status("delivered_maybe"), headers=headers)
    assert wrong.status_code == 422 and wrong.json["error"]["details"][0]["path"] == "$.data.status"
    back = client.post(url, json=status("rescheduled"), headers=headers)
    assert back.status_code == 409 and "'picked_up' cannot become 'rescheduled'" in back.json["error"]["message"]

    done = client.post(f"/api/v1/carrier/deliveries/{delivery}/pod", data=pod_form(photos=1), headers=headers,
                       content_type="multipart/form-data")
    assert done.status_code == 200, done.json
    assert done.json["status"] == "delivered"
    assert done.json["pod"]["signature"]["sha256"] == hashlib.sha256(image("signature.png")).hexdigest()
    report = client.get(f"/api/v1/deliveries/{delivery}/custody", headers=tenant["headers"]).json
    assert report["ok"] is True
    assert [(h["from"], h["to"]) for h in report["handoffs"]] == [
        ({"kind": "warehouse", "id": "queen-west"}, {"kind": "carrier", "id": carrier}),
        ({"kind": "carrier", "id": carrier}, {"kind": "recipient", "name": "Priya Natarajan"})]


def test_carrier_pod_by_reference_then_delivered(client, tenant, run_jobs, clean):
    delivery = post_delivery(client, tenant, run_jobs, "ORD-1", requirements={"photo": True})
    carrier = make_carrier(client, tenant, "Swift")
    dispatch_to(clean, tenant["id"], delivery, carrier)
    headers = make_key(clean, tenant["id"], "carrier", subject_id=carrier)
    url = f"/api/v1/carrier/deliveries/{delivery}/events"
    photo = {"id": "swift-photo-77", "content_type": "image/jpeg", "sha256": "a" * 64, "size_bytes": 1200}
    proof = {"type": "delivery.pod_captured",
             "data": {"captured_at": iso(datetime.now(timezone.utc) - timedelta(hours=1)), "photos": [photo]}}
    pod = client.post(url, headers=headers, json=proof)
    assert pod.status_code == 200, pod.json
    again = client.post(url, headers=headers, json=proof)  # the carrier retries after a timeout
    assert again.status_code == 200 and again.json["event_id"] == pod.json["event_id"]  # recorded once
    assert client.post(url, json=status("delivered"), headers=headers).json["status"] == "delivered"
    report = client.get(f"/api/v1/deliveries/{delivery}/custody", headers=tenant["headers"]).json
    assert report["ok"] is True and report["media"][0]["stored_by_hub"] is False
    assert report["handoffs"][-1]["to"] == {"kind": "recipient"}


def test_a_carrier_sees_only_deliveries_dispatched_to_it(client, tenant, run_jobs, clean):
    delivery = post_delivery(client, tenant, run_jobs, "ORD-1", requirements={})
    swift, other = make_carrier(client, tenant, "Swift"), make_carrier(client, tenant, "Other")
    dispatch_to(clean, tenant["id"], delivery, swift, state="dispatched")  # offered, not accepted yet
    swift_key = make_key(clean, tenant["id"], "carrier", subject_id=swift)
    url = f"/api/v1/carrier/deliveries/{delivery}/events"
    assert client.post(url, json=status("picked_up"), headers=swift_key).status_code == 404
    with transaction(clean.sessions) as session:
        session.query(Assignment).filter_by(delivery_id=delivery).update({"state": "accepted"})
    assert client.post(url, json=status("picked_up"), headers=swift_key).status_code == 200
    other_key = make_key(clean, tenant["id"], "carrier", subject_id=other)
    assert client.post(url, json=status("in_transit"), headers=other_key).status_code == 404
    assert client.post(f"/api/v1/carrier/deliveries/{delivery}/pod", data=pod_form(), headers=other_key,
                       content_type="multipart/form-data").status_code == 404
    assert client.post(url, json=status("in_transit"), headers=tenant["headers"]).status_code == 403


def test_late_reports_move_a_delivery_only_forward(client, tenant, run_jobs, clean):
    delivery = post_delivery(client, tenant, run_jobs, "ORD-1", requirements={})
    other = post_delivery(client, tenant, run_jobs, "ORD-2", requirements={})
    carrier = make_carrier(client, tenant, "Swift")
    dispatch_to(clean, tenant["id"], delivery, carrier)
    dispatch_to(clean, tenant["id"], other, carrier)
    headers = make_key(clean, tenant["id"], "carrier", subject_id=carrier)
    url = f"/api/v1/carrier/deliveries/{delivery}/events"
    now = datetime.now(timezone.utc)

    def report(status_name: str, minutes: int):
        return client.post(url, headers=headers, json={**status(status_name),
                                                       "occurred_at": iso(now + timedelta(minutes=minutes))})

    assert report("in_transit", -10).json["late"] is False
    assert report("arriving", -5).json["status"] == "arriving"
    # Its clock is behind ours: "delivered" at -7 is older than "arriving" at -5, but it moves forward.
    forward = report("delivered", -7)
    assert forward.status_code == 200 and forward.json == {**forward.json, "status": "delivered", "late": False}

    url = f"/api/v1/carrier/deliveries/{other}/events"
    assert report("arriving", -5).json["status"] == "arriving"
    stale = report("in_transit", -9)  # sent before "arriving", delivered after it: recorded, not applied
    assert stale.status_code == 200 and stale.json["late"] is True and stale.json["status"] == "arriving"
    types = [e["type"] for e in client.get(f"/api/v1/deliveries/{other}/events", headers=tenant["headers"]).json["items"]]
    assert types[-1] == "delivery.status_reported_late"

    future = report("delivered", 60 * 24)
    assert future.status_code == 409 and future.json["error"]["code"] == "clock_ahead"
    assert future.json["error"]["details"][0]["path"] == "$.occurred_at"
    assert client.get(f"/api/v1/deliveries/{other}", headers=tenant["headers"]).json["status"] == "arriving"
