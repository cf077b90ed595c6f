"""JSON nested deeper than anything the hub takes: 422 at the API, a recorded failure in ingest; and a
media id no file can have: 404. Never a 500."""

from __future__ import annotations

import hashlib
import hmac
import json

from hub.api.requests import MAX_JSON_DEPTH
from hub.db.models import InboxItem
from tests.api.test_inbound_webhooks import install, signed

DEEP = b"[" * 1000 + b"]" * 1000
JUST_OVER = json.dumps({"source": {"external_id": "x"}, "notes": json.loads("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)})


def test_deep_json_answers_422_on_every_json_route(client, tenant, clean):
    for path in ("/api/v1/deliveries", "/api/v1/installations", "/api/v1/subscriptions"):
        for body in (DEEP, JUST_OVER.encode()):
            response = client.post(path, data=body, headers={**tenant["headers"], "Content-Type": "application/json"})
            assert response.status_code == 422, (path, response.status_code)
            assert response.json["error"]["code"] == "json_too_deep"


def test_a_deep_hook_body_fails_its_ingest_once_with_a_reason(client, tenant, run_jobs, clean):
    installation = install(client, tenant)
    answer = client.post(f"/hooks/{installation}", data=DEEP, headers=signed(DEEP, "deep-1"))
    assert answer.status_code == 200
    run_jobs()
    item = client.get(f"/api/v1/inbox/{answer.json['inbox_id']}", headers=tenant["headers"]).json
    assert item["state"] == "failed" and item["error_kind"] == "permanent"
    assert "RecursionError" in item["reason"]
    assert run_jobs() == 0  # recorded once, not retried in a loop
    with clean.sessions() as session:
        assert session.get(InboxItem, answer.json["inbox_id"]).state == "failed"


def test_a_non_ascii_media_id_is_not_found(client, clean):
    response = client.get("/media/m\u00e9d_\u00fc?expires=9999999999&signature=abc")
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    signature = hmac.new(b"x", b"y", hashlib.sha256).hexdigest().replace("a", "\u00e9")
    assert client.get(f"/media/med_1?expires=9999999999&signature={signature}").status_code == 403
