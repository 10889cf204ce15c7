"""Crawl runs: queued by an operator ("Обойти сейчас") or by the schedule, run by the RQ job
jobs.market.crawl in a child process (Scrapy's reactor cannot restart inside a worker), their
counters filled by the crawler's batches as they arrive (ingest.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import and_, func, literal, literal_column, or_, select, update
from sqlalchemy.dialects.postgresql import JSONB, distinct_on
from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.services.common.errors import Conflict, NotFound
from coworking_app.services.market import keys
from coworking_app.services.market.sources import check_staff, access_source
from coworking_app.settings import get_settings
from jobs import MARKET_QUEUE
from models import MarketRun, MarketSource, RunStatus, User
from models.common import utcnow
from coworking_app.i18n import tr

ERRORS_KEPT = 200  # errors listed on a run; error_count counts them all
ACTIVE = (RunStatus.queued.value, RunStatus.running.value)
SCHEDULE_EVERY = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
STUCK_AFTER = timedelta(hours=keys.RUN_KEY_HOURS)  # a run no worker finished


class RunError(BaseModel):
    url: str
    reason: str


class RunOut(BaseModel):
    id: int
    source_id: int
    status: str
    trigger: str
    pages: int
    items: int
    stored: int
    error_count: int
    errors: list[RunError]
    reason: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def run_out(run: MarketRun) -> RunOut:
    return RunOut(id=run.id, source_id=run.source_id, status=run.status, trigger=run.trigger, pages=run.pages,
                  items=run.items, stored=run.stored, error_count=run.error_count,
                  errors=[RunError(**e) for e in run.errors], reason=run.reason, created_at=run.created_at,
                  started_at=run.started_at, finished_at=run.finished_at)


def _queue(session: Session, effects: Effects, source: MarketSource, trigger: str,
           requested_by: int | None) -> MarketRun:
    run = MarketRun(source_id=source.id, trigger=trigger, requested_by=requested_by)
    session.add(run)
    session.flush()
    session.refresh(run)
    effects.queue_job("jobs.market.crawl", run.id, job_id=f"market-crawl-{run.id}", timeout=_job_timeout(),
                      queue=MARKET_QUEUE)
    return run


def _job_timeout() -> int:
    return get_settings().market_crawl_timeout_seconds + 120  # the job outlives its child's own timeout


def do_request_crawl(session: Session, effects: Effects, user: User | None, source_id: int) -> MarketRun:
    """An operator's "crawl now": one active run per source (409 while one is queued or
    running), even for a source switched off (a test before switching it on)."""
    staff = check_staff(user)
    source = access_source(session, staff, source_id, for_update=True)
    active = session.scalar(select(MarketRun.id).where(MarketRun.source_id == source.id,
                                                       MarketRun.status.in_(ACTIVE)))
    if active:
        raise Conflict("source_id", tr("обход этого источника уже идёт (запуск №{active})", active=active))
    return _queue(session, effects, source, "manual", staff.id)


def access_run(session: Session, user: User | None, run_id: int) -> MarketRun:
    check_staff(user)
    run = session.get(MarketRun, run_id)
    if run is None:
        raise NotFound(tr("Запуск не найден"))
    return run


def list_runs(session: Session, user: User | None, source_id: int | None = None, limit: int = 50) -> list[MarketRun]:
    check_staff(user)
    query = select(MarketRun).order_by(MarketRun.created_at.desc(), MarketRun.id.desc()).limit(limit)
    if source_id is not None:
        query = query.where(MarketRun.source_id == source_id)
    return list(session.scalars(query))


def do_start_run(session: Session, run_id: int, now: datetime | None = None) -> tuple[MarketRun, MarketSource, str] | None:
    """The worker takes a queued run: running, with a key of its own for the child's
    batches. None when the run is gone or not queued any more (a repeated job)."""
    run = session.get(MarketRun, run_id, with_for_update=True)
    if run is None or run.status != RunStatus.queued.value:
        return None
    source = session.get(MarketSource, run.source_id)
    run.status, run.started_at = RunStatus.running.value, now or utcnow()
    return run, source, keys.do_create_run_key(session, run.id, now)


def do_finish_run(session: Session, run_id: int, *, ok: bool, reason: str | None = None,
                  now: datetime | None = None) -> MarketRun | None:
    """The child's outcome: finished, or failed with the reason in words; the run's key
    stops working."""
    run = session.get(MarketRun, run_id, with_for_update=True)
    if run is None:
        return None
    now = now or utcnow()
    if run.status in ACTIVE:
        run.status = RunStatus.finished.value if ok else RunStatus.failed.value
        run.reason = None if ok else (reason or tr("обход прервался"))[:1000]
        run.finished_at = now
    keys.do_revoke_run_keys(session, run.id, now)
    return run


def do_add_to_run(session: Session, run_id: int, *, pages: int, items: int, stored: int,
                  errors: list[dict]) -> None:
    """A batch's counts added to its run in one statement (batches of one run may arrive
    in parallel); the first ERRORS_KEPT errors are kept."""
    session.execute(
        update(MarketRun).where(MarketRun.id == run_id).values(
            pages=MarketRun.pages + pages, items=MarketRun.items + items, stored=MarketRun.stored + stored,
            error_count=MarketRun.error_count + len(errors),
            errors=func.jsonb_path_query_array(
                MarketRun.errors.op("||")(literal(errors, JSONB)),
                literal_column(f"'$[0 to {ERRORS_KEPT - 1}]'::jsonpath")),
        ))


def do_queue_due_crawls(session: Session, effects: Effects, now: datetime | None = None) -> list[MarketRun]:
    """The schedule (rq cron, hourly): every enabled source with a schedule whose newest run
    is older than its period gets a run, unless one is active. Runs stuck in queued or
    running past STUCK_AFTER are failed first (a worker died under them)."""
    now = now or utcnow()
    for run in session.scalars(select(MarketRun).where(
            MarketRun.status.in_(ACTIVE), MarketRun.created_at < now - STUCK_AFTER).with_for_update(skip_locked=True)):
        run.status, run.reason, run.finished_at = RunStatus.failed.value, tr("обход не завершился вовремя"), now
        keys.do_revoke_run_keys(session, run.id, now)
    newest = (select(MarketRun.source_id, func.max(MarketRun.created_at).label("at"))
              .group_by(MarketRun.source_id).subquery())
    active = select(MarketRun.id).where(MarketRun.source_id == MarketSource.id, MarketRun.status.in_(ACTIVE))
    due = session.scalars(
        select(MarketSource).outerjoin(newest, newest.c.source_id == MarketSource.id)
        .where(MarketSource.enabled.is_(True), MarketSource.schedule.is_not(None), ~active.exists(),
               or_(newest.c.at.is_(None),
                   and_(MarketSource.schedule == "daily", newest.c.at <= now - SCHEDULE_EVERY["daily"]),
                   and_(MarketSource.schedule == "weekly", newest.c.at <= now - SCHEDULE_EVERY["weekly"])))
        .order_by(MarketSource.id).with_for_update(of=MarketSource, skip_locked=True)).all()
    return [_queue(session, effects, source, "schedule", None) for source in due]


def newest_runs(session: Session, user: User | None, source_id: int | None = None) -> dict[int, MarketRun]:
    """Each source's newest run (the panel's "last crawl" column), in one query."""
    check_staff(user)
    query = (select(MarketRun).ext(distinct_on(MarketRun.source_id))
             .order_by(MarketRun.source_id, MarketRun.created_at.desc(), MarketRun.id.desc()))
    if source_id is not None:
        query = query.where(MarketRun.source_id == source_id)
    return {run.source_id: run for run in session.scalars(query)}
