"""Form nonces for the customer's pages: a POST must carry a nonce the hub signed for this very page (the
tracking token) within the last two hours, so another site cannot post a choice in the recipient's name.
Stateless: HMAC-SHA256 over token and time with the hub's secret key; no cookie, no session."""

from __future__ import annotations

import hashlib
import hmac
import time

# Long enough to read the page, think and choose; short enough that a leaked page soon stops working.
MAX_AGE_S = 2 * 3600


def _sign(secret: str, token: str, issued: int) -> str:
    return hmac.new(secret.encode(), f"next-attempt|{token}|{issued}".encode(), hashlib.sha256).hexdigest()


def issue(secret: str, token: str, now: float | None = None) -> str:
    issued = int(time.time() if now is None else now)
    return f"{issued}.{_sign(secret, token, issued)}"


def valid(secret: str, token: str, nonce: str, now: float | None = None) -> bool:
    issued_text, _, signature = (nonce or "").partition(".")
    if not issued_text.isdigit() or not signature:
        return False
    issued = int(issued_text)
    age = (time.time() if now is None else now) - issued
    return 0 <= age <= MAX_AGE_S and hmac.compare_digest(signature, _sign(secret, token, issued))
