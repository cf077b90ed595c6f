"""A planned route sends the warehouse its pick-by time (the departure minus the staging margin), signed."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from pytest_httpserver import HTTPServer
from standardwebhooks import Webhook
from werkzeug import Request, Response

from connectors.wms.tests.signing import PICK_BY_SECRET, SECRET
from hub.db.engine import transaction
from hub.db.models import Delivery
from hub.ledger.events import append_event
from hub.paths import SCHEMAS_DIR
from hub.writeback.pick_by import STAGING_MARGIN


def test_route_planned_sends_pick_by_to_the_warehouse(client, tenant, run_jobs, clean, httpserver: HTTPServer):
    received: list[Request] = []

    def answer(request: Request) -> Response:
        received.append(request)
        return Response("", status=204)

    httpserver.expect_request("/pick-by", method="POST").respond_with_handler(answer)
    installed = client.post("/api/v1/installations", headers=tenant["headers"], json={
        "connector": "wms", "settings": {"webhook_secret": SECRET, "location_id": "wh-berlin-1",
                                         "pick_by_url": httpserver.url_for("/pick-by"), "pick_by_secret": PICK_BY_SECRET}})
    assert installed.status_code == 201, installed.json
    doc = json.loads((SCHEMAS_DIR / "examples" / "delivery_input.v1.json").read_text())
    delivery_id = client.post("/api/v1/deliveries", json=doc, headers=tenant["headers"]).json["id"]
    run_jobs()
    with transaction(clean.sessions) as session:
        append_event(session, session.get(Delivery, delivery_id), "route.planned", {
            "route_id": "plan-1:van-1", "starts_at": "2026-11-26T08:00:00+01:00",
            "stops": [{"delivery_id": delivery_id, "position": 1, "eta": "2026-11-26T08:40:00+01:00"}]})
    run_jobs()

    assert len(received) == 1
    request = received[0]
    message = Webhook(PICK_BY_SECRET).verify(request.get_data(), dict(request.headers))
    expected = datetime(2026, 11, 26, 7, 0, tzinfo=timezone.utc) - STAGING_MARGIN
    assert datetime.fromisoformat(message["pick_by"].replace("Z", "+00:00")) == expected
    events = client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=tenant["headers"]).json["items"]
    sent = [e for e in events if e["type"] == "delivery.pick_by_sent"]
    assert len(sent) == 1 and sent[0]["data"]["installations"] == [installed.json["id"]]
