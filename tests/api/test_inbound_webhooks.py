"""Inbound webhooks through an installed third-party connector (the example package): verified,
stored once, processed by the ingest job; forged or repeated requests change nothing."""

from __future__ import annotations

import hashlib
import hmac
import json

from sqlalchemy import func, select

from hub.db.models import Delivery, DeliveryEvent, InboxItem
from hub.paths import REPO_ROOT

GOLDEN = REPO_ROOT / "examples" / "hub-connector-example" / "tests" / "fixtures" / "golden"
SECRET = "acme-webhook-secret-0123456789"


def signed(body: bytes, delivery: str, topic: str = "order.created", secret: str = SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Acme-Topic": topic, "X-Acme-Delivery": delivery,
            "X-Acme-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def install(client, tenant) -> str:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/installations", headers=tenant["headers"], json={
        "connector": "acme_orders", "settings": {"webhook_secret": SECRET, "default_country": "DE"}})
    assert response.status_code == 201, response.json
    assert response.json["settings"]["webhook_secret"] != SECRET  # secrets never come back
    return response.json["id"]


def counts(rt) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    with rt.sessions() as session:
        return tuple(session.scalar(select(func.count()).select_from(model)) for model in (InboxItem, Delivery, DeliveryEvent))


def test_same_webhook_twice_creates_one_delivery(client, tenant, run_jobs, clean):
    installation = install(client, tenant)
    body = (GOLDEN / "simple_order.input.json").read_bytes()
    for _ in range(2):
        response = client.post(f"/hooks/{installation}", data=body, headers=signed(body, "dlv-1"))
        assert response.status_code == 200
    assert response.json["status"] == "duplicate"
    run_jobs()
    assert counts(clean) == (1, 1, 1)
    items = client.get("/api/v1/deliveries?source=acme_orders", headers=tenant["headers"]).json["items"]
    assert items[0]["source"]["external_id"] == "880021" and items[0]["source"]["installation_id"] == installation

    cancel = json.dumps({"id": 880021}).encode()
    client.post(f"/hooks/{installation}", data=cancel, headers=signed(cancel, "dlv-2", "order.cancelled"))
    run_jobs()
    assert client.get(f"/api/v1/deliveries/{items[0]['id']}", headers=tenant["headers"]).json["status"] == "cancelled"


def test_forged_and_tampered_webhooks_get_401_and_change_nothing(client, tenant, run_jobs, clean):
    installation = install(client, tenant)
    body = (GOLDEN / "simple_order.input.json").read_bytes()
    forged = client.post(f"/hooks/{installation}", data=body, headers=signed(body, "x", secret="guess"))
    tampered = client.post(f"/hooks/{installation}", data=body.replace(b"A-1001", b"A-1002"), headers=signed(body, "y"))
    assert forged.status_code == tampered.status_code == 401
    assert forged.json["error"]["code"] == "signature_invalid"
    run_jobs()
    assert counts(clean) == (0, 0, 0)
    assert client.post("/hooks/ins_unknown", data=body, headers=signed(body, "z")).status_code == 404


def test_a_payload_that_cannot_be_mapped_leaves_nothing_half_written(client, tenant, run_jobs, clean):
    installation = install(client, tenant)
    order = json.loads((GOLDEN / "simple_order.input.json").read_text())
    order["ship_to"]["country"] = "Germany"  # maps to a country code the canonical schema refuses
    body = json.dumps(order).encode()
    assert client.post(f"/hooks/{installation}", data=body, headers=signed(body, "bad-1")).status_code == 200
    run_jobs()
    with clean.sessions() as session:
        item = session.execute(select(InboxItem)).scalar_one()
        assert item.state == "failed" and "$.dropoff.address.country" in item.outcome["reason"]
        assert session.scalar(select(func.count()).select_from(Delivery)) == 0
        assert session.scalar(select(func.count()).select_from(DeliveryEvent)) == 0


def test_installation_settings_are_validated(client, tenant):
    response = client.post("/api/v1/installations", headers=tenant["headers"],
                           json={"connector": "acme_orders", "settings": {"default_country": "DE"}})
    assert response.status_code == 422
    assert "$.settings.webhook_secret" in [d["path"] for d in response.json["error"]["details"]]
    unknown = client.post("/api/v1/installations", headers=tenant["headers"], json={"connector": "nope", "settings": {}})
    assert unknown.status_code == 422 and unknown.json["error"]["details"][0]["path"] == "$.connector"
