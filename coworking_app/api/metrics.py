"""/metrics for Prometheus, and the HTTP and websocket measurements of every request.

`Measured` wraps the whole app (pages, API, media, the Reflex websocket): a request is timed
under its route template (`/api/v1/spaces/{space_id}`, never the raw path, so an attacker's
made-up paths cannot grow the series), its method and status class. The scrape adds, read at
that moment: active bookings, RQ queue lengths and the last backup (docs/operations.md).

METRICS_TOKEN empty (development): /metrics is open. Set, /metrics wants
`Authorization: Bearer <token>`; production refuses to start without one (settings.py).
"""

from __future__ import annotations

import hmac
import logging
import shutil
import time
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client.core import GaugeMetricFamily
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coworking_app import metrics
from coworking_app.api.deps import header_user_id
from coworking_app.api.observe import request_id_of
from coworking_app.db import read_scope
from coworking_app.services.admin import analytics
from coworking_app.services.admin.queues import cron_schedulers, queue_lengths, workers_by_queue
from coworking_app.services.ops.backup import last_backup
from coworking_app.settings import get_settings
from coworking_app.i18n import tr

log = logging.getLogger(__name__)
request_log = logging.getLogger("coworking_app.requests")
router = APIRouter()
# Not logged line by line: the compiled pages' static files, map tiles and frames, media,
# the liveness pings and the scrapes (their counts are in the metrics).
_QUIET = ("page", "/_next", "/assets", "/ping", "/tiles", "/maps", "/media", "/metrics")

API_PREFIX = "/api/v1"
# Paths outside the API routers, grouped (their own paths would be unbounded labels).
_PREFIXES = ("/_event", "/_upload", "/media/", "/tiles/", "/maps/", "/ping", "/_next/", "/assets/")


def route_label(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    raw = scope.get("path", "")
    if path and not isinstance(route, Mount):
        # FastAPI keeps an included router's routes as they were declared, without the
        # include's prefix: /api/v1 is the only one (coworking_app/api/__init__.py).
        return f"{API_PREFIX}{path}" if raw.startswith(API_PREFIX + "/") and not path.startswith(API_PREFIX) else path
    for prefix in _PREFIXES:
        if raw.startswith(prefix):
            return prefix.rstrip("/")
    if raw.startswith("/api/"):
        return "/api/unmatched"
    return "page"  # the compiled pages and their static files


class Measured:
    """Pure ASGI middleware (no BaseHTTPMiddleware: it would buffer streamed answers)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            metrics.WEBSOCKETS.inc()
            try:
                await self.app(scope, receive, send)
            finally:
                metrics.WEBSOCKETS.dec()
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the client gets when nothing was sent (the server answers 500)
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        metrics.HTTP_IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, sending)
        finally:
            metrics.HTTP_IN_FLIGHT.dec()
            seconds = time.perf_counter() - started
            route, method = route_label(scope), scope.get("method", "GET")
            metrics.HTTP_DURATION.labels(route, method, f"{status // 100}xx").observe(seconds)
            if not route.startswith(_QUIET):
                _log_request(scope, route, method, status, seconds)


def _log_request(scope: Scope, route: str, method: str, status: int, seconds: float) -> None:
    """One line per request: who (the access token's user id, never the token), what, how it
    went. The request id is the one the answer's X-Request-ID header carries."""
    authorization = next((v for k, v in scope.get("headers", ()) if k == b"authorization"), b"")
    try:
        user_id = header_user_id(authorization.decode("latin-1")) if authorization else None
    except Exception:  # noqa: BLE001 (a malformed header is the request's problem, not the log's)
        user_id = None
    request_log.log(logging.WARNING if status >= 500 else logging.INFO,
                    "%s %s %s %.1f ms", method, route, status, seconds * 1000,
                    extra={"request_id": request_id_of(scope), "user_id": user_id, "route": route,
                           "method": method, "status": status, "duration_ms": round(seconds * 1000, 2)})


class ScrapeTime:
    """Figures read when Prometheus scrapes (never stale, nothing kept between scrapes):
    bookings under way now, RQ queues, the last backup. A part that cannot be read is left
    out of that scrape and logged; the rest still answers."""

    def collect(self):
        try:
            with read_scope() as session:
                active = analytics.active_bookings_now(session)
            yield GaugeMetricFamily("coworking_bookings_active", "Bookings under way right now.", value=active)
        except Exception:  # noqa: BLE001 (the database down must not take the scrape along)
            log.warning("metrics: active bookings unreadable", exc_info=True)
        try:
            lengths = queue_lengths()
            family = GaugeMetricFamily("coworking_rq_jobs", "RQ jobs by queue and state.",
                                       labels=["queue", "state"])
            for (queue, state), value in sorted(lengths.items()):
                family.add_metric([queue, state], value)
            yield family
            workers = GaugeMetricFamily("coworking_rq_workers", "Live RQ workers by queue.", labels=["queue"])
            for queue, value in sorted(workers_by_queue().items()):
                workers.add_metric([queue], value)
            yield workers
            yield GaugeMetricFamily("coworking_rq_cron_schedulers", "Live `rq cron` processes (1 is right).",
                                    value=cron_schedulers())
        except Exception:  # noqa: BLE001
            log.warning("metrics: RQ queues unreadable", exc_info=True)
        try:
            disk = GaugeMetricFamily("coworking_disk_free_ratio",
                                     "Free space on the disks the app writes to (0..1).", labels=["path"])
            for label, path in disk_paths():
                usage = shutil.disk_usage(path)
                disk.add_metric([label], usage.free / usage.total if usage.total else 0.0)
            yield disk
        except Exception:  # noqa: BLE001
            log.warning("metrics: disk space unreadable", exc_info=True)
        finished_at, size = last_backup()  # never raises: Redis away reads as unknown
        yield GaugeMetricFamily("coworking_backup_last_success_timestamp_seconds",
                                "When the last good backup finished (0: never or unknown).", value=finished_at or 0)
        if size is not None:
            yield GaugeMetricFamily("coworking_backup_last_size_bytes", "The last good backup's size.", value=size)


def disk_paths() -> list[tuple[str, Path]]:
    """The folders whose disks fill up: uploads, and the backups when they are kept locally."""
    settings = get_settings()
    paths = [("media", settings.media_root)]
    if not settings.backup_s3_bucket:  # dumps kept on this machine
        paths.append(("backups", settings.backup_dir))
    return [(label, path) for label, path in paths if Path(path).exists()]


_SCRAPE_TIME = ScrapeTime()


def allowed(request: Request) -> bool:
    token = get_settings().metrics_token
    if not token:
        return True
    given = request.headers.get("authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@router.get("/metrics", include_in_schema=False)
def metrics_text(request: Request) -> Response:
    if not allowed(request):
        return Response(tr("Нужен токен метрик (METRICS_TOKEN)\n"), status_code=401,
                        media_type="text/plain; charset=utf-8", headers={"WWW-Authenticate": "Bearer"})
    body, content_type = metrics.exposition([_SCRAPE_TIME])
    return Response(body, media_type=content_type)
