"""The subscriptions API: secret shown once, validation with JSON paths, SSRF refusal, tenants apart."""

from __future__ import annotations

from dataclasses import replace

from tests.fixtures import make_key

RECEIVER = "http://127.0.0.1:9/hooks"


def test_create_shows_the_secret_once_and_never_again(client, tenant):
    created = client.post("/api/v1/subscriptions", json={"url": RECEIVER, "event_types": ["delivery.*", "route.planned"],
                          "description": "ops dashboard"}, headers=tenant["headers"])
    assert created.status_code == 201
    body = created.json
    assert body["secret"].startswith("whsec_") and body["enabled"] is True and body["disabled_reason"] is None
    assert created.headers["Location"] == f"/api/v1/subscriptions/{body['id']}"
    shown = client.get(f"/api/v1/subscriptions/{body['id']}", headers=tenant["headers"]).json
    listed = client.get("/api/v1/subscriptions", headers=tenant["headers"]).json["items"]
    assert "secret" not in shown and [s["id"] for s in listed] == [body["id"]] and "secret" not in listed[0]
    assert body["secret"] not in str(shown) + str(listed)


def test_update_and_delete(client, tenant):
    sub = client.post("/api/v1/subscriptions", json={"url": RECEIVER, "event_types": ["delivery.created"]},
                      headers=tenant["headers"]).json
    path = f"/api/v1/subscriptions/{sub['id']}"
    off = client.patch(path, json={"enabled": False, "event_types": ["delivery.*"]}, headers=tenant["headers"])
    assert off.status_code == 200 and off.json["enabled"] is False and off.json["disabled_reason"]
    on = client.patch(path, json={"enabled": True}, headers=tenant["headers"])
    assert on.json["enabled"] is True and on.json["disabled_reason"] is None and on.json["event_types"] == ["delivery.*"]
    assert client.delete(path, headers=tenant["headers"]).status_code == 204
    assert client.get(path, headers=tenant["headers"]).status_code == 404


def test_unknown_event_types_are_422_naming_each(client, tenant):
    response = client.post("/api/v1/subscriptions", json={"url": RECEIVER, "event_types": [
        "delivery.status_changed", "delivery.teleported", "order.*"]}, headers=tenant["headers"])
    assert response.status_code == 422
    assert [d["path"] for d in response.json["error"]["details"]] == ["$.event_types[1]", "$.event_types[2]"]
    empty = client.post("/api/v1/subscriptions", json={"url": RECEIVER, "event_types": []}, headers=tenant["headers"])
    assert empty.status_code == 422 and empty.json["error"]["details"][0]["path"] == "$.event_types"


def test_bad_urls_are_422_naming_url(client, tenant):
    for url in ("ftp://example.com/x", "not a url", "https://user:pw@example.com/x", None):
        response = client.post("/api/v1/subscriptions", json={"url": url, "event_types": ["delivery.*"]},
                               headers=tenant["headers"])
        assert response.status_code == 422, url
        assert response.json["error"]["details"][0]["path"] == "$.url"


def test_private_and_loopback_targets_are_refused_unless_allowed(client, tenant, clean, monkeypatch):
    monkeypatch.setattr(clean, "config", replace(clean.config, allow_private_webhook_targets=False))
    for url in ("http://127.0.0.1:8080/hook", "http://localhost/hook", "https://10.1.2.3/x", "http://169.254.169.254/",
                "http://[::1]/x", "http://[::ffff:192.168.0.1]/x"):
        response = client.post("/api/v1/subscriptions", json={"url": url, "event_types": ["delivery.*"]},
                               headers=tenant["headers"])
        assert response.status_code == 422, url
        [detail] = response.json["error"]["details"]
        assert detail["path"] == "$.url" and "address" in detail["message"]


def test_other_tenants_and_roles_see_nothing(client, tenant, clean):
    from hub.db.engine import transaction
    from hub.ledger.tenants import create_tenant, issue_key

    sub = client.post("/api/v1/subscriptions", json={"url": RECEIVER, "event_types": ["delivery.*"]},
                      headers=tenant["headers"]).json
    with transaction(clean.sessions) as session:
        _, key = issue_key(session, create_tenant(session, "someone-else"), "admin")
    other = {"Authorization": f"Bearer {key}"}
    assert client.get(f"/api/v1/subscriptions/{sub['id']}", headers=other).status_code == 404
    assert client.get("/api/v1/subscriptions", headers=other).json["items"] == []
    integration = make_key(clean, tenant["id"], "integration")
    assert client.get("/api/v1/subscriptions", headers=integration).status_code == 403
    assert client.get("/api/v1/subscriptions").status_code == 401


def test_replay_needs_exactly_one_of_event_id_and_since(client, tenant):
    sub = client.post("/api/v1/subscriptions", json={"url": RECEIVER, "event_types": ["delivery.*"]},
                      headers=tenant["headers"]).json
    url = f"/api/v1/subscriptions/{sub['id']}/replay"
    assert client.post(url, json={}, headers=tenant["headers"]).status_code == 422
    bad = client.post(url, json={"since": "yesterday"}, headers=tenant["headers"])
    assert bad.status_code == 422 and bad.json["error"]["details"][0]["path"] == "$.since"
    none = client.post(url, json={"since": "2026-01-01T00:00:00Z"}, headers=tenant["headers"])
    assert none.status_code == 202 and none.json["replayed"] == 0


def test_openapi_lists_the_subscription_routes(client):
    paths = client.get("/api/openapi.json").json["paths"]
    assert {"/api/v1/subscriptions", "/api/v1/subscriptions/{subscription_id}/replay",
            "/api/v1/subscriptions/{subscription_id}/rotate-secret",
            "/api/v1/subscriptions/{subscription_id}/deliveries"} <= set(paths)
