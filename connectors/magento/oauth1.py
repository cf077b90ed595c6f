"""OAuth 1.0a request signing (RFC 5849), the way Magento checks integration tokens. Pure functions.

Magento signs over: the method, the URL without its query, and the sorted, percent-encoded pairs of the
``oauth_*`` protocol parameters plus the *decoded* query-string parameters (a JSON body is never part of
it). Signing key: ``percent(consumer_secret) & percent(token_secret)``. Magento accepts HMAC-SHA256.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import quote, urlsplit, urlunsplit

SIGNATURE_METHODS = {"HMAC-SHA1": hashlib.sha1, "HMAC-SHA256": hashlib.sha256}


def percent(value: str) -> str:
    """RFC 5849 section 3.6: everything but ALPHA / DIGIT / "-" / "." / "_" / "~" is %XX (UTF-8)."""
    return quote(str(value), safe="~")


def base_string_uri(url: str) -> str:
    """RFC 5849 section 3.4.1.2: scheme and host in lower case, default ports dropped, no query."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", "", ""))


def normalized_parameters(params: Iterable[tuple[str, str]]) -> str:
    """RFC 5849 section 3.4.1.3.2: encode names and values, sort by name then value, join with & and =."""
    encoded = sorted((percent(k), percent(v)) for k, v in params if k != "oauth_signature")
    return "&".join(f"{k}={v}" for k, v in encoded)


def signature_base_string(method: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """RFC 5849 section 3.4.1: METHOD & percent(base URI) & percent(normalized parameters)."""
    return "&".join((method.upper(), percent(base_string_uri(url)), percent(normalized_parameters(params))))


def sign(base_string: str, consumer_secret: str, token_secret: str, method: str = "HMAC-SHA256") -> str:
    """Base64 of HMAC(key = percent(consumer secret) & percent(token secret), base string)."""
    digest = SIGNATURE_METHODS[method]
    key = f"{percent(consumer_secret)}&{percent(token_secret)}".encode("utf-8")
    return base64.b64encode(hmac.new(key, base_string.encode("utf-8"), digest).digest()).decode("ascii")


def authorization_header(
    method: str,
    url: str,
    query: Iterable[tuple[str, str]],
    *,
    consumer_key: str,
    consumer_secret: str,
    token: str,
    token_secret: str,
    nonce: str,
    timestamp: int,
    signature_method: str = "HMAC-SHA256",
) -> str:
    """The ``Authorization: OAuth ...`` value for one request. ``query`` holds the decoded query pairs
    exactly as they are sent; ``nonce`` and ``timestamp`` come from the caller (so this stays pure)."""
    protocol = [
        ("oauth_consumer_key", consumer_key),
        ("oauth_nonce", nonce),
        ("oauth_signature_method", signature_method),
        ("oauth_timestamp", str(int(timestamp))),
        ("oauth_token", token),
        ("oauth_version", "1.0"),
    ]
    base = signature_base_string(method, url, [*protocol, *query])
    signed = [*protocol, ("oauth_signature", sign(base, consumer_secret, token_secret, signature_method))]
    return "OAuth " + ", ".join(f'{percent(k)}="{percent(v)}"' for k, v in signed)
