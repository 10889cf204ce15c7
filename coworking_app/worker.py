"""The RQ worker every deployment runs: `rq worker -w coworking_app.worker.Worker ...`.

RQ's SimpleWorker (jobs run in the worker's own process: no fork per job, measured in
docs/booking.md) plus what operations need of each job: one log line (job id, function,
outcome, duration and the request that queued it), the job's duration and failures in the
metrics, and the audit context of the originating request, so audit rows written by a job
name the request that caused it (coworking_app/uow.py puts `request_id` in the job's meta).
"""

from __future__ import annotations

import logging
import time

from rq.worker import SimpleWorker

from coworking_app import metrics
from coworking_app.logs import configure_logging
from coworking_app.observability import start_sentry
from coworking_app.services.admin.audit import audit_context

log = logging.getLogger("coworking_app.jobs")


class Worker(SimpleWorker):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        configure_logging()
        start_sentry("worker")
        metrics.serve_own_metrics()

    def perform_job(self, job, queue, execution) -> bool:
        request_id = (job.meta or {}).get("request_id")
        function = job.func_name or "?"
        started = time.perf_counter()
        with audit_context(actor_kind="job", request_id=request_id):
            ok = super().perform_job(job, queue, execution)
        seconds = time.perf_counter() - started
        outcome = "ok" if ok else "failed"
        metrics.JOB_DURATION.labels(function, outcome).observe(seconds)
        if not ok:
            metrics.JOBS_FAILED.labels(function).inc()
        log.log(logging.INFO if ok else logging.WARNING, "job %s %s %s %.1f ms", function, job.id, outcome,
                seconds * 1000, extra={"job_id": job.id, "function": function, "outcome": outcome,
                                       "duration_ms": round(seconds * 1000, 2), "request_id": request_id,
                                       "queue": queue.name})
        return ok
