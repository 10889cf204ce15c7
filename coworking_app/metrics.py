"""Prometheus metrics: the families every process records into, and how they are exposed.

Definitions only (prometheus_client, no project imports), so services, adapters, the worker
and the bot may all import it. What reads the database or Redis at scrape time (active
bookings, queue lengths, the last backup) is in coworking_app/api/metrics.py; docs/operations.md
lists every family and the alerts built on them.

Several processes: `make run` starts granian's cores + 1 server processes, two RQ workers, the
cron scheduler and the bot. With PROMETHEUS_MULTIPROC_DIR set (an emptied directory, before
any of them starts) prometheus_client keeps each process's values in files there, and a scrape
of /metrics on any server process adds up every process's files: totals of all of them. The
variable must be in the environment before prometheus_client is imported (it picks its value
class at import), which is why `make run`, docker and the test servers set it on the command
line rather than in `.env`. Without it (a single process: tests, the CLI) the default registry
is used as is.
"""

from __future__ import annotations

import functools
import os
import time
from contextlib import contextmanager
from typing import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client import multiprocess

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
if MULTIPROC_DIR:  # a process started before anyone emptied the folder (a CLI command) still runs
    os.makedirs(MULTIPROC_DIR, exist_ok=True)

# Request and job durations: 5 ms to 10 s (the API's alert is on p95 > 300 ms).
_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0)
_JOB = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)

HTTP_DURATION = Histogram(
    "coworking_http_request_duration_seconds",
    "HTTP requests by route template (not the raw path), method and status class.",
    ["route", "method", "status"], buckets=_LATENCY)
HTTP_IN_FLIGHT = Gauge(
    "coworking_http_requests_in_flight", "HTTP requests being served now.",
    multiprocess_mode="livesum")
WEBSOCKETS = Gauge(
    "coworking_websocket_connections", "Open Reflex websocket connections (/_event).",
    multiprocess_mode="livesum")
EVENT_DURATION = Histogram(
    "coworking_reflex_event_duration_seconds",
    "Reflex event handling (state loaded, handler run, state saved) by handler.",
    ["handler"], buckets=_LATENCY)
BOOKING_EVENTS = Counter(
    "coworking_booking_events_total",
    "Committed booking changes by action (create, pay, cancel, confirm, expire, ...).",
    ["action"])
LEDGER_ENTRIES = Counter(
    "coworking_ledger_entries_total",
    "Committed journal entries by kind (payment, refund, completion, cancellation, payout, ...).",
    ["kind"])
PLAN_EVENTS = Counter(
    "coworking_plan_events_total",
    "Committed plan changes by event (created, bought, paid, renewal_issued, renewed, ended, lapsed, "
    "refunded, renewal_cancelled).",
    ["event"])
LEDGER_CHECK_FAILURES = Counter(
    "coworking_ledger_check_failures_total",
    "Nightly ledger checks that found a difference (kept balance, entry or currency).")
RECONCILIATION_PROBLEMS = Counter(
    "coworking_reconciliation_problems_total",
    "Provider reconciliations that failed (provider unreachable) or found mismatches.",
    ["provider", "outcome"])
JOB_DURATION = Histogram(
    "coworking_job_duration_seconds", "RQ jobs by function and outcome (ok, failed).",
    ["function", "outcome"], buckets=_JOB)
JOBS_FAILED = Counter(
    "coworking_jobs_failed_total", "RQ jobs that raised, by function (a retry counts again).",
    ["function"])
NOTIFICATIONS = Counter(
    "coworking_notification_deliveries_total",
    "Notices delivered by channel (in_app, email, telegram) and outcome (sent, failed, retry).",
    ["channel", "outcome"])
SEARCHES = Counter(
    "coworking_search_requests_total", "First-page searches by city (the geography of requests).",
    ["city"])
SEARCH_DURATION = Histogram(
    "coworking_search_duration_seconds", "Search service time: the list and the map.",
    ["kind"], buckets=_LATENCY)
DB_POOL_IN_USE = Gauge(
    "coworking_db_pool_connections_in_use", "Database connections checked out of the pools now.",
    multiprocess_mode="livesum")
DB_POOL_OPEN = Gauge(
    "coworking_db_pool_connections_open", "Database connections the pools hold open (in use or idle).",
    multiprocess_mode="livesum")
DB_POOL_LIMIT = Gauge(
    "coworking_db_pool_connections_limit", "The most connections the pools may open (size + overflow).",
    multiprocess_mode="livesum")
EXTERNAL_DURATION = Histogram(
    "coworking_external_call_duration_seconds",
    "Calls to outside services (stripe, sendgrid, smtp, telegram) by operation.",
    ["service", "operation"], buckets=_LATENCY)
EXTERNAL_ERRORS = Counter(
    "coworking_external_call_errors_total", "Calls to outside services that failed.",
    ["service", "operation"])


def count(metric: str, *labels: str) -> None:
    """A counter by name, for after-commit counts that Effects carries as plain data."""
    _COUNTERS[metric].labels(*labels).inc()


_COUNTERS = {"booking_events": BOOKING_EVENTS, "notifications": NOTIFICATIONS,
             "ledger_entries": LEDGER_ENTRIES, "plans": PLAN_EVENTS}


@contextmanager
def external_call(service: str, operation: str) -> Iterator[None]:
    """Times a call to an outside service; an exception counts as an error and goes on."""
    started = time.perf_counter()
    try:
        yield
    except BaseException:
        EXTERNAL_ERRORS.labels(service, operation).inc()
        raise
    finally:
        EXTERNAL_DURATION.labels(service, operation).observe(time.perf_counter() - started)


def timed(histogram: Histogram, *labels: str):
    """Decorator: the function's wall time into `histogram` (labels given here)."""
    child = histogram.labels(*labels)

    def wrap(function):
        @functools.wraps(function)
        def timed_call(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                child.observe(time.perf_counter() - started)
        return timed_call
    return wrap


def exposition(extra: list | None = None) -> tuple[bytes, str]:
    """The text a scrape gets: every process's values (multiprocess mode) or this process's,
    plus the scrape-time collectors in `extra`."""
    scraped = CollectorRegistry()
    for collector in extra or ():
        scraped.register(collector)
    if MULTIPROC_DIR:
        multiprocess.MultiProcessCollector(scraped, path=MULTIPROC_DIR)
        return generate_latest(scraped), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY) + generate_latest(scraped), CONTENT_TYPE_LATEST


def process_exited(pid: int) -> None:
    """A process that ended: its live gauges (in flight, websockets, pool) stop counting."""
    if MULTIPROC_DIR:
        multiprocess.mark_process_dead(pid, MULTIPROC_DIR)


def serve_own_metrics() -> int | None:
    """For the worker, the scheduler and the bot on machines of their own (Kubernetes):
    METRICS_PORT serves this process's metrics over plain HTTP. Where they share
    PROMETHEUS_MULTIPROC_DIR with the app (`make run`), the app's /metrics already has them."""
    port = os.environ.get("METRICS_PORT")
    if not port:
        return None
    if MULTIPROC_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=MULTIPROC_DIR)
        start_http_server(int(port), registry=registry)
    else:
        start_http_server(int(port))
    return int(port)
