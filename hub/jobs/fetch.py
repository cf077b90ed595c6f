"""Fetch: webhooks that carry only an order's id. The connector's ``parse`` returns an ``order.fetch`` event;
ingest turns it into a "fetch" work row in its own transaction, and this handler reads the order through
the connector's ``fetch_order`` with no transaction open (a store that answers slowly must not hold the
database's write lock), then ingests the order exactly as if the webhook had carried it.

Errors follow the ingest policy: a transient one (a timeout, 429, 5xx) is raised and the row is tried again
with backoff; a permanent one (a 404 the connector did not turn into None, a mapping that does not fit the
canonical schema) or a configuration one (401/403, which also pauses the installation) ends the row as
dead, with the reason, and `mark_dead` records that end on the inbox item the webhook was stored as.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.db.engine import transaction
from hub.db.models import InboxItem, Installation, OutboxItem, utcnow
from hub.errors import ConfigurationError, PermanentError, TransientError, classify_exception, retry_after_s
from hub.intake.handlers import apply_inbound_event
from hub.intake.inbox import outcome
from hub.ledger.installations import connector_for
from hub.outbox.running import payload_of
from hub.outbox.rows import add_outbox
from hub.plugins.capabilities import FETCH_ORDER, require, supports, why_unsupported
from hub.plugins.spec import PluginError
from hub.plugins.values import InboundEvent
from hub.runtime import Runtime

FETCH_KIND = "fetch"


def schedule_fetch(session: Session, item: InboxItem, connector: object, event: InboundEvent) -> dict[str, Any]:
    """The work row that fetches the order ``event`` names, in the ingest transaction of ``item``."""
    if not supports(connector, FETCH_ORDER):
        raise PermanentError(f"parse asked to fetch order {event.external_id!r}, but the connector does not "
                             f"implement {FETCH_ORDER!r}: {why_unsupported(connector, FETCH_ORDER)}")
    occurred = event.occurred_at.isoformat() if event.occurred_at else None
    work = add_outbox(session, tenant_id=item.tenant_id, kind=FETCH_KIND, payload={
        "inbox_id": item.id, "installation_id": item.installation_id, "external_id": str(event.external_id),
        "topic": event.topic, "occurred_at": occurred})
    return outcome("processed", kind=event.kind, external_id=str(event.external_id), fetch_work_id=work.id)


def fetch_item(runtime: Runtime, work_id: int) -> None:
    """Work-row handler "fetch"."""
    work = payload_of(runtime, work_id)
    with runtime.sessions() as session:  # read and let go: nothing is held while the store answers
        installation = session.get(Installation, work.get("installation_id"))
        if installation is None:  # deleted since: its webhooks are no longer wanted
            return
        try:
            connector = connector_for(runtime.registry, installation)
        except PluginError as exc:  # the connector no longer loads or its settings no longer validate
            raise ConfigurationError(f"cannot build the connector: {exc}") from exc
    external_id = str(work["external_id"])
    try:
        raw = require(connector, FETCH_ORDER).fetch_order(external_id)
    except Exception as exc:
        _raise_classified(runtime, str(work["installation_id"]), external_id, exc)
    _ingest(runtime, work, connector, raw)


def _raise_classified(runtime: Runtime, installation_id: str, external_id: str, exc: Exception) -> None:
    """Re-raise ``exc`` as the hub's own error kind, so the work row retries or ends as the kind says."""
    kind = classify_exception(exc)
    reason = f"fetching order {external_id!r} failed: {type(exc).__name__}: {exc}"
    if kind == "transient":
        response = getattr(exc, "response", None)
        asked = (exc.retry_after_s if isinstance(exc, TransientError)
                 else retry_after_s(response.headers) if response is not None else None)
        raise TransientError(reason, asked) from exc  # the row waits at least as long as the store asked
    if kind == "configuration":
        with transaction(runtime.sessions) as session:
            installation = session.get(Installation, installation_id)
            if installation is not None:
                installation.status, installation.paused_reason = "paused", reason
        raise ConfigurationError(reason) from exc
    raise PermanentError(reason) from exc


def _ingest(runtime: Runtime, work: dict[str, Any], connector: object, raw: Any) -> None:
    """The fetched order, ingested as a webhook that carried it would be; None (gone) as a deletion."""
    occurred = datetime.fromisoformat(work["occurred_at"]) if work.get("occurred_at") else None
    external_id = str(work["external_id"])
    if raw is not None and not isinstance(raw, Mapping):
        raise PermanentError(f"fetch_order({external_id!r}) returned {type(raw).__name__}, not the order's mapping")
    if raw is None:
        event = InboundEvent(kind="order.delete", external_id=external_id, payload={}, topic=work.get("topic", ""),
                             occurred_at=occurred, reason="the store no longer has this order")
    else:
        event = InboundEvent(kind="order.upsert", external_id=external_id, payload=raw,
                             topic=work.get("topic", ""), occurred_at=occurred)
    with transaction(runtime.sessions) as session:
        installation = session.get(Installation, work["installation_id"])
        if installation is None:
            return
        result = apply_inbound_event(runtime, session, installation, connector, event)
        item = session.get(InboxItem, work.get("inbox_id"))
        if item is not None:
            item.outcome = {**(item.outcome or {}), "fetched": result}


def mark_dead(session: Session, work: OutboxItem) -> None:
    """The fetch gave up: the inbox item it came from failed, with the reason, so the API says why."""
    item = session.get(InboxItem, (work.payload or {}).get("inbox_id"))
    if item is not None:
        reason = f"gave up after {work.attempts} tries: {work.last_error or 'unknown error'}"
        item.state, item.processed_at = "failed", utcnow()
        item.outcome = {**(item.outcome or {}), **outcome("failed", reason=reason)}
