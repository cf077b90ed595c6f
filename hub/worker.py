"""The hub's RQ worker: every queue, RQ's scheduler (retries with backoff), and the sweeper."""

from __future__ import annotations

import logging
import threading

from rq import Worker

from hub.jobs.pull import schedule_all_polls
from hub.jobs.sweeper import run_periodically, sweep
from hub.runtime import Runtime, get_runtime


# Modules every job needs. Importing them once in the parent means each forked work horse starts warm
# (a cold import costs ~0.4 s, forty times the ~10 ms an ingest job takes).
JOB_MODULES = ("hub.jobs.ingest", "hub.jobs.outbox", "hub.writeback")


def warm_up(runtime: Runtime) -> None:
    import importlib

    from hub.canonical.validation import validator
    from hub.jobs.routes import HANDLERS

    for module in (*JOB_MODULES, *{h.func.rsplit(".", 1)[0] for h in HANDLERS.values()}):
        importlib.import_module(module)
    runtime.registry.load_all()
    validator("delivery_input.v1")
    runtime.engine.dispose()  # no pooled connection may be shared with the forked children


def make_worker(runtime: Runtime, name: str | None = None) -> Worker:
    queues = runtime.queues()
    return Worker(queues, connection=runtime.redis, serializer=queues[0].serializer, name=name)


def run_worker(runtime: Runtime | None = None, *, burst: bool = False, name: str | None = None) -> bool:
    """Run until stopped (or, with burst, until the queues are empty). Returns whether work was done."""
    runtime = runtime or get_runtime()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sweep(runtime, grace_s=0 if burst else 10)  # pick up whatever a previous crash left behind
    if not burst:
        schedule_all_polls(runtime)  # connectors that pull (Magento) poll on a schedule of their own
    warm_up(runtime)
    stop = threading.Event()
    sweeper = threading.Thread(target=run_periodically, args=(runtime, stop), name="hub-sweeper", daemon=True)
    if not burst:
        sweeper.start()
    try:
        return make_worker(runtime, name).work(with_scheduler=True, burst=burst, logging_level="INFO")
    finally:
        stop.set()
