"""Time-sortable ids: a prefix plus 26 Crockford base32 characters (ULID layout)."""

from __future__ import annotations

import secrets
import time

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
DELIVERY_PREFIX = "dlv_"
EVENT_PREFIX = "evt_"
JOB_PREFIX = "job_"


def sortable_id(prefix: str, *, now_ms: int | None = None) -> str:
    """``prefix`` + 48-bit millisecond timestamp + 80 random bits, as 26 Crockford base32 characters.

    Ids sort by creation time to the millisecond; within one millisecond the order is random.
    """
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    if not 0 <= ms < 1 << 48:
        raise ValueError(f"timestamp out of range for a 48-bit id: {ms}")
    value = (ms << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(CROCKFORD[value & 31])
        value >>= 5
    return prefix + "".join(reversed(chars))


def new_delivery_id() -> str:
    """A new delivery id, e.g. ``dlv_01JQ3Z8M6W4T9K2B7XH5N0RCVD``."""
    return sortable_id(DELIVERY_PREFIX)


def new_event_id() -> str:
    """A new event id, e.g. ``evt_01JQ3Z8M6W4T9K2B7XH5N0RCVD``."""
    return sortable_id(EVENT_PREFIX)


def new_job_id() -> str:
    """A new carrier job id, e.g. ``job_01JQ3Z8M6W4T9K2B7XH5N0RCVD``."""
    return sortable_id(JOB_PREFIX)
