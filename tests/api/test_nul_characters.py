"""PostgreSQL stores no NUL character in text or JSON: the hub refuses one anywhere in a request, on both
databases alike, with an answer that says where, and its OpenAPI document says so."""

from __future__ import annotations

from sqlalchemy import func, select

from hub.db.models import Delivery
from tests.api.test_deliveries_api import example_input


def test_a_nul_in_a_body_string_is_refused_where_it_is(client, tenant, clean):
    body = {**example_input("NUL-1"), "notes": "ring\x00twice"}
    answer = client.post("/api/v1/deliveries", json=body, headers=tenant["headers"])
    assert answer.status_code == 422, answer.json
    assert answer.json["error"]["code"] == "nul_character"
    assert answer.json["error"]["details"] == [{"path": "$.notes", "message": "no NUL characters"}]
    with clean.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Delivery)) == 0


def test_a_nul_in_the_path_names_nothing_and_in_the_query_is_a_bad_query(client, tenant):
    assert client.get("/api/v1/deliveries/dlv_%00", headers=tenant["headers"]).status_code == 404
    answer = client.get("/api/v1/deliveries?external_id=a%00b", headers=tenant["headers"])
    assert answer.status_code == 400 and answer.json["error"]["details"][0]["path"] == "query.external_id"


def test_a_cursor_whose_bytes_hold_a_nul_still_pages(client, tenant):
    # "4k0A" is base64 of b"\xe2M\x00": well-formed, so it pages (from wherever it sorts), never a 500 on PostgreSQL.
    for path in ("/api/v1/deliveries", "/api/v1/inbox", "/api/v1/subscriptions"):
        answer = client.get(f"{path}?cursor=4k0A", headers=tenant["headers"])
        assert answer.status_code == 200, (path, answer.json)


def test_the_document_states_the_rule_on_free_text(client):
    spec = client.get("/api/openapi.json").json
    notes = spec["components"]["schemas"]["DeliveryInputBody"]["properties"]["notes"]
    assert notes["pattern"] == "^[^\\x00]*$"
