"""Sign warehouse events the way a warehouse does (with the standardwebhooks package), for the tests."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from standardwebhooks import Webhook

from hub.plugins import InboundRequest
from hub.testing import FIXED_NOW, make_request

FIXTURES = Path(__file__).parent / "fixtures"
# 24 random bytes, base64: the size the Standard Webhooks spec asks for (this one is the spec's test vector).
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OTHER_SECRET = "whsec_5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH"
PICK_BY_SECRET = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def signed_headers(body: bytes | str, *, msg_id: str, at: datetime, secret: str = SECRET) -> dict[str, str]:
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, text),
        "content-type": "application/json",
    }


def signed_request(body: bytes | dict[str, Any], *, msg_id: str = "msg_test_1", sent_at: datetime | None = None,
                   received_at: datetime = FIXED_NOW, secret: str = SECRET) -> InboundRequest:
    """A request signed at ``sent_at`` (30 s before it was received, by default)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
    at = sent_at or received_at - timedelta(seconds=30)
    return make_request(raw, signed_headers(raw, msg_id=msg_id, at=at, secret=secret), received_at=received_at)
