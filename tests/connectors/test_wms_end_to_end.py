"""End to end through the real app, database, Redis and jobs: install the warehouse connector, submit a
delivery, then the warehouse reports picking_started -> packed -> ready_for_dispatch over signed webhooks."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from connectors.wms.tests.signing import SECRET, signed_headers
from hub.db.models import InboxItem
from hub.ledger.readiness import is_ready
from hub.paths import SCHEMAS_DIR

EXTERNAL_ID = "TO-2025-000318"
PARCELS = [
    {"parcel_ref": "00340434161234567890", "weight_g": 2350, "dimensions_mm": {"length": 700, "width": 350, "height": 350},
     "description": "Large tulip bouquet"},
    {"parcel_ref": "00340434161234567906", "weight_g": 400, "dimensions_mm": {"length": 200, "width": 150, "height": 100}},
]


def _install(client, tenant) -> str:
    response = client.post("/api/v1/installations", headers=tenant["headers"], json={
        "connector": "wms", "settings": {"webhook_secret": SECRET, "location_id": "wh-toronto-1"}})
    assert response.status_code == 201, response.json
    assert SECRET not in json.dumps(response.json)
    return response.json["id"]


def _create_delivery(client, tenant, run_jobs) -> str:
    doc = json.loads((SCHEMAS_DIR / "examples" / "delivery_input.v1.json").read_text())
    doc["source"]["external_id"] = EXTERNAL_ID
    del doc["pickup"]["ready_at"]  # the warehouse says when the goods are ready
    response = client.post("/api/v1/deliveries", json=doc, headers=tenant["headers"])
    assert response.status_code == 202, response.json
    run_jobs()
    return response.json["id"]


def _event(event_id: str, stage: str, ref: dict[str, str], occurred_at: str, **extra: Any) -> dict[str, Any]:
    return {"event_id": event_id, "type": stage, "delivery_ref": ref, "occurred_at": occurred_at, **extra}


def _post(client, installation_id: str, event: dict[str, Any], *, msg_id: str | None = None,
          sent_at: datetime | None = None):
    body = json.dumps(event)
    at = sent_at or datetime.now(timezone.utc)
    return client.post(f"/hooks/{installation_id}", data=body,
                       headers=signed_headers(body, msg_id=msg_id or event["event_id"], at=at))


def _events(client, tenant, delivery_id: str) -> list[dict[str, Any]]:
    return client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=tenant["headers"]).json["items"]


def test_warehouse_stages_update_parcels_and_ready_time(client, tenant, run_jobs, clean):
    installation_id = _install(client, tenant)
    delivery_id = _create_delivery(client, tenant, run_jobs)
    before = client.get(f"/api/v1/deliveries/{delivery_id}", headers=tenant["headers"]).json
    assert not is_ready(before)
    by_order = {"source": "api", "external_id": EXTERNAL_ID}

    for event in (
        _event("wh-1", "picking_started", by_order, "2025-03-15T08:01:00-04:00"),
        _event("wh-2", "packed", {"delivery_id": delivery_id}, "2025-03-15T08:14:00-04:00", parcels=PARCELS),
        _event("wh-3", "ready_for_dispatch", by_order, "2025-03-15T08:20:00-04:00", ready_at="2025-03-15T08:25:00-04:00"),
    ):
        response = _post(client, installation_id, event)
        assert response.status_code == 200 and response.json["status"] == "accepted", response.json
    run_jobs()

    got = client.get(f"/api/v1/deliveries/{delivery_id}", headers=tenant["headers"])
    assert got.status_code == 200, got.json
    after = got.json
    assert after["parcels"] == [
        {"description": "Large tulip bouquet", "weight_g": 2350, "dimensions_mm": {"length": 700, "width": 350, "height": 350}},
        {"weight_g": 400, "dimensions_mm": {"length": 200, "width": 150, "height": 100}},
    ]
    assert after["pickup"] == {**before["pickup"], "ready_at": "2025-03-15T08:25:00-04:00"}
    assert after["version"] == before["version"] + 2 and after["status"] == before["status"]
    assert is_ready(after) and is_ready(after, now=datetime(2025, 3, 15, 12, 30, tzinfo=timezone.utc))
    assert not is_ready(after, now=datetime(2025, 3, 15, 12, 20, tzinfo=timezone.utc))

    events = _events(client, tenant, delivery_id)
    assert [(e["type"], e["data"].get("stage")) for e in events] == [
        ("delivery.created", None),
        ("delivery.warehouse", "picking_started"),
        ("delivery.updated", None),
        ("delivery.warehouse", "packed"),
        ("delivery.updated", None),
        ("delivery.warehouse", "ready_for_dispatch"),
    ]
    packed = events[3]
    assert packed["actor"] == {"kind": "warehouse", "id": installation_id}
    assert packed["data"]["applied"] is True and packed["data"]["changed"] == ["parcels"]
    assert packed["data"]["parcels"][0]["parcel_ref"] == "00340434161234567890"  # kept in the history
    assert events[2]["data"]["changed"] == ["parcels"] and events[4]["data"]["changed"] == ["pickup"]
    assert packed["occurred_at"].startswith("2025-03-15T12:14:00")


def test_replays_late_events_and_unknown_orders_change_nothing(client, tenant, run_jobs, clean):
    installation_id = _install(client, tenant)
    delivery_id = _create_delivery(client, tenant, run_jobs)
    ref = {"delivery_id": delivery_id}
    packed = _event("wh-10", "packed", ref, "2025-03-15T08:30:00-04:00", parcels=PARCELS[:1])
    assert _post(client, installation_id, packed).json["status"] == "accepted"
    # the same webhook again (same webhook-id): dropped at the door
    assert _post(client, installation_id, packed).json["status"] == "duplicate"
    # the same event under a new webhook-id: stored, but the hub sees event_id wh-10 was applied
    assert _post(client, installation_id, packed, msg_id="msg-resent").json["status"] == "accepted"
    # an older packing that arrives late is recorded but does not replace the newer parcels
    older = _event("wh-09", "packed", ref, "2025-03-15T08:10:00-04:00", parcels=PARCELS)
    assert _post(client, installation_id, older).json["status"] == "accepted"
    unknown = _event("wh-11", "picking_started", {"source": "api", "external_id": "NOPE"}, "2025-03-15T08:00:00Z")
    assert _post(client, installation_id, unknown).json["status"] == "accepted"
    run_jobs()

    doc = client.get(f"/api/v1/deliveries/{delivery_id}", headers=tenant["headers"]).json
    assert [p["weight_g"] for p in doc["parcels"]] == [2350]
    warehouse = [e["data"] for e in _events(client, tenant, delivery_id) if e["type"] == "delivery.warehouse"]
    assert [(d["event_id"], d["applied"]) for d in warehouse] == [("wh-10", True), ("wh-09", False)]
    assert "newer packed" in warehouse[1]["reason"]
    with clean.sessions() as session:
        outcomes = [i.outcome for i in session.execute(select(InboxItem).where(
            InboxItem.installation_id == installation_id).order_by(InboxItem.id)).scalars()]
    assert "already applied" in outcomes[1]["events"][0]["reason"]
    assert "no delivery for order 'NOPE'" in outcomes[3]["events"][0]["reason"]
    assert not is_ready(doc)


def test_stale_or_forged_webhooks_are_refused_at_the_door(client, tenant, clean):
    installation_id = _install(client, tenant)
    event = _event("wh-20", "picking_started", {"source": "api", "external_id": EXTERNAL_ID}, "2025-03-15T08:00:00Z")
    stale = _post(client, installation_id, event, sent_at=datetime.now(timezone.utc) - timedelta(minutes=6))
    assert stale.status_code == 401 and "5 minutes" in stale.json["error"]["message"]
    body = json.dumps(event)
    forged = signed_headers(body, msg_id="wh-20", at=datetime.now(timezone.utc),
                            secret="whsec_5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH")
    assert client.post(f"/hooks/{installation_id}", data=body, headers=forged).status_code == 401
    with clean.sessions() as session:
        assert session.execute(select(InboxItem)).first() is None


def test_a_cancelled_delivery_records_the_packing_but_keeps_its_parcels(client, tenant, run_jobs, clean):
    installation_id = _install(client, tenant)
    delivery_id = _create_delivery(client, tenant, run_jobs)
    cancelled = client.post(f"/api/v1/deliveries/{delivery_id}/cancel", json={"reason": "customer"}, headers=tenant["headers"])
    assert cancelled.status_code == 200, cancelled.json
    before = client.get(f"/api/v1/deliveries/{delivery_id}", headers=tenant["headers"]).json
    event = _event("wh-30", "packed", {"delivery_id": delivery_id}, "2025-03-15T08:14:00Z", parcels=PARCELS)
    assert _post(client, installation_id, event).json["status"] == "accepted"
    run_jobs()
    after = client.get(f"/api/v1/deliveries/{delivery_id}", headers=tenant["headers"]).json
    assert after["parcels"] == before["parcels"] and after["version"] == before["version"]
    last = _events(client, tenant, delivery_id)[-1]
    assert last["type"] == "delivery.warehouse" and last["data"]["applied"] is False
    assert last["data"]["reason"] == "delivery is already cancelled"


def test_a_store_update_after_packing_keeps_what_the_warehouse_reported(client, tenant, run_jobs, clean):
    installation_id = _install(client, tenant)
    delivery_id = _create_delivery(client, tenant, run_jobs)
    by_id = {"delivery_id": delivery_id}
    for event in (_event("wh-1", "packed", by_id, "2025-03-15T08:14:00-04:00", parcels=PARCELS),
                  _event("wh-2", "ready_for_dispatch", by_id, "2025-03-15T08:20:00-04:00",
                         ready_at="2025-03-15T08:25:00-04:00")):
        assert _post(client, installation_id, event).status_code == 200
    run_jobs()
    packed = client.get(f"/api/v1/deliveries/{delivery_id}", headers=tenant["headers"]).json

    update = json.loads((SCHEMAS_DIR / "examples" / "delivery_input.v1.json").read_text())
    update["source"]["external_id"] = EXTERNAL_ID
    del update["pickup"]["ready_at"]
    update["notes"] = "Customer asked to call on arrival"
    assert client.post("/api/v1/deliveries", json=update, headers=tenant["headers"]).status_code == 202
    run_jobs()

    after = client.get(f"/api/v1/deliveries/{delivery_id}", headers=tenant["headers"]).json
    assert after["notes"] == "Customer asked to call on arrival"
    assert after["parcels"] == packed["parcels"] and after["pickup"]["ready_at"] == "2025-03-15T08:25:00-04:00"
