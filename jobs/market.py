"""Market data jobs (docs/market.md): one crawl in a child process, the schedule, listings
gone from their sites."""

from __future__ import annotations

import logging

from coworking_app.services.admin.audit import audit_context
from coworking_app.services.market import crawls, listings, runs
from coworking_app.uow import run_use_case
from coworking_app.i18n import tr

log = logging.getLogger(__name__)


def crawl(run_id: int) -> str:
    """Takes the queued run, crawls in a child process (which posts its batches to the API
    with the run's own key) and records the outcome. A repeated job finds the run no
    longer queued and does nothing."""
    with audit_context(actor_kind="job:market-crawl"):
        started = run_use_case(lambda s, _fx: runs.do_start_run(s, int(run_id)))
        if started is None:
            return f"run {run_id}: not queued any more"
        run, source, key = started
        try:
            outcome = crawls.run_crawl(source, run.id, key)
        except Exception as exc:  # the child could not even start: the run must not stay "running"
            log.exception("market crawl of run %s could not start", run_id)
            outcome = crawls.CrawlOutcome(False, tr("обход не запустился: {name__}", name__=type(exc).__name__), {})
        run_use_case(lambda s, _fx: runs.do_finish_run(s, run.id, ok=outcome.ok, reason=outcome.reason))
        return f"run {run_id}: {'finished' if outcome.ok else 'failed: ' + (outcome.reason or '')}"


def queue_due_crawls() -> str:
    """Hourly: sources whose schedule is due get a run."""
    with audit_context(actor_kind="job:market-schedule"):
        queued = run_use_case(lambda s, fx: runs.do_queue_due_crawls(s, fx))
    return f"{len(queued)} crawl(s) queued"


def mark_gone_listings() -> str:
    """Daily: listings unseen for 30 days are marked gone."""
    with audit_context(actor_kind="job:market-gone"):
        count = run_use_case(lambda s, _fx: listings.do_mark_gone(s))
    return f"{count} listing(s) marked gone"
