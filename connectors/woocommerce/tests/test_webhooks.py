"""Inbound WooCommerce webhooks: signatures over raw bytes, the ping, dedupe keys, topics → events."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json

import pytest

from hub.plugins import load_settings
from hub.testing import flip_byte, make_request

from connectors.woocommerce import CONNECTOR
from connectors.woocommerce.tests.helpers import (
    CONSUMER_SECRET, DERIVED_SECRET, GOLDEN, OWN_WEBHOOK_SECRET, SETTINGS, STORE_URL, ping, signed, woo_headers,
)
from connectors.woocommerce.webhooks import derive_webhook_secret, sign, signing_key

ORDER = (GOLDEN / "order_727_processing.input.json").read_bytes()
# What wp_json_encode sends: compact, "/" written as "\/", non-ASCII as \u escapes.
WP_BODY = json.dumps(json.loads(ORDER), separators=(",", ":")).replace("/", "\\/").encode()


def connector(**extra: object):
    return CONNECTOR.create(load_settings(CONNECTOR, {**SETTINGS, **extra}))


def test_derived_secret_is_hmac_of_the_url_under_the_consumer_secret() -> None:
    expected = hmac.new(CONSUMER_SECRET.encode(), b"hub-webhook:https://shop.example.com", hashlib.sha256).hexdigest()
    assert DERIVED_SECRET == expected
    assert derive_webhook_secret(CONSUMER_SECRET, STORE_URL + "/") == expected  # trailing slash does not matter
    assert derive_webhook_secret(CONSUMER_SECRET, "https://other.example.com") != expected


def test_signature_is_base64_hmac_sha256_of_the_raw_body() -> None:
    digest = hmac.new(DERIVED_SECRET.encode(), WP_BODY, hashlib.sha256).digest()
    request = make_request(WP_BODY, {**woo_headers("order.created", "d1"),
                                     "X-WC-Webhook-Signature": base64.b64encode(digest).decode()})
    assert connector().verify(request).ok


def test_escaped_slashes_are_verified_as_sent_not_reserialized() -> None:
    assert b"\\/" in WP_BODY
    request = signed(WP_BODY, "order.created", "d1")
    assert connector().verify(request).ok
    reserialized = json.dumps(json.loads(WP_BODY), separators=(",", ":")).encode()
    assert reserialized != WP_BODY
    moved = dataclasses.replace(request, body=reserialized)  # same JSON value, other bytes
    assert not connector().verify(moved).ok
    (event,) = connector().parse(request)
    assert event.payload["_links"]["self"][0]["href"] == "https://example.com/wp-json/wc/v3/orders/727"


@pytest.mark.parametrize("what", ["tampered", "forged", "unsigned", "empty signature", "other install"])
def test_bad_signatures_are_refused(what: str) -> None:
    request = signed(WP_BODY, "order.created", "d1")
    if what == "tampered":
        request = dataclasses.replace(request, body=flip_byte(WP_BODY))
    elif what == "forged":
        request = signed(WP_BODY, "order.created", "d1", secret="guessed-secret")
    elif what == "unsigned":
        request = dataclasses.replace(request, headers=request.headers.without("X-WC-Webhook-Signature"))
    elif what == "empty signature":
        request = dataclasses.replace(request, headers=request.headers.replacing("X-WC-Webhook-Signature", ""))
    else:
        request = signed(WP_BODY, "order.created", "d1", secret=derive_webhook_secret(CONSUMER_SECRET, "https://b.example"))
    result = connector().verify(request)
    assert not result.ok and result.reason


def test_owner_webhook_secret_wins_and_is_decoded_like_wordpress() -> None:
    # WooCommerce signs with wp_specialchars_decode(secret): "&amp;" in the stored secret is "&".
    decoded = OWN_WEBHOOK_SECRET.replace("&amp;", "&")
    body = WP_BODY
    wp_signature = base64.b64encode(hmac.new(decoded.encode(), body, hashlib.sha256).digest()).decode()
    request = make_request(body, {**woo_headers("order.updated", "d2"), "X-WC-Webhook-Signature": wp_signature})
    assert connector(webhook_secret=OWN_WEBHOOK_SECRET).verify(request).ok
    assert not connector().verify(request).ok  # the derived secret no longer applies
    assert signing_key("a&amp;lt;b&#039;c") == b"a&lt;b'c"  # one pass, like PHP's strtr


def test_ping_verifies_unsigned_with_one_dedupe_key_and_parses_to_ping() -> None:
    request = ping(31)
    result = connector().verify(request)
    assert result.ok and result.dedupe_key == connector().verify(ping(32)).dedupe_key == "ping"
    (event,) = connector().parse(request)
    assert (event.kind, event.external_id, dict(event.payload)) == ("ping", None, {"webhook_id": "31"})


@pytest.mark.parametrize("body", [b"webhook_id=31&x=1", b"webhook_id=abc", b"webhook_id=31\n{}", b"{\"webhook_id\": 31}"])
def test_only_the_exact_ping_body_passes_unsigned(body: bytes) -> None:
    assert not connector().verify(make_request(body, {"Content-Type": "application/x-www-form-urlencoded"})).ok


def test_a_signed_ping_lookalike_is_checked_like_any_request() -> None:
    request = make_request(b"webhook_id=31", {"X-WC-Webhook-Signature": "bm9wZQ=="})
    assert not connector().verify(request).ok


def test_dedupe_key_is_the_delivery_id_plus_the_body() -> None:
    first = connector().verify(signed(WP_BODY, "order.updated", "abc123"))
    again = connector().verify(signed(WP_BODY, "order.updated", "abc123"))
    other_body = WP_BODY.replace(b'"customer_note":""', b'"customer_note":"back door"')
    same_second = connector().verify(signed(other_body, "order.updated", "abc123"))
    assert first.dedupe_key == again.dedupe_key and first.dedupe_key.startswith("abc123:")
    assert same_second.ok and same_second.dedupe_key != first.dedupe_key


def _status(status: str) -> bytes:
    order = json.loads(ORDER)
    order["status"] = status
    return json.dumps(order, separators=(",", ":")).encode()


@pytest.mark.parametrize(("topic", "body", "kind", "external_id"), [
    ("order.created", ORDER, "order.upsert", "727"),
    ("order.updated", _status("completed"), "order.upsert", "727"),
    ("order.restored", ORDER, "order.upsert", "727"),
    ("order.updated", _status("pending"), "order.upsert", "727"),  # mapping skips it; the hub cancels
    ("order.updated", _status("cancelled"), "order.cancel", "727"),
    ("order.updated", _status("refunded"), "order.cancel", "727"),
    ("order.updated", _status("trash"), "order.cancel", "727"),
    ("order.deleted", b'{"id":727}', "order.delete", "727"),
    ("product.updated", b'{"id":93}', "ignored", None),
    ("action.woocommerce_add_to_cart", b'{"action":"woocommerce_add_to_cart","arg":"x"}', "ignored", None),
    ("order.created", b"[1,2]", "ignored", None),
    ("order.created", b"<html>", "ignored", None),
])
def test_topics_become_events(topic: str, body: bytes, kind: str, external_id: str | None) -> None:
    (event,) = connector().parse(signed(body, topic, "d9"))
    assert (event.kind, event.external_id, event.topic) == (kind, external_id, topic)
    if kind == "ignored":
        assert event.reason


def test_occurred_at_is_date_modified_gmt_in_utc() -> None:
    (event,) = connector().parse(signed(ORDER, "order.created", "d1"))
    assert event.occurred_at is not None and event.occurred_at.isoformat() == "2017-03-22T19:28:08+00:00"
    (deleted,) = connector().parse(signed(b'{"id":727}', "order.deleted", "d2"))
    assert deleted.occurred_at is None


def test_sign_helper_matches_the_fixture_free_algorithm() -> None:
    assert sign("secret", b"{}") == base64.b64encode(hmac.new(b"secret", b"{}", hashlib.sha256).digest()).decode()
