"""OAuth 1.0a signing against published vectors: RFC 5849 section 3.4.1 (base string) and the
HMAC-SHA1/HMAC-SHA256 signatures oauthlib's test suite computed with OpenSSL for that base string
(oauthlib/oauthlib tests/oauth1/rfc5849/test_signatures.py)."""

from __future__ import annotations

from connectors.magento import oauth1

# RFC 5849 section 3.4.1.3.1: the request's parameters (query, body and Authorization header).
RFC_PARAMS = [
    ("b5", "=%3D"), ("a3", "a"), ("c@", ""), ("a2", "r b"), ("oauth_consumer_key", "9djdj82h48djs9d2"),
    ("oauth_token", "kkk9d7dh3k39sjv7"), ("oauth_signature_method", "HMAC-SHA1"), ("oauth_timestamp", "137131201"),
    ("oauth_nonce", "7d8f3e4a"), ("c2", ""), ("a3", "2 q"),
]
RFC_BASE_STRING = (
    "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D"
    "%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1"
    "%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
)
CLIENT_SECRET = "ECrDNoq1VYzzzzzzzzzyAK7TwZNtPnkqatqZZZZ"
TOKEN_SECRET = "just-a-string    asdasd"


def test_base_string_is_rfc_5849s() -> None:
    assert oauth1.signature_base_string("post", "http://EXAMPLE.COM:80/request?b5=ignored", RFC_PARAMS) == RFC_BASE_STRING


def test_hmac_sha256_vector() -> None:
    assert oauth1.sign(RFC_BASE_STRING, CLIENT_SECRET, TOKEN_SECRET, "HMAC-SHA256") == "wdfdHUKXHbOnOGZP8WFAWMSAmWzN3EVBWWgXGlC/Eo4="


def test_hmac_sha1_vector() -> None:
    assert oauth1.sign(RFC_BASE_STRING, CLIENT_SECRET, TOKEN_SECRET, "HMAC-SHA1") == "wsdNmjGB7lvis0UJuPAmjvX/PXw="


def test_base_string_uri_rules() -> None:
    assert oauth1.base_string_uri("https://Shop.Example.com:443/rest/V1/orders?x=1") == "https://shop.example.com/rest/V1/orders"
    assert oauth1.base_string_uri("http://127.0.0.1:8080/rest") == "http://127.0.0.1:8080/rest"


def test_authorization_header_signs_the_query_and_is_reproducible() -> None:
    query = [("searchCriteria[pageSize]", "50"), ("searchCriteria[filter_groups][0][filters][0][value]", "2024-05-01 10:00:00")]
    args = dict(consumer_key="ck", consumer_secret="cs", token="at", token_secret="ts", nonce="n0nce", timestamp=1700000000)
    header = oauth1.authorization_header("GET", "https://shop.example.com/rest/default/V1/orders", query, **args)
    assert header == oauth1.authorization_header("GET", "https://shop.example.com/rest/default/V1/orders", query, **args)
    assert header.startswith('OAuth oauth_consumer_key="ck", oauth_nonce="n0nce", oauth_signature_method="HMAC-SHA256"')
    other = oauth1.authorization_header("GET", "https://shop.example.com/rest/default/V1/orders", query[:1], **args)
    assert other != header  # the query is part of what is signed
