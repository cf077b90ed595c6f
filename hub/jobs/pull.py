"""Outbox handler "poll": pull orders from a source that sends no webhooks (scheduling: hub/intake/polling.py).

Generic for any connector with ``pull_orders``. A run asks the connector for pages of orders after the
installation's bookmark and stores each order in the inbox like a webhook body (header
``X-Hub-Pulled: 1``), so the ingest job treats pulled and pushed orders the same way: the connector's
``parse`` reads the stored item, the mapping and the upsert follow. Each page is one transaction: its
inbox rows and the new bookmark commit together, so a crash between pages loses nothing and repeats
nothing (re-pulled orders hit the inbox dedupe key ``"<external id>:<updated_at>"``).

Then the run schedules the next one as a "poll" work row due later, keyed ``poll-<installation id>``:
a row is added only when none with that key is waiting, so there is never more than one chain per
installation, and a wiped Redis or a dead worker delays a poll by one sweep at most. Errors: 401/403 pause the installation with the reason (the owner must fix the
credentials); 429, 5xx and timeouts try again later, honouring Retry-After, without moving the bookmark.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import requests
from sqlalchemy import select

from hub.db.engine import transaction
from hub.db.models import Installation
from hub.errors import TransientError, classify_exception, retry_after_s
from hub.intake.inbox import store
from hub.intake.polling import poll_interval_s, polls, schedule_poll
from hub.ledger.installations import connector_for
from hub.outbox.running import payload_of
from hub.plugins.capabilities import PULL_ORDERS, RECEIVE_WEBHOOK, require
from hub.plugins.spec import PluginError
from hub.plugins.values import Headers, InboundRequest, PullBatch
from hub.runtime import Runtime, get_runtime

log = logging.getLogger(__name__)

#: Marks an inbox item the hub pulled itself; the connector's ``parse`` recognises it by this header.
PULLED_HEADER = "X-Hub-Pulled"
# Orders per page: catches up a backlog quickly while one page of full orders (often tens of KB each)
# stays a modest response and a short transaction.
PAGE_SIZE = 50
# Pages per run: bounds how long one run holds a worker (each page is one HTTP call that may take up to
# the connector's timeout, 30 s by default, so 5 pages stay inside the periodic policy's 300 s job
# timeout). A longer backlog continues in the next run, scheduled right away (CATCH_UP_DELAY_S).
MAX_PAGES_PER_RUN = 5
# Next run after a run that stopped with pages still waiting: at once, but through the scheduler so this
# run finishes first and runs of one installation never overlap.
CATCH_UP_DELAY_S = 1
# Longest wait after repeated failures: a store that is down is still tried at least once an hour.
MAX_BACKOFF_S = 3600


def run_poll_item(runtime: Runtime, item_id: int) -> None:
    """Work-row handler "poll"."""
    installation_id = payload_of(runtime, item_id).get("installation_id")
    if installation_id:
        poll_installation(installation_id)


def dedupe_key(connector: object, body: bytes) -> str | None:
    """``"<external id>:<updated_at>"`` from the connector's own reading of the item, so pulling the same
    version of an order again is a no-op; None (the inbox then hashes the body) when it names neither."""
    events = require(connector, RECEIVE_WEBHOOK).parse(pulled_request("", body))
    for event in events:
        if event.external_id is not None and event.occurred_at is not None:
            return f"{event.external_id}:{event.occurred_at.astimezone(timezone.utc).isoformat()}"
    return None


def pulled_request(installation_id: str, body: bytes) -> InboundRequest:
    return InboundRequest(method="PULL", path=f"/pull/{installation_id}", headers=Headers(_headers()), body=body,
                          query={}, remote_addr=None, received_at=datetime.now(timezone.utc))


def _headers() -> list[tuple[str, str]]:
    return [(PULLED_HEADER, "1"), ("Content-Type", "application/json")]


@dataclass
class Progress:
    pages: int = 0
    stored: int = 0
    duplicates: int = 0
    more: bool = False


def _store_batch(runtime: Runtime, connector: object, installation_id: str, bookmark: str | None,
                 batch: PullBatch, progress: Progress) -> bool:
    """Store one page and move the bookmark, in one transaction. False when another run moved the
    bookmark meanwhile (this run then stops and leaves the installation to it)."""
    with transaction(runtime.sessions) as session:
        installation = session.execute(
            select(Installation).where(Installation.id == installation_id).with_for_update()).scalar_one_or_none()
        if installation is None or installation.bookmark != bookmark:
            return False
        for order in batch.items:
            body = json.dumps(order, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            _, duplicate = store(
                session, tenant_id=installation.tenant_id, source_key=installation.id, installation_id=installation.id,
                dedupe_key=dedupe_key(connector, body), body=body, headers=_headers(), method="PULL",
                path=f"/pull/{installation.id}", verification="pulled by the hub",
            )
            progress.duplicates += duplicate
            progress.stored += not duplicate
        if batch.next_bookmark:
            installation.bookmark = batch.next_bookmark
        return True


def _record(runtime: Runtime, installation_id: str, **poll_state: Any) -> None:
    with transaction(runtime.sessions) as session:
        installation = session.get(Installation, installation_id)
        if installation is not None:
            installation.state = {**(installation.state or {}), "poll": {
                **poll_state, "at": datetime.now(timezone.utc).isoformat()}}


def _wait_asked(exc: BaseException) -> float | None:
    if isinstance(exc, TransientError):
        return exc.retry_after_s
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return retry_after_s(exc.response.headers)
    return None


def _failed(runtime: Runtime, installation_id: str, exc: BaseException, interval: int, progress: Progress) -> dict[str, Any]:
    # A connector that no longer loads or settings that no longer validate need the owner, like a 401.
    kind = "configuration" if isinstance(exc, PluginError) else classify_exception(exc)
    reason = f"{type(exc).__name__}: {exc}"[:1000]
    if kind == "configuration":
        with transaction(runtime.sessions) as session:
            installation = session.get(Installation, installation_id)
            if installation is not None:
                installation.status, installation.paused_reason = "paused", f"polling the store failed: {reason}"
        log.warning("installation %s paused: %s", installation_id, reason)
        return {"state": "paused", "reason": reason, "pages": progress.pages, "stored": progress.stored}
    with runtime.sessions() as session:
        installation = session.get(Installation, installation_id)
        failures = int(((installation.state or {}).get("poll") or {}).get("failures", 0)) + 1 if installation else 1
    backoff = min(interval * 2 ** (failures - 1), MAX_BACKOFF_S)
    delay = max(float(backoff), _wait_asked(exc) or 0.0)
    _record(runtime, installation_id, ok=False, error=reason, error_kind=kind, failures=failures, retry_in_s=delay)
    schedule_poll(runtime, installation_id, delay)
    log.warning("polling installation %s failed (%s, try %d); next poll in %ss", installation_id, reason, failures, delay)
    return {"state": "retrying", "error": reason, "error_kind": kind, "retry_in_s": delay,
            "pages": progress.pages, "stored": progress.stored}


def poll_installation(installation_id: str) -> dict[str, Any]:
    """One polling run for one installation (an RQ job: ids in, a JSON summary out)."""
    runtime = get_runtime()
    with runtime.sessions() as session:
        installation = session.get(Installation, installation_id)
        if installation is None:
            return {"state": "missing"}
        if installation.status != "active":
            return {"state": "paused", "reason": installation.paused_reason}
        interval, bookmark = poll_interval_s(installation), installation.bookmark
    try:
        connector = connector_for(runtime.registry, installation)
    except Exception as exc:  # the connector no longer loads or its settings no longer validate
        return _failed(runtime, installation_id, exc, interval, Progress())
    if not polls(connector):
        return {"state": "skipped", "reason": f"connector {installation.connector!r} does not pull orders"}
    progress = Progress()
    try:
        while progress.pages < MAX_PAGES_PER_RUN:
            batch = require(connector, PULL_ORDERS).pull(bookmark, limit=PAGE_SIZE)
            progress.pages += 1
            if not _store_batch(runtime, connector, installation_id, bookmark, batch, progress):
                return {"state": "superseded", "pages": progress.pages, "stored": progress.stored}
            bookmark, progress.more = batch.next_bookmark or bookmark, batch.has_more
            if not progress.more:
                break
    except Exception as exc:
        return _failed(runtime, installation_id, exc, interval, progress)
    _record(runtime, installation_id, ok=True, failures=0, pages=progress.pages, stored=progress.stored)
    schedule_poll(runtime, installation_id, CATCH_UP_DELAY_S if progress.more else interval)
    return {"state": "polled", "pages": progress.pages, "stored": progress.stored,
            "duplicates": progress.duplicates, "more": progress.more, "bookmark": bookmark}
