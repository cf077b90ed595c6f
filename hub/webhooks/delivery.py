"""Sending webhooks: one signed POST per try, in order per delivery and subscriber (run by hub/jobs/webhooks.py).

The message rows are written with the event itself (hub/ledger/subscribers.py `fan_out_event`), each with its
work row. A try that must wait (backoff, Retry-After, an earlier message of the same delivery still open)
raises `Deferred`: the work row stays pending with a later `due_at`, the message keeps `next_attempt_at`.
When a message ends (sent, or dead), the next one of its delivery is made due in the same transaction.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
import urllib3
from sqlalchemy import select

from hub.db.engine import transaction
from hub.db.models import OutboxItem, utcnow
from hub.db.models.webhooks import (
    DEAD,
    OPEN_STATES,
    RETRYING,
    SUCCEEDED,
    WebhookAttempt,
    WebhookDelivery,
    WebhookPayload,
    WebhookSubscription,
)
from hub.outbox.rows import ring_after_commit
from hub.runtime import Runtime
from hub.version import __version__
from hub.webhooks import classify as policy
from hub.webhooks.service import disable
from hub.webhooks.signing import signed_headers
from hub.egress.targets import TargetRefused, check_target
from hub.egress.transport import WebhookSession, webhook_session

log = logging.getLogger(__name__)

# Standard Webhooks asks receivers to answer within seconds; 15 s leaves room for a slow one without
# letting a hanging endpoint hold a worker.
TIMEOUT_S = 15
# Receivers' answers are kept for the delivery log; 2 KB shows an error page's gist without storing pages.
RESPONSE_KEEP_BYTES = 2048
# A waiting message is made due by the earlier one when that ends (same transaction); it also looks again
# itself, in case the earlier one ended while this try was deciding to wait: every 10 s at first, then no
# later than 15 minutes after the earlier one's next try.
WAIT_RECHECK_S = 10.0
WAIT_RECHECK_MAX_S = 900.0
USER_AGENT = f"delivery-hub-webhooks/{__version__}"


@dataclass(frozen=True)
class Result:
    state: str  # the row's state afterwards, or "waiting" / "not_due" / "closed"
    wait_s: float | None = None  # when the row is still open: how long until the next try
    detail: str = ""


def _earlier_open(session: Any, row: WebhookDelivery) -> WebhookDelivery | None:
    if row.delivery_id is None:
        return None
    return session.execute(select(WebhookDelivery).where(
        WebhookDelivery.subscription_id == row.subscription_id, WebhookDelivery.delivery_id == row.delivery_id,
        WebhookDelivery.sequence < row.sequence, WebhookDelivery.state.in_(OPEN_STATES))
        .order_by(WebhookDelivery.sequence).limit(1)).scalar_one_or_none()


def _next_in_line(session: Any, row: WebhookDelivery) -> WebhookDelivery | None:
    if row.delivery_id is None:
        return None
    return session.execute(select(WebhookDelivery).where(
        WebhookDelivery.subscription_id == row.subscription_id, WebhookDelivery.delivery_id == row.delivery_id,
        WebhookDelivery.sequence > row.sequence, WebhookDelivery.state.in_(OPEN_STATES))
        .order_by(WebhookDelivery.sequence).limit(1)).scalar_one_or_none()


def attempt(runtime: Runtime, row_id: str, now: datetime | None = None) -> Result:
    """One try for one delivery row: check, sign, POST, record, decide. `now` drives the schedule (tests
    pass a fake one); the signature always carries the real send time, which receivers check."""
    now = now or utcnow()
    with runtime.sessions() as session:
        row = session.get(WebhookDelivery, row_id)
        if row is None or row.state not in OPEN_STATES:
            return Result("closed")
        due = row.next_attempt_at
        if due is not None and due > now:
            return Result("not_due", (due - now).total_seconds(), "not due yet")
        earlier = _earlier_open(session, row)
        if earlier is not None:
            until = ((earlier.next_attempt_at or now) - now).total_seconds()
            wait = min(WAIT_RECHECK_MAX_S, max(WAIT_RECHECK_S, until))
            return Result("waiting", wait, f"waiting for {earlier.id} (sequence {earlier.sequence}) to finish")
        subscription = session.get(WebhookSubscription, row.subscription_id)
        body = session.get(WebhookPayload, row.event_id).body
        url, secret = subscription.url, subscription.secret
        previous = subscription.previous_secret
        expires = subscription.previous_secret_expires_at
        if previous and (expires is None or expires <= now):
            previous = None
        enabled, reason = subscription.enabled, subscription.disabled_reason
    if not enabled:
        return _finish_closed(runtime, row_id, now, f"not sent: the subscription is disabled ({reason})")

    status, text, error, transient, headers_in = None, "", None, True, {}
    started = time.monotonic()
    http: WebhookSession | None = None
    try:
        pinned = check_target(url, allow_private=runtime.config.allow_private_webhook_targets)
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   **signed_headers(row_id, body, secret, previous=previous)}
        # pinned: connect to the address just checked, never to a second DNS answer (rebinding); the session's
        # deadline bounds the whole exchange, where the timeout bounds each read
        http = webhook_session(pinned, deadline_s=TIMEOUT_S)
        with http, http.post(url, data=body.encode("utf-8"), headers=headers, timeout=TIMEOUT_S,
                             allow_redirects=False, stream=True) as response:  # stream: read only what we keep
            status, headers_in = response.status_code, dict(response.headers)
            text = _kept_answer(response)
    except TargetRefused as exc:
        error, transient = f"target refused: {exc}", False
    except (requests.Timeout, requests.ConnectionError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    except requests.RequestException as exc:
        error, transient = f"{type(exc).__name__}: {exc}", False
    if error is not None and http is not None and http.deadline_passed:
        error, transient = f"no complete answer within {TIMEOUT_S} s", True
    duration_ms = int((time.monotonic() - started) * 1000)
    verdict = policy.classify(status, error=error, transient_error=transient, headers=headers_in, now=now)
    return _record(runtime, row_id, now, verdict, status, duration_ms, text, error)


def _kept_answer(response: requests.Response) -> str:
    """The start of the receiver's answer, for the delivery log. Its status is what counts: an answer cut off
    (by the deadline, or the receiver) keeps nothing, and the try stands on its status."""
    try:
        return response.raw.read(RESPONSE_KEEP_BYTES, decode_content=True).decode("utf-8", "replace")
    except (urllib3.exceptions.HTTPError, OSError):
        return ""


def _finish_closed(runtime: Runtime, row_id: str, now: datetime, why: str) -> Result:
    with transaction(runtime.sessions) as session:
        row = session.get(WebhookDelivery, row_id)
        row.state, row.completed_at, row.next_attempt_at, row.last_error = DEAD, now, None, why
        _release_next(session, row)
    return Result(DEAD, None, why)


def close_dead(session: Any, row_id: str | None, why: str) -> None:
    """A message whose work row died (its tries kept crashing) is dead too: visible in the subscription's log,
    replayable, and the next message of its delivery may go."""
    row = session.get(WebhookDelivery, row_id) if row_id else None
    if row is None or row.state not in OPEN_STATES:
        return
    now = utcnow()
    row.state, row.completed_at, row.next_attempt_at = DEAD, now, None
    row.last_error = f"not sent: {why}"
    _release_next(session, row)


def _record(runtime: Runtime, row_id: str, now: datetime, verdict: policy.Verdict, status: int | None,
            duration_ms: int, text: str, error: str | None) -> Result:
    with transaction(runtime.sessions) as session:
        row = session.get(WebhookDelivery, row_id)
        subscription = session.get(WebhookSubscription, row.subscription_id)
        row.attempts += 1
        row.first_attempted_at = row.first_attempted_at or now
        row.last_status_code, row.last_error = status, (None if verdict.action == "ok" else verdict.reason)
        action = verdict.action
        if action == "retry" and policy.gives_up(row.first_attempted_at, now):
            action, row.last_error = "dead", f"{verdict.reason}; gave up after {row.attempts} tries over a day"
        session.add(WebhookAttempt(webhook_delivery_id=row.id, attempted_at=now, status_code=status,
                                   duration_ms=duration_ms, response_body=text, error=error, outcome=action))
        wait_s = None
        if action == "ok":
            row.state, row.completed_at, row.next_attempt_at = SUCCEEDED, now, None
            subscription.consecutive_failures, subscription.failing_since = 0, None
        else:
            subscription.consecutive_failures += 1
            subscription.failing_since = subscription.failing_since or now
            if action == "retry":
                wait_s = policy.next_delay_s(verdict, row.attempts)
                row.state, row.next_attempt_at = RETRYING, now + timedelta(seconds=wait_s)
            else:
                row.state, row.completed_at, row.next_attempt_at = DEAD, now, None
            if action == "disable":
                disable(session, subscription, f"{verdict.reason} ({now:%Y-%m-%d %H:%M} UTC)", now)
            elif policy.endpoint_is_dead(subscription.consecutive_failures, subscription.failing_since, now):
                disable(session, subscription, f"every delivery failed for {policy.DISABLE_AFTER.days} days "
                        f"({subscription.consecutive_failures} tries in a row); last: {verdict.reason}", now)
        session.flush()
        state = row.state
        if state not in OPEN_STATES:
            _release_next(session, row)
    log.info("webhook %s: %s (%s)", row_id, state, verdict.reason)
    return Result(state, wait_s if state in OPEN_STATES else None, verdict.reason)


def _release_next(session: Any, row: WebhookDelivery) -> None:
    """The next message of the same delivery was waiting for this one: make it due now, in this transaction."""
    successor = _next_in_line(session, row)
    if successor is None or successor.outbox_id is None:
        return
    item = session.get(OutboxItem, successor.outbox_id)
    if item is not None and item.state == "pending":
        item.due_at = min(item.due_at, utcnow())  # due by the clock, whatever `now` a test passes to attempt()
        ring_after_commit(session, item.lane)
