"""Standard Webhooks signatures (the `standardwebhooks` package signs), with two during a rotation."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta, timezone
from math import floor

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
# 32 random bytes: above the spec's 24-byte minimum, the same strength as the HMAC-SHA256 key size.
SECRET_BYTES = 32
# After a rotation the old secret keeps signing for a day: receivers deploy the new secret at their
# own pace, and retries already scheduled still verify against whichever secret the receiver holds.
ROTATION_OVERLAP = timedelta(hours=24)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def signature_header(msg_id: str, timestamp: datetime, body: str, secret: str, previous: str | None = None) -> str:
    """The webhook-signature value: `v1,<sig>`, then `v1,<sig with the previous secret>` when given."""
    signatures = [Webhook(secret).sign(msg_id=msg_id, timestamp=timestamp, data=body)]
    if previous:
        signatures.append(Webhook(previous).sign(msg_id=msg_id, timestamp=timestamp, data=body))
    return " ".join(signatures)


def signed_headers(msg_id: str, body: str, secret: str, *, previous: str | None = None,
                   timestamp: datetime | None = None) -> dict[str, str]:
    """The three Standard Webhooks headers for one send. The timestamp is the send time, not the event's."""
    moment = (timestamp or datetime.now(timezone.utc)).replace(microsecond=0)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(floor(moment.timestamp())),
        "webhook-signature": signature_header(msg_id, moment, body, secret, previous),
    }
