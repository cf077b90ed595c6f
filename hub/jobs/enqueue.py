"""The one way work reaches RQ: queue, retry policy, timeout and failure callback set in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rq import Callback
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from hub.jobs.policies import policy

if TYPE_CHECKING:
    from hub.runtime import Runtime

# Keep finished job records for a day so operators can look at recent work, then let Redis forget.
RESULT_TTL_S = 24 * 3600
# Final failures stay visible in the dead-letter view for a month.
FAILURE_TTL_S = 30 * 24 * 3600

LIVE_STATES = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


def job_is_live(runtime: "Runtime", job_id: str) -> bool:
    """True when RQ still holds the job and will run it (so it must not be enqueued again)."""
    try:
        job = Job.fetch(job_id, connection=runtime.redis, serializer=runtime.queue("ingest").serializer)
    except NoSuchJobError:
        return False
    return job.get_status(refresh=False) in LIVE_STATES


def enqueue(
    runtime: "Runtime",
    func: str,
    *args: Any,
    queue: str,
    policy_name: str,
    job_id: str | None = None,
    at_front: bool = False,
) -> Job | None:
    """Enqueue `func` (a dotted path) with JSON-serializable args. A live job with the same id is left alone."""
    if job_id is not None and job_is_live(runtime, job_id):
        return None
    chosen = policy(policy_name)
    return runtime.queue(queue).enqueue_call(
        func,
        args=list(args),
        job_id=job_id,
        timeout=chosen.timeout_s,
        retry=chosen.retry(),
        result_ttl=RESULT_TTL_S,
        failure_ttl=FAILURE_TTL_S,
        on_failure=Callback("hub.jobs.failures.on_job_failure"),
        at_front=at_front,
    )
