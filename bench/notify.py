"""Customer-message benchmark: `python bench/notify.py [--deliveries 200]`.

On a fresh SQLite file and a local SMTP sink (the demo's), with the hub's own Redis: creates deliveries with
their `delivery.created` events, then runs the work they cause (plan the "order confirmed" email, send it over
SMTP) with the worker's own claim-and-run loop, one lane at a time. Prints a table: the ingest lane's rows (the
deliveries' analytics refolds and, for a tenant with a channel, their `notify` rows) and the time per row, the
sends and the time per send, and emails received; plus the same for a tenant with no channel set up (it gets no
`notify` rows: hub/outbox/kinds.py `tenant_wants`).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from hub.config import Config  # noqa: E402
from hub.db.models import OutboxItem  # noqa: E402
from hub.db.engine import transaction  # noqa: E402
from hub.demo.smtp_sink import SmtpSink  # noqa: E402
from hub.app import create_app  # noqa: E402
from hub.ledger.tenants import create_tenant, issue_key  # noqa: E402
from hub.notify.settings import save_settings  # noqa: E402
from hub.outbox import relay  # noqa: E402
from hub.runtime import build_runtime, set_runtime  # noqa: E402
from tests.notify.standins import delivery_input  # noqa: E402


def _deliveries(client: Any, key: str, count: int, prefix: str) -> None:
    """Posted as a client posts them (POST /api/v1/deliveries: created in the request, with its event)."""
    for i in range(count):
        answer = client.post("/api/v1/deliveries", json=delivery_input(external_id=f"{prefix}-{i}", country="DE"),
                             headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 202, answer.json


def _run(runtime: Any, lane: str) -> tuple[int, float]:
    started = time.perf_counter()
    if os.environ.get("BENCH_PROFILE") == lane:
        import cProfile
        import pstats
        profile = cProfile.Profile()
        ran = profile.runcall(relay.drain_lane, runtime, lane)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    else:
        ran = relay.drain_lane(runtime, lane)
    return ran, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=200)
    args = parser.parse_args()
    sink = SmtpSink()
    with tempfile.TemporaryDirectory() as tmp:
        runtime = build_runtime(Config.from_env({"HUB_DATA_DIR": tmp, "HUB_SECRET_KEY": "bench",
                                                 "HUB_ALLOW_PRIVATE_WEBHOOK_TARGETS": "true"}))  # the sink: 127.0.0.1
        set_runtime(runtime)
        try:
            with transaction(runtime.sessions) as session:
                sending, silent = create_tenant(session, "bench-sends"), create_tenant(session, "bench-silent")
                errors = save_settings(session, sending.id, {
                    "quiet_hours": {"start": "00:00", "end": "00:00", "bypass": []},
                    "email": {"host": "127.0.0.1", "port": sink.port, "security": "none",
                              "from_address": "bench@example.com"}})
                assert not errors, errors
                keys = {"tenant with SMTP": issue_key(session, sending, "admin")[1],
                        "tenant with no channel": issue_key(session, silent, "admin")[1]}
                tenants = {"tenant with SMTP": sending.id, "tenant with no channel": silent.id}
            client = create_app(runtime=runtime).test_client()
            rows = []
            for label, key in keys.items():
                _deliveries(client, key, args.deliveries, label.split()[-1])
                relay.drain_lane(runtime, "assign")  # their assignment work first, not timed
                planned, planned_s = _run(runtime, "ingest")  # "notify": plan (and render) the messages
                sent, sent_s = _run(runtime, "webhooks")  # "notify.send": over SMTP to the sink
                with runtime.sessions() as session:
                    notify_rows = session.scalar(select(func.count()).select_from(OutboxItem).where(
                        OutboxItem.kind == "notify", OutboxItem.tenant_id == tenants[label]))
                rows.append((label, planned, notify_rows, planned_s, sent, sent_s))
        finally:
            runtime.close()
            sink.stop()
    print(f"{'':<24}{'ingest rows':>12}{'of them notify':>16}{'ms/row':>9}{'send rows':>11}{'ms/row':>9}")
    for label, planned, notify_rows, planned_s, sent, sent_s in rows:
        per_plan = planned_s / planned * 1000 if planned else 0.0
        per_send = sent_s / sent * 1000 if sent else 0.0
        print(f"{label:<24}{planned:>12}{notify_rows:>16}{per_plan:>9.1f}{sent:>11}{per_send:>9.1f}")
    print(f"emails received by the SMTP sink: {len(sink.inbox)}")


if __name__ == "__main__":
    main()
