"""Background work requested by a service, sent to RQ only once the transaction commits.

A job must never see data that was rolled back, nor run before the row it reads exists.
If Redis is down at that moment the work is not lost: periodic sweeps in jobs/cron.py
(hold expiry, completion, receipts) catch up.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import event
from sqlmodel import Session

log = logging.getLogger(__name__)
_KEY = "after_commit_jobs"


def enqueue_after_commit(session: Session, func: str, *args: object,
                         at: datetime | None = None, job_id: str | None = None,
                         retry_intervals: list[int] | None = None, job_timeout: int = 120) -> None:
    """Queue `func` (a dotted path such as "jobs.booking.expire_hold") after commit;
    `at` schedules it (RQ's scheduler runs it then), `job_id` de-duplicates."""
    session.info.setdefault(_KEY, []).append((func, args, at, job_id, retry_intervals, job_timeout))


def _discard(session: Session) -> None:
    session.info.pop(_KEY, None)
    session.info.pop(_KEY + "_cancel", None)


def _flush(session: Session) -> None:
    from jobs import get_queue

    jobs = session.info.pop(_KEY, [])
    if not jobs:
        return
    from rq import Retry
    from rq.job import JobStatus

    try:
        queue = get_queue()
        # All of a transaction's jobs go to Redis in one pipeline: one round trip instead of
        # three or four per job (a booking queues its hold expiry and its notice email).
        pipe = queue.connection.pipeline()
        pipe.multi()  # RQ starts MULTI itself on a caller's pipeline unless it already is
        for func, args, at, job_id, intervals, timeout in jobs:
            options = {"job_id": job_id, "timeout": timeout, "result_ttl": 86400,
                       "failure_ttl": 7 * 86400}
            if intervals:
                options["retry"] = Retry(max=len(intervals), interval=intervals)
            if at is not None:
                job = queue.create_job(func, args=args, status=JobStatus.SCHEDULED, **options)
                queue.schedule_job(job, at, pipeline=pipe)
            else:
                queue.enqueue_call(func, args=args, pipeline=pipe, **options)
        pipe.execute()
    except Exception:  # Redis unavailable: the cron sweeps will do it
        log.exception("could not queue %d background job(s)", len(jobs))


def cancel_after_commit(session: Session, *job_ids: str) -> None:
    """Removes scheduled jobs (e.g. a cancelled booking's reminders) once the transaction
    commits; a job that runs anyway checks the booking and does nothing."""
    session.info.setdefault(_KEY + "_cancel", []).extend(job_ids)


def _cancel(session: Session) -> None:
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    from jobs import get_queue

    job_ids = session.info.pop(_KEY + "_cancel", [])
    if not job_ids:
        return
    try:
        queue = get_queue()
        for job_id in job_ids:
            queue.scheduled_job_registry.remove(job_id)
            try:
                Job.fetch(job_id, connection=queue.connection).delete()
            except NoSuchJobError:
                pass
    except Exception:
        log.exception("could not cancel %d scheduled job(s)", len(job_ids))


# Registered once for every session (per-session listeners cost ~1 ms each to set up);
# each hook returns at once when its transaction queued nothing.
event.listen(Session, "after_commit", _flush)
event.listen(Session, "after_commit", _cancel)
event.listen(Session, "after_rollback", _discard)
