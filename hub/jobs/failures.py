"""Final failures: recorded where operators look (the dead-letter view) with their reason."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

from rq.job import Job
from rq.registry import FailedJobRegistry

if TYPE_CHECKING:
    from hub.runtime import Runtime

log = logging.getLogger(__name__)


def on_job_failure(
    job: Job, connection: Any, exc_type: type[BaseException] | None, exc: BaseException | None,
    tb: TracebackType | None,
) -> None:
    """RQ calls this after every failed try; only the last one (no retries left) is final."""
    if job.retries_left:
        log.warning("job %s failed (%s); %s retries left", job.id, exc, job.retries_left)
        return
    log.error("job %s failed for good: %r", job.id, exc)
    job.meta["final_reason"] = f"{exc_type.__name__ if exc_type else 'Error'}: {exc}"
    job.save_meta()


@dataclass(frozen=True)
class DeadJob:
    id: str
    queue: str
    func: str
    args: list[Any]
    reason: str
    failed_at: datetime | None


def dead_letters(runtime: "Runtime", limit: int = 100) -> list[DeadJob]:
    """Jobs that failed for good, newest first, with the reason each failed."""
    found: list[DeadJob] = []
    for queue in runtime.queues():
        registry = FailedJobRegistry(queue=queue)
        for job in Job.fetch_many(registry.get_job_ids(), connection=runtime.redis, serializer=queue.serializer):
            if job is None:
                continue
            reason = job.meta.get("final_reason") or _last_line(job.latest_result().exc_string if job.latest_result() else "")
            found.append(DeadJob(job.id, queue.name, job.func_name, list(job.args), reason, job.ended_at))
    found.sort(key=lambda d: d.failed_at.timestamp() if d.failed_at else 0, reverse=True)
    return found[:limit]


def _last_line(text: str | None) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else "unknown"
