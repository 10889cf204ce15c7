"""How a use case runs: one unit of work per request, event, job or command.

    adapter ──> UnitOfWork ──> service(session, effects, ...) ──> commit ──> effects

A `UnitOfWork` owns a session and its transaction. It begins the transaction itself,
sending who acts for the audit trigger (services/admin/audit.py), and `run(work)` calls
`work(session, effects)`, commits, and runs it again from the start when PostgreSQL aborted
it for a concurrent one (serialization failure, deadlock): every adapter retries the same
way. The commit writes the booking notices the services added (inside the transaction,
seeing its final state), then commits; only then does it send the other effects to Redis:
the jobs, job cancellations and batched ids (coworking_app/batches.py) in one pipeline to
RQ's database, the cache deletions and realtime publishes in one pipeline to the cache
database, and counts the committed changes in the metrics. A Redis failure there is logged
and never turns a committed change into an error: the cron sweeps (jobs/cron.py) catch up.
A rollback forgets every effect.

Adapters: `run_use_case(work)` for one use case in its own unit of work (RQ jobs, the CLI,
Reflex handlers through state.page.PageState, the booking route); `with UnitOfWork() as uow:`
where the unit of work spans more than the use case (a REST request: api/deps.Uow, whose
routes call `uow.run(work)`). Pure reads use db.read_scope.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from coworking_app import batches, metrics
from coworking_app.db import get_cache_redis, get_engine
from coworking_app.effects import Effects
from coworking_app.services.admin import audit
from coworking_app.services.common.errors import ServiceError
from coworking_app.services.messaging import realtime
from coworking_app.services.messaging.notifications import write_booking_notices
from jobs import get_queue

log = logging.getLogger(__name__)
T = TypeVar("T")

ATTEMPTS = 4  # a use case runs at most this often when PostgreSQL keeps aborting it
RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected


def is_retryable(exc: BaseException) -> bool:
    """A transaction PostgreSQL aborted only because of a concurrent one: run it again."""
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) in RETRYABLE_SQLSTATES


class UnitOfWork:
    """One session, its transaction and its after-commit effects (see the module)."""

    def __init__(self, *, actor_id: int | None = None) -> None:
        """`actor_id`: who acts, when the adapter knows it before the first statement (a
        signed access token): the audit settings are then sent once, as the transaction
        begins, instead of once anonymous and again when the services identify the caller."""
        self._session = Session(get_engine(), expire_on_commit=False)
        self._transaction = None
        if actor_id is not None:
            audit.expect_actor(self._session, actor_id)
        self.effects = Effects()

    @property
    def session(self) -> Session:
        """The session, in a transaction this unit of work began."""
        self.begin()
        return self._session

    def begin(self) -> None:
        """Begins the transaction (if not begun) with its audit settings."""
        session = self._session
        if self._transaction is not None and session.get_transaction() is self._transaction:
            return
        audit.begin_audited(session)
        self._transaction = session.get_transaction()

    def commit(self) -> None:
        """Writes the booking notices, commits, then sends the effects (never raising for
        Redis)."""
        effects = self.effects
        if effects.booking_notices:
            write_booking_notices(self._session, effects)
        if self._session.in_transaction():
            self._session.commit()
        self._transaction = None
        if effects.after_commit():
            try:
                send_effects(effects)
            finally:
                effects.clear()

    def rollback(self) -> None:
        self._session.rollback()
        self._transaction = None
        self.effects.clear()

    def run(self, work: Callable[[Session, Effects], T], *, attempts: int = ATTEMPTS) -> T:
        """`work(session, effects)`, committed; run again from the start (after a rollback)
        when PostgreSQL aborted the transaction for a concurrent one, up to `attempts` times.
        A refusal that keeps its changes (ServiceError.keep_changes) is committed, then
        raised; any other error rolls back."""
        for attempt in range(1, attempts + 1):
            try:
                result = work(self.session, self.effects)
                self.commit()
                return result
            except ServiceError as exc:
                if exc.keep_changes:
                    self.commit()
                else:
                    self.rollback()
                raise
            except DBAPIError as exc:
                self.rollback()
                if attempt == attempts or not is_retryable(exc):
                    raise
            except BaseException:
                self.rollback()
                raise
        raise AssertionError("unreachable")  # the last attempt returned or raised

    def close(self) -> None:
        self._session.close()
        self.effects.clear()

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        """Commits what is left on success (and a refusal keeping its changes), rolls back
        otherwise; no retry here (use run)."""
        try:
            if exc is None or (isinstance(exc, ServiceError) and exc.keep_changes):
                self.commit()
            else:
                self.rollback()
        finally:
            self.close()


def run_use_case(work: Callable[[Session, Effects], T], *, actor_id: int | None = None,
                 attempts: int = ATTEMPTS) -> T:
    """`work(session, effects)` in a unit of work of its own (UnitOfWork.run)."""
    with UnitOfWork(actor_id=actor_id) as uow:
        return uow.run(work, attempts=attempts)


# --- after commit ------------------------------------------------------------------------


def send_effects(effects: Effects) -> None:
    """A committed transaction's effects: one pipeline per Redis database. Failures are
    logged only (the change is committed; the cron sweeps catch up on jobs, the cache
    expires, the bell recounts on load)."""
    if effects.jobs or effects.cancelled_jobs or effects.batched:
        _to_rq(effects)
    if effects.cache_keys or effects.publishes:
        _to_cache_redis(effects)
    for metric, labels in effects.counts:  # in this process's memory (or its metrics file)
        metrics.count(metric, *labels)


def _to_rq(effects: Effects) -> None:
    from rq import Retry
    from rq.job import Job, JobStatus

    try:
        queue = get_queue()
        # One round trip for all of a transaction's jobs instead of three or four per job.
        # A commit with batched ids only (a booking: its follow-up) sends one script.
        pipe = queue.connection.pipeline(transaction=bool(effects.jobs or effects.cancelled_jobs))
        if effects.jobs or effects.cancelled_jobs:
            pipe.multi()  # RQ starts MULTI itself on a caller's pipeline unless it already is
        for name, items in effects.batched.items():
            batches.push(pipe, queue.name, name, items)
        # The request that caused the jobs: their log lines and audit rows name it
        # (coworking_app/worker.py).
        meta = {"request_id": request_id} if (request_id := audit.current_request_id()) else None
        for job in effects.jobs:
            options = {"job_id": job.job_id, "timeout": job.timeout, "result_ttl": 86400,
                       "failure_ttl": 7 * 86400, "meta": meta}
            if job.retry_intervals:
                options["retry"] = Retry(max=len(job.retry_intervals), interval=list(job.retry_intervals))
            if job.at is not None:
                created = queue.create_job(job.func, args=job.args, status=JobStatus.SCHEDULED, **options)
                queue.schedule_job(created, job.at, pipeline=pipe)
            elif job.queue and job.queue != queue.name:
                get_queue(job.queue).enqueue_call(job.func, args=job.args, pipeline=pipe, **options)
            else:
                queue.enqueue_call(job.func, args=job.args, pipeline=pipe, **options)
        for job_id in effects.cancelled_jobs:
            # What Job.delete does for a scheduled job, without fetching it first: out of the
            # scheduler's registry and the queue, its keys gone. A job already running finds
            # its booking changed and does nothing.
            pipe.zrem(queue.scheduled_job_registry.key, job_id)
            pipe.lrem(queue.key, 0, job_id)
            key = Job.key_for(job_id)
            pipe.delete(key, Job.dependents_key_for(job_id), f"{key}:dependencies")
        pipe.execute()
    except Exception:  # Redis unavailable: the cron sweeps will do it
        log.exception("could not queue %d job(s) / cancel %d scheduled job(s) / push %d batched id(s)",
                      len(effects.jobs), len(effects.cancelled_jobs),
                      sum(len(items) for items in effects.batched.values()))


def _to_cache_redis(effects: Effects) -> None:
    try:
        pipe = get_cache_redis().pipeline(transaction=False)
        if effects.cache_keys:
            pipe.delete(*effects.cache_keys)
        realtime.publish(pipe, effects.publishes, committed_at=time.time())
        pipe.execute()
    except Exception:  # a stale page expires in minutes; a missed toast: the bell recounts on load
        log.exception("could not drop %d cache key(s) / publish %d event(s)",
                      len(effects.cache_keys), len(effects.publishes))
