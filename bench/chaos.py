"""Chaos harness: `python bench/chaos.py --deliveries 400 --kill-every 3 [--workers 2] [--rate 2] [--json]`.

Proves the job runtime loses nothing. On a fresh hub (its own data dir and database; the Redis db is
FLUSHED at start) it serves the web app, subscribes a verifying webhook receiver, sets up the demo's
capacity, starts workers and posts a day of deliveries while SIGKILLing one worker's process group every
few seconds (each replaced at once). Once the hub is quiet it checks: every accepted delivery exists once,
every published event reached the subscriber, in order per delivery, without a quick double send, and
every delivery's custody chain verifies. Exit code 0 when all of that holds.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import logging
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from bench import harness  # noqa: E402
from bench.chaos_load import KILL_JITTER_S, Log, Poster, kill_loop  # noqa: E402
from hub.demo.receiver import SUBSCRIBED_TYPES, Message, WebhookReceiver  # noqa: E402

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
# Quiet must hold this long in a row: one poll between a job ending and the next being enqueued is not quiet.
QUIET_HOLD_S = 3.0
# Long enough for retries with backoff and the sweeper's passes to finish a few hundred deliveries.
QUIET_TIMEOUT_S = 300.0
# Two receipts of one webhook-id closer than this are a double send, not a retry after a lost answer.
DOUBLE_SEND_S = 1.0
# While waiting for quiet, say what is still open this often.
PROGRESS_EVERY_S = 30.0
EXAMPLES = 10  # ids shown per failure kind

@dataclass
class ChaosReport:
    deliveries: int = 0
    accepted: int = 0
    lost: int = 0
    duplicated: int = 0
    events: int = 0  # published events (delivery_events of a subscribed type) for the tenant
    received: int = 0  # webhook requests the subscriber verified, repeats included
    missing: int = 0
    out_of_order: int = 0
    double_sends: int = 0
    redelivered: int = 0  # webhook-ids received more than once (at least DOUBLE_SEND_S apart: allowed)
    forged: int = 0  # requests that failed verification
    dead: int = 0
    dead_detail: dict[str, int] = field(default_factory=dict)
    custody_failures: int = 0
    kills: int = 0
    quiet: bool = False
    quiet_source: str = ""  # "hub status" or "database"
    time_to_quiet_s: float | None = None
    wall_s: float = 0.0
    data_dir: str = ""
    examples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.quiet and not (self.lost or self.duplicated or self.missing or self.out_of_order
                                   or self.double_sends or self.custody_failures)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}

    def table(self) -> str:
        ttq = "-" if self.time_to_quiet_s is None else f"{self.time_to_quiet_s:.1f} s"
        rows = [
            ("deliveries posted", self.deliveries, ""), ("accepted (202)", self.accepted, f"= {self.deliveries}"),
            ("lost", self.lost, "0"), ("duplicated", self.duplicated, "0"),
            ("events published", self.events, ""), ("webhooks received", self.received, ""),
            ("missing", self.missing, "0"), ("out of order", self.out_of_order, "0"),
            ("double sends (< 1 s)", self.double_sends, "0"), ("redelivered (>= 1 s)", self.redelivered, ""),
            ("forged", self.forged, "0"),
            ("dead", f"{self.dead} " + json.dumps(self.dead_detail) if self.dead else 0, ""),
            ("custody failures", self.custody_failures, "0"), ("workers killed", self.kills, ""),
            ("quiet reached", f"{'yes' if self.quiet else 'NO'} (via {self.quiet_source or '-'})", "yes"),
            ("last kill to quiet", ttq, ""), ("wall time", f"{self.wall_s:.1f} s", ""),
        ]
        lines = [f"{name:<24} {value!s:<28} {expect}" for name, value, expect in [("", "", "want"), *rows]]
        lines += [f"  {kind}: {', '.join(ids)}" for kind, ids in self.examples.items() if ids]
        lines.append(f"{'verdict':<24} {'OK' if self.ok else 'FAILED'}   (logs in {self.data_dir})")
        return "\n".join(lines)


class Subscriber(WebhookReceiver):
    """The demo's verifying receiver, answering 200 from the start (no simulated deploy)."""

    def __init__(self) -> None:
        super().__init__(outage_s=0)

    @property
    def receipts(self) -> list[Message]:
        return list(self.messages)


class Hub(harness.Hub):
    """A fresh hub for one run (bench/harness.py) that chaos also reads directly: its database and Redis
    through the hub's own runtime, and its RQ queues."""

    runtime: Any = None

    def prepare(self, tenant: str = "chaos") -> None:
        from hub.config import Config
        from hub.runtime import build_runtime

        super().prepare(tenant)
        self.runtime = build_runtime(Config.from_env(self.env), run_migrations=False)  # reads only

    def drop_queued_jobs(self) -> int:
        """What a worker killed between popping a job id and starting the job leaves behind: the job hash
        still says queued, but no queue list holds its id any more. Empties every rq:queue:* list."""
        import redis

        removed = 0
        with redis.Redis.from_url(self.redis_url) as client:
            for name in client.scan_iter(match="rq:queue:*"):
                if client.type(name) == b"list":
                    for job_id in client.lrange(name, 0, -1):
                        removed += int(client.lrem(name, 0, job_id))
        return removed

    def job_failed(self, job_id: str) -> bool:
        """Whether RQ gave up on the job for good (it sits in the failed registry)."""
        from rq.exceptions import NoSuchJobError
        from rq.job import Job, JobStatus

        try:
            job = Job.fetch(job_id, connection=self.runtime.redis, serializer=self.runtime.queue("ingest").serializer)
        except NoSuchJobError:
            return False
        return job.get_status(refresh=False) == JobStatus.FAILED

    def close(self) -> None:
        super().close()
        if self.runtime is not None:
            self.runtime.close()
            self.runtime = None


def status_quiet(hub: Hub, state: dict[str, Any]) -> bool:
    """Whether the hub is quiet: `hub status --json` when the hub has it, else the database. The last
    answer stays in state["last"] for the log."""
    if state.get("command", True):
        try:
            result: subprocess.CompletedProcess[str] | None = hub.cli("status", "--json", timeout=30)
        except subprocess.TimeoutExpired:
            result = None
        try:
            data = json.loads(result.stdout) if result is not None and result.returncode == 0 else None
        except ValueError:
            data = None
        if isinstance(data, dict) and "quiet" in data:
            state["source"], state["last"] = "hub status", data
            return bool(data["quiet"])
        if result is not None and "No such command" in result.stderr:
            state["command"] = False  # this hub has no status command: stop asking
    state["source"], state["last"] = "database", database_work(hub)
    return not any(state["last"].values())


def database_work(hub: Hub) -> dict[str, int]:
    """Inbox rows still to ingest and outbox rows still to run. Rows whose RQ job failed for good are
    dead, not open (the sweeper leaves them too); the report counts them under `dead`."""
    from sqlalchemy import func, select

    from hub.db.models import InboxItem, OutboxItem

    with hub.runtime.sessions() as session:
        inbox = session.scalar(select(func.count()).select_from(InboxItem).where(
            InboxItem.state.not_in(("processed", "skipped", "failed", "rejected", "dead")))) or 0
        query = select(OutboxItem.id).where(OutboxItem.processed_at.is_(None))
        if hasattr(OutboxItem, "state"):  # a ledger that marks dead rows itself
            query = query.where(OutboxItem.state != "dead")
        outbox = [i for i in session.scalars(query) if not hub.job_failed(f"outbox-{i}")]
    return {"inbox_open": inbox, "outbox_open": len(outbox)}


def wait_for_quiet(hub: Hub, timeout_s: float, log: Log) -> tuple[bool, float | None, str]:
    """Poll every second until quiet holds QUIET_HOLD_S in a row; returns (reached, when it began, source)."""
    state: dict[str, Any] = {}
    started = time.monotonic()
    since: float | None = None
    next_note = started + PROGRESS_EVERY_S
    while (tick := time.monotonic()) < started + timeout_s:
        if status_quiet(hub, state):
            since = since if since is not None else tick
            if time.monotonic() - since >= QUIET_HOLD_S:
                return True, since, state["source"]
        else:
            since = None
        if tick >= next_note and since is None:
            log(f"  not quiet yet after {tick - started:.0f} s ({state['source']}): {json.dumps(state['last'])}")
            next_note += PROGRESS_EVERY_S
        time.sleep(max(0.0, tick + 1.0 - time.monotonic()))
    log(f"!! not quiet after {timeout_s:.0f} s ({state.get('source')}): {json.dumps(state.get('last'))}")
    return False, None, state.get("source", "")


def check(hub: Hub, report: ChaosReport, accepted: dict[str, str], subscription_id: str,
          receipts: list[Message]) -> None:
    from sqlalchemy import func, select

    from hub.canonical import EVENT_TYPES
    from hub.db.media import media_store
    from hub.db.models import Delivery, DeliveryEvent, OutboxItem
    from hub.db.models.webhooks import WebhookDelivery
    from hub.execution.custody import verify_custody

    published = [t for t in EVENT_TYPES if any(fnmatch.fnmatchcase(t, p) for p in SUBSCRIBED_TYPES)]
    examples: dict[str, list[str]] = defaultdict(list)
    tenant = hub.tenant_id
    with hub.runtime.sessions() as session:
        rows = Counter(session.scalars(select(Delivery.external_id).where(Delivery.tenant_id == tenant)))
        lost = [e for e in accepted if e not in rows]
        twice = [e for e, n in rows.items() if n > 1]
        created = session.execute(select(DeliveryEvent.delivery_id, func.count()).where(
            DeliveryEvent.tenant_id == tenant, DeliveryEvent.type == "delivery.created")
            .group_by(DeliveryEvent.delivery_id).having(func.count() > 1)).all()
        events = session.execute(select(DeliveryEvent.id, DeliveryEvent.type, DeliveryEvent.delivery_id,
                                        DeliveryEvent.sequence).where(
            DeliveryEvent.tenant_id == tenant, DeliveryEvent.type.in_(published))).all()
        webhook_of = dict(session.execute(select(WebhookDelivery.event_id, WebhookDelivery.id).where(
            WebhookDelivery.subscription_id == subscription_id)).all())
        dead_webhooks = session.scalar(select(func.count()).select_from(WebhookDelivery).where(
            WebhookDelivery.tenant_id == tenant, WebhookDelivery.state == "dead")) or 0
        if hasattr(OutboxItem, "state"):
            dead_outbox = session.scalar(select(func.count()).select_from(OutboxItem).where(
                OutboxItem.state == "dead")) or 0
        else:
            dead_outbox = sum(hub.job_failed(f"outbox-{i}")
                              for i in session.scalars(select(OutboxItem.id).where(OutboxItem.processed_at.is_(None))))
        store = media_store(hub.runtime.config)
        custody = []
        for delivery in session.scalars(select(Delivery).where(Delivery.tenant_id == tenant)):
            result = verify_custody(session, store, delivery)
            if not result.ok:
                custody.append(f"{delivery.id} {result.first_broken}")
    received = {r.webhook_id for r in receipts}
    missing = []
    for event_id, kind, delivery_id, sequence in events:
        webhook_id = webhook_of.get(event_id)
        if webhook_id is None or webhook_id not in received:
            missing.append(f"{delivery_id}#{sequence} {kind} ({'no webhook row' if webhook_id is None else webhook_id})")
    seen: dict[str, float] = {}
    highest: dict[str | None, int] = {}
    out_of_order, double_sends, repeated = [], [], set()
    for r in sorted(receipts, key=lambda r: r.at):
        if r.webhook_id in seen:
            gap = r.at - seen[r.webhook_id]
            if gap < DOUBLE_SEND_S:
                double_sends.append(f"{r.webhook_id} ({gap:.2f} s apart)")
            else:
                repeated.add(r.webhook_id)
            seen[r.webhook_id] = r.at
            continue
        seen[r.webhook_id] = r.at
        if r.sequence < highest.get(r.delivery_id, -1):
            out_of_order.append(f"{r.delivery_id}: {r.sequence} after {highest[r.delivery_id]}")
        highest[r.delivery_id] = max(r.sequence, highest.get(r.delivery_id, -1))
    report.lost, report.duplicated = len(lost), len(twice) + len(created)
    report.events, report.received, report.missing = len(events), len(receipts), len(missing)
    report.out_of_order, report.double_sends, report.redelivered = len(out_of_order), len(double_sends), len(repeated)
    report.dead_detail = {"webhooks": dead_webhooks, "outbox": dead_outbox}
    report.dead, report.custody_failures = dead_webhooks + dead_outbox, len(custody)
    examples.update(lost=lost, duplicated=twice + [f"{d} ({n} x delivery.created)" for d, n in created],
                    missing=missing, out_of_order=out_of_order, double_sends=double_sends, custody=custody)
    report.examples = {k: v[:EXAMPLES] for k, v in examples.items() if v}


def run_chaos(*, database_url: str | None = None, redis_url: str = DEFAULT_REDIS_URL, deliveries: int = 400,
              kill_every_s: float = 3.0, workers: int = 2, post_rate: float = 2.0, data_dir: Path | str,
              log: Log = print, quiet_timeout_s: float = QUIET_TIMEOUT_S, seed: int = 7) -> ChaosReport:
    """One chaos run on a fresh hub (the database is reset, the Redis db flushed); see the module docstring."""
    from hub.demo import fleet as demo_fleet
    from hub.demo.data import day_of_orders

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per webhook would drown the report

    started = time.monotonic()
    report = ChaosReport(deliveries=deliveries, data_dir=str(Path(data_dir).resolve()))
    standins: dict[str, Any] = {}
    subscriber: Subscriber | None = None
    poster: Poster | None = None
    hub = Hub(database_url=database_url, redis_url=redis_url, data_dir=Path(data_dir))
    try:
        hub.prepare()
        hub.serve()
        log(f"hub on {hub.base}, database {hub.database_url}, Redis {redis_url} (flushed)")
        subscriber = Subscriber()
        subscription = subscriber.subscribe(hub.base, hub.key)
        demo_fleet.setup_capacity(demo_fleet.Api(hub.base, hub.key), standins)
        for _ in range(workers):
            hub.start_worker()
        orders = day_of_orders(deliveries, seed=seed, day=demo_fleet.demo_day())
        log(f"{workers} workers; posting {deliveries} deliveries at {post_rate:g}/s, "
            f"killing a worker every {kill_every_s:g} s (±{KILL_JITTER_S:g})")
        poster = Poster(hub.base, hub.key, orders, post_rate, log)
        poster.start()
        report.kills, last_kill = kill_loop(hub, poster, kill_every_s, random.Random(seed), log)
        poster.join()
        report.accepted = len(poster.accepted)
        log(f"posted: {report.accepted} accepted, {len(poster.refused)} refused, {poster.retries} retries; "
            f"{report.kills} kills; waiting for quiet")
        report.quiet, quiet_at, report.quiet_source = wait_for_quiet(hub, quiet_timeout_s, log)
        if quiet_at is not None:
            report.time_to_quiet_s = round(max(0.0, quiet_at - last_kill), 1)
        check(hub, report, poster.accepted, subscription["id"], list(subscriber.receipts))
        report.forged = subscriber.forged
        if poster.refused:
            report.examples["refused"] = [f"{e}: {why}" for e, why in list(poster.refused.items())[:EXAMPLES]]
    finally:
        if poster is not None:
            poster.stop.set()
        hub.close()
        for standin in [*standins.values(), *([subscriber] if subscriber else [])]:
            standin.stop()
        report.wall_s = round(time.monotonic() - started, 1)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[1].strip(),
        epilog="WARNING: the Redis db given by --redis-url is FLUSHED (FLUSHDB) at the start, and a PostgreSQL "
               "--database-url has its public schema (or the schema its search_path option names) dropped "
               "and recreated. Only 127.0.0.1 traffic; worker logs are kept in the data dir.")
    parser.add_argument("--deliveries", type=int, default=400)
    parser.add_argument("--kill-every", type=float, default=3.0, help="seconds between worker kills (0: none)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate", type=float, default=2.0, help="deliveries posted per second")
    parser.add_argument("--database-url", default=None, help="default: a SQLite file in the data dir")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="FLUSHED at start (default %(default)s)")
    parser.add_argument("--data-dir", default=None, help="default: a new temporary directory")
    parser.add_argument("--timeout", type=float, default=QUIET_TIMEOUT_S, help="seconds to wait for quiet")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="hub-chaos-"))
    log: Log = (lambda line: print(line, file=sys.stderr)) if args.json else print
    report = run_chaos(database_url=args.database_url, redis_url=args.redis_url, deliveries=args.deliveries,
                       kill_every_s=args.kill_every, workers=args.workers, post_rate=args.rate,
                       data_dir=data_dir, log=log, quiet_timeout_s=args.timeout)
    print(json.dumps(report.as_dict(), indent=2) if args.json else "\n" + report.table())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
