"""Every delivery gets a private tracking token when it is created: unguessable, separate from its id, one per delivery."""

from __future__ import annotations

from hub.db.models import Delivery
from hub.ledger.tracking_links import delivery_for_token, issue_tracking_link, tracking_token, tracking_url
from tests.api.test_deliveries_api import example_input


def test_a_created_delivery_has_its_own_unguessable_token(client, tenant, clean):  # type: ignore[no-untyped-def]
    ids = []
    for number in range(2):
        answer = client.post("/api/v1/deliveries", json=example_input(f"T-{number}"), headers=tenant["headers"])
        assert answer.status_code in (201, 202), answer.get_json()
        ids.append(answer.get_json()["id"])
    with clean.sessions() as session:
        tokens = [tracking_token(session, delivery_id) for delivery_id in ids]
        assert all(token and len(token) >= 43 for token in tokens)  # >= 256 bits, URL-safe base64
        assert tokens[0] != tokens[1]
        assert all(delivery_id not in token for delivery_id, token in zip(ids, tokens))
        assert delivery_for_token(session, tokens[0]).id == ids[0]
        assert delivery_for_token(session, "not-a-token") is None
        assert delivery_for_token(session, "x" * 500) is None
        delivery = session.get(Delivery, ids[0])
        assert issue_tracking_link(session, delivery) == tokens[0]  # idempotent
    assert tracking_url("https://hub.example/", "abc") == "https://hub.example/t/abc"
