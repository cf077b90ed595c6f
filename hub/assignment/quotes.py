"""Live quotes: a carrier set to `live_quote` is asked for its price for this very job through its
connector's `quote` capability, and that price replaces its price card in the engine's cost. A carrier
that cannot quote right now is scored by its price card, and the explanation says so."""

from __future__ import annotations

import logging
from dataclasses import replace
from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from hub.assignment.candidates import tenant_carriers
from hub.assignment.model import Candidate
from hub.carriers.exchange import build_job
from hub.db.models import Delivery, Installation
from hub.db.models.fleet import Assignment
from hub.ledger.installations import connector_for
from hub.plugins.capabilities import require, supports
from hub.runtime import get_runtime

log = logging.getLogger(__name__)


def with_live_quotes(session: Session, delivery: Delivery, candidates: list[Candidate]) -> list[Candidate]:
    quoting = {c.id: c for c in tenant_carriers(session, delivery.tenant_id) if c.live_quote and c.installation_id}
    if not quoting:
        return candidates
    runtime = get_runtime()
    priced = []
    for candidate in candidates:
        carrier = quoting.get(candidate.id)
        if carrier is None or not candidate.available:
            priced.append(candidate)
            continue
        try:
            installation = session.get(Installation, carrier.installation_id)
            connector = connector_for(runtime.registry, installation)
            if not supports(connector, "quote"):
                priced.append(candidate)
                continue
            probe = Assignment(job_id=f"quote-{delivery.id}")  # not stored: only names the job in the request
            quote = require(connector, "quote").quote(build_job(delivery.document, probe, runtime.config.public_url))
            priced.append(replace(candidate, quote=Decimal(str(quote.amount))))
        except (Exception, InvalidOperation) as exc:  # a quote is an optimisation; the price card still works
            log.warning("carrier %s could not quote delivery %s: %s", carrier.id, delivery.id, exc)
            priced.append(candidate)
    return priced
