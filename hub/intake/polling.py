"""When an installation's orders are pulled: one chain of "poll" work rows per installation whose connector
pulls orders (sources that send no webhooks). The pull itself is the "poll" handler, hub/jobs/pull.py.

A poll is a work row keyed ``poll-<installation id>``, added only when none with that key is waiting, so
there is never more than one chain per installation and a wiped Redis or a dead worker delays a poll by one
sweep at most.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from hub.db.engine import transaction
from hub.db.models import Installation, utcnow
from hub.ledger.installations import connector_for
from hub.outbox.rows import add_outbox, pending_with_key, schedule_once
from hub.plugins.capabilities import PULL_ORDERS, RECEIVE_WEBHOOK, supports
from hub.runtime import Runtime

log = logging.getLogger(__name__)

POLL_KIND = "poll"
# For connectors without a poll_interval_s setting: a minute keeps deliveries fresh without loading the store.
DEFAULT_INTERVAL_S = 60


def poll_job_id(installation_id: str) -> str:
    return f"poll-{installation_id}"



def poll_interval_s(installation: Installation) -> int:
    value = (installation.settings or {}).get("poll_interval_s", DEFAULT_INTERVAL_S)
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return DEFAULT_INTERVAL_S


def schedule_poll(runtime: Runtime, installation_id: str, delay_s: float) -> None:
    """Schedule the installation's next poll ``delay_s`` from now: a "poll" work row, unless one is waiting."""
    with transaction(runtime.sessions) as session:
        installation = session.get(Installation, installation_id)
        if installation is not None:
            schedule_once(session, tenant_id=installation.tenant_id, kind=POLL_KIND,
                          payload={"installation_id": installation_id}, dedupe_key=poll_job_id(installation_id),
                          due_at=utcnow() + timedelta(seconds=max(0.0, delay_s)))


def start_polling(runtime: Runtime, installation_id: str) -> bool:
    """Poll now unless a poll for this installation is already waiting or running. True when one was added."""
    with transaction(runtime.sessions) as session:
        installation = session.get(Installation, installation_id)
        if installation is None or pending_with_key(session, poll_job_id(installation_id)):
            return False
        add_outbox(session, tenant_id=installation.tenant_id, kind=POLL_KIND,
                   payload={"installation_id": installation_id}, dedupe_key=poll_job_id(installation_id))
        return True


def polls(connector: object) -> bool:
    """The connector can be polled: it pulls orders and can read the items it pulled back (``parse``)."""
    return supports(connector, PULL_ORDERS) and supports(connector, RECEIVE_WEBHOOK)


def schedule_all_polls(runtime: Runtime) -> list[str]:
    """At worker start: a poll for every active installation whose connector pulls orders. Installations
    with a poll already scheduled keep it. Returns the installation ids that were looked at."""
    with runtime.sessions() as session:
        installations = session.execute(select(Installation).where(Installation.status == "active")).scalars().all()
    started = []
    for installation in installations:
        try:
            if polls(connector_for(runtime.registry, installation)):
                start_polling(runtime, installation.id)
                started.append(installation.id)
        except Exception:  # one broken installation (connector gone, bad settings) must not stop the others
            log.exception("could not schedule polling for installation %s", installation.id)
    return started
