"""The inbox API: a request that was accepted and failed afterwards says so, to its own tenant only."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from hub.db.engine import transaction
from hub.db.models import InboxItem, utcnow
from tests.api.test_deep_json import DEEP
from tests.api.test_inbound_webhooks import GOLDEN, install, signed
from tests.fixtures import make_key


def test_a_failed_hook_is_visible_by_its_id_in_the_list_and_on_the_installation(client, tenant, run_jobs, clean):
    installation = install(client, tenant)
    good = (GOLDEN / "simple_order.input.json").read_bytes()
    ok = client.post(f"/hooks/{installation}", data=good, headers=signed(good, "d-1")).json
    failed = client.post(f"/hooks/{installation}", data=DEEP, headers=signed(DEEP, "d-2")).json
    not_json = client.post(f"/hooks/{installation}", data=b"not JSON", headers=signed(b"not JSON", "d-3")).json
    assert failed["status"] == "accepted" and failed["links"]["status"] == f"/api/v1/inbox/{failed['inbox_id']}"
    run_jobs()

    integration = make_key(clean, tenant["id"], "integration")
    one = client.get(failed["links"]["status"], headers=integration)
    assert one.status_code == 200
    assert one.json["state"] == "failed" and one.json["installation_id"] == installation
    assert one.json["reason"].startswith("RecursionError") and one.json["error_kind"] == "permanent"
    assert client.get(f"/api/v1/inbox/{ok['inbox_id']}", headers=integration).json["state"] == "processed"
    skipped = client.get(f"/api/v1/inbox/{not_json['inbox_id']}", headers=integration).json
    assert skipped["state"] == "skipped" and "not JSON" in skipped["reason"]  # ignored by the connector, and why

    listed = client.get(f"/api/v1/inbox?installation={installation}&state=failed", headers=tenant["headers"]).json
    assert [i["id"] for i in listed["items"]] == [failed["inbox_id"]] and listed["next_cursor"] is None
    shown = client.get(f"/api/v1/installations/{installation}", headers=tenant["headers"]).json
    assert shown["inbox"]["failed_last_24h"] == 1

    with transaction(clean.sessions) as session:  # a failure from two days ago no longer counts
        session.execute(update(InboxItem).where(InboxItem.id == failed["inbox_id"])
                        .values(received_at=utcnow() - timedelta(days=2)))
    shown = client.get(f"/api/v1/installations/{installation}", headers=tenant["headers"]).json
    assert shown["inbox"]["failed_last_24h"] == 0


def test_the_inbox_pages_newest_first_and_refuses_unknown_states(client, tenant, run_jobs, clean):
    installation = install(client, tenant)
    ids = []
    for n in range(3):
        body = f"not json {n}".encode()
        ids.append(client.post(f"/hooks/{installation}", data=body, headers=signed(body, f"p-{n}")).json["inbox_id"])
    first = client.get("/api/v1/inbox?limit=2", headers=tenant["headers"]).json
    assert [i["id"] for i in first["items"]] == ids[:0:-1] and all(i["state"] == "pending" for i in first["items"])
    rest = client.get(f"/api/v1/inbox?limit=2&cursor={first['next_cursor']}", headers=tenant["headers"]).json
    assert [i["id"] for i in rest["items"]] == ids[:1] and rest["next_cursor"] is None
    bad = client.get("/api/v1/inbox?state=lost", headers=tenant["headers"])
    assert bad.status_code == 400 and bad.json["error"]["details"][0]["path"] == "query.state"


def test_another_tenant_sees_none_of_it(client, tenant, clean):
    from hub.ledger.tenants import create_tenant, issue_key

    installation = install(client, tenant)
    body = b"not json"
    inbox_id = client.post(f"/hooks/{installation}", data=body, headers=signed(body, "t-1")).json["inbox_id"]
    with transaction(clean.sessions) as session:
        _, key = issue_key(session, create_tenant(session, "other"), "admin")
    other = {"Authorization": f"Bearer {key}"}
    assert client.get(f"/api/v1/inbox/{inbox_id}", headers=other).status_code == 404
    assert client.get("/api/v1/inbox", headers=other).json["items"] == []
    assert client.get(f"/api/v1/inbox?installation={installation}", headers=other).json["items"] == []
    for role in ("carrier", "driver"):
        assert client.get("/api/v1/inbox", headers=make_key(clean, tenant["id"], role)).status_code == 403
