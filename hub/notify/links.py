"""The links a message carries: the tracking page, the "what happens next" page after a failed attempt, and a
signed one-click unsubscribe link for the email's address (HMAC-SHA256 with a key derived from HUB_SECRET_KEY;
it names the tenant and the address, so it opts out exactly that address, and only the hub can make one)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass

from hub.ledger.tracking_links import tracking_url

# Names this use of the secret key: a signature made for another purpose never verifies here.
UNSUBSCRIBE_CONTEXT = b"delivery-hub/notify/unsubscribe/v1"
UNSUBSCRIBE_PATH = "/notify/unsubscribe/"


@dataclass(frozen=True)
class Unsubscribe:
    tenant_id: str
    channel: str
    address: str


def _key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode("utf-8"), UNSUBSCRIBE_CONTEXT, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def unsubscribe_token(secret_key: str, tenant_id: str, channel: str, address: str) -> str:
    payload = _b64(json.dumps([tenant_id, channel, address], separators=(",", ":")).encode("utf-8"))
    signature = _b64(hmac.new(_key(secret_key), payload.encode("ascii"), hashlib.sha256).digest())
    return f"{payload}.{signature}"


def read_unsubscribe_token(secret_key: str, token: str) -> Unsubscribe | None:
    """What a token opts out, or None when it was not made by this hub (or was altered)."""
    payload, _, signature = (token or "").partition(".")
    if not payload or not signature or len(token) > 2000:
        return None
    expected = _b64(hmac.new(_key(secret_key), payload.encode("ascii", "replace"), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature):
        return None
    try:
        tenant_id, channel, address = json.loads(_unb64(payload))
    except (ValueError, TypeError):
        return None
    return Unsubscribe(str(tenant_id), str(channel), str(address))


def unsubscribe_url(public_url: str, token: str, language: str | None = None) -> str:
    """The link in an email's footer; with the email's language, the page answers in it."""
    return f"{public_url.rstrip('/')}{UNSUBSCRIBE_PATH}{token}" + (f"?lang={language}" if language else "")


def reschedule_url(public_url: str, token: str) -> str:
    """The customer's "what happens next" page after a failed attempt (hub/customer): the tracking page's /next."""
    return f"{tracking_url(public_url, token)}/next"
