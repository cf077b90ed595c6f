"""Inbound verification against Shopify's published HMAC vectors, and what each topic becomes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hub.testing import PAYLOADS_DIR
from hub.plugins import load_settings
from hub.testing import flip_byte, make_request

from connectors.shopify import CONNECTOR
from connectors.shopify.webhooks import sign

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
SHOP = "maple-goods.myshopify.com"


def _connector(secret: str = "secret", previous: str | None = None) -> Any:
    settings = {"shop": SHOP, "access_token": "shpat_test", "client_secret": secret}
    if previous is not None:
        settings["previous_client_secret"] = previous
    return CONNECTOR.create(load_settings(CONNECTOR, settings))


def _vectors() -> list[dict[str, Any]]:
    path = PAYLOADS_DIR / "shopify_hmac_vectors.json"
    return json.loads(path.read_text(encoding="utf-8"))["webhook_vectors"]


def test_published_vectors() -> None:
    vectors = _vectors()
    assert len(vectors) == 4
    for vector in vectors:
        body = vector["raw_body"].encode("utf-8")
        request = make_request(body, {vector["header"]: vector["expected"]})
        result = _connector(vector["secret"]).verify(request)
        assert result.ok is vector["valid"], (vector["source"], result.reason)
        if vector["valid"]:
            assert sign(vector["secret"], body) == vector["expected"]


def test_rotation_accepts_the_previous_secret_only_when_configured() -> None:
    """shopify_app's vector: a body signed with old_secret fails with secret='secret' alone and passes
    while old_secret is set as the previous client secret."""
    old = next(v for v in _vectors() if v["secret"] == "old_secret")
    request = make_request(old["raw_body"], {"X-Shopify-Hmac-Sha256": old["expected"]})
    assert not _connector("secret").verify(request).ok
    rotated = _connector("secret", previous="old_secret").verify(request)
    assert rotated.ok and "previous" in rotated.reason
    assert not _connector("other", previous="also-other").verify(request).ok


@pytest.mark.parametrize("name", ["X-Shopify-Hmac-Sha256", "x-shopify-hmac-sha256", "X-SHOPIFY-HMAC-SHA256", "shopify-hmac-sha256"])
def test_header_names_are_case_insensitive_with_or_without_prefix(name: str) -> None:
    body = b'{"id": 1}'
    request = make_request(body, {name: sign("secret", body), "shopify-webhook-id": "evt-1"})
    result = _connector().verify(request)
    assert result.ok and result.dedupe_key == "evt-1"


def test_tampered_forged_and_empty_requests_are_refused() -> None:
    body = (GOLDEN / "apartment_vip.input.json").read_bytes()
    good = sign("secret", body)
    connector = _connector()
    refused = {
        "flipped body": make_request(flip_byte(body), {"X-Shopify-Hmac-Sha256": good}),
        "forged with another secret": make_request(body, {"X-Shopify-Hmac-Sha256": sign("guess", body)}),
        "not base64": make_request(body, {"X-Shopify-Hmac-Sha256": "not base64!"}),
        "hex instead of base64": make_request(body, {"X-Shopify-Hmac-Sha256": "ab" * 32}),
        "truncated": make_request(body, {"X-Shopify-Hmac-Sha256": good[:-4]}),
        "no header": make_request(body, {}),
        "empty body": make_request(b"", {"X-Shopify-Hmac-Sha256": sign("secret", b"")}),
        "another shop": make_request(body, {"X-Shopify-Hmac-Sha256": good, "X-Shopify-Shop-Domain": "evil.myshopify.com"}),
    }
    for what, request in refused.items():
        result = connector.verify(request)
        assert not result.ok and result.reason, what
    same_shop = make_request(body, {"X-Shopify-Hmac-Sha256": good, "X-Shopify-Shop-Domain": SHOP.upper()})
    assert connector.verify(same_shop).ok


def test_dedupe_key_is_the_webhook_id_and_absent_without_one() -> None:
    body = b'{"id": 1}'
    headers = {"X-Shopify-Hmac-Sha256": sign("secret", body)}
    assert _connector().verify(make_request(body, {**headers, "X-Shopify-Webhook-Id": "545ebdd4"})).dedupe_key == "545ebdd4"
    assert _connector().verify(make_request(body, headers)).dedupe_key is None  # the hub then hashes the body


def _parse(topic: str, body: bytes | dict[str, Any], header: str = "X-Shopify-Topic") -> list[Any]:
    return _connector().parse(make_request(body, {header: topic}))


def test_topics_become_event_kinds() -> None:
    open_order = (GOLDEN / "apartment_vip.input.json").read_bytes()
    cancelled = (GOLDEN / "orders_create_sample.input.json").read_bytes()
    seen = {}
    for topic, body in [("orders/create", open_order), ("orders/updated", open_order), ("orders/cancelled", open_order),
                        ("orders/create", cancelled), ("app/uninstalled", b'{"id": 548380009}'),
                        ("products/update", b'{"id": 5}'), ("", open_order)]:
        (event,) = _parse(topic, body)
        seen[(topic, body is cancelled)] = (event.kind, event.external_id)
    assert seen == {
        ("orders/create", False): ("order.upsert", "9007199254740993"),
        ("orders/updated", False): ("order.upsert", "9007199254740993"),
        ("orders/cancelled", False): ("order.cancel", "9007199254740993"),
        ("orders/create", True): ("order.cancel", "820982911946154508"),  # the official sample is already cancelled
        ("app/uninstalled", False): ("uninstalled", None),
        ("products/update", False): ("ignored", None),
        ("", False): ("ignored", None),
    }


def test_unprefixed_topic_header_and_event_details() -> None:
    (event,) = _parse("orders/cancelled", (GOLDEN / "orders_create_sample.input.json").read_bytes(), "shopify-topic")
    assert event.kind == "order.cancel" and event.reason == "cancelled in Shopify (customer)"
    assert event.occurred_at is not None and event.occurred_at.isoformat() == "2021-12-31T19:00:00-05:00"


def test_ids_beyond_53_bits_survive_exactly() -> None:
    """2**53 + 1 is the first integer a float cannot hold: it must come out digit for digit."""
    (event,) = _parse("orders/create", b'{"id": 9007199254740993, "line_items": []}')
    assert event.external_id == "9007199254740993"
    (event,) = _parse("orders/create", b'{"id": 123456789012345678901234567890}')
    assert event.external_id == "123456789012345678901234567890"
    (event,) = _parse("orders/create", b'{"id": 9.007199254740993e15}')  # already lossy: refused, not rounded
    assert event.kind == "ignored"


def test_garbage_bodies_are_ignored_not_raised() -> None:
    for body in (b"\xff\xfe", b"[1, 2]", b"not json", b'{"no_id": true}'):
        (event,) = _parse("orders/create", body)
        assert event.kind == "ignored" and event.reason
