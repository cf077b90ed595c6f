"""Errors, classified once: transient (retry), permanent (record, no retry), configuration (pause the
installation and tell its owner). One default HTTP table; Retry-After is honoured."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Literal, Mapping

import requests
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

ErrorKind = Literal["transient", "permanent", "configuration"]


class HubError(Exception):
    kind: ErrorKind = "permanent"


class TransientError(HubError):
    kind: ErrorKind = "transient"

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class PermanentError(HubError):
    kind: ErrorKind = "permanent"


class ConfigurationError(HubError):
    kind: ErrorKind = "configuration"


def classify_status(status: int) -> ErrorKind | None:
    """None for success; otherwise what a failed HTTP answer means for a retry."""
    if status < 400:
        return None
    if status in (408, 429) or status >= 500:
        return "transient"
    if status in (401, 403):
        return "configuration"
    return "permanent"


def retry_after_s(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date), if any."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def classify_exception(exc: BaseException) -> ErrorKind:
    if isinstance(exc, HubError):
        return exc.kind
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return classify_status(exc.response.status_code) or "permanent"
    if isinstance(exc, (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError)):
        return "transient"
    if isinstance(exc, (OperationalError, StaleDataError)):
        return "transient"  # lock timeouts, a concurrent writer won: try again
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return "transient"
    return "permanent"
