"""Running the crawler (coworking_app/market, a Scrapy project) in a child process: Scrapy's
Twisted reactor cannot be restarted inside a long-lived RQ worker, and a crawl that hangs or
crashes must not take the worker with it. The child posts its batches to the API with the
run's own key (ingest.py); this module starts it, waits and reads its one-line summary."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from dataclasses import dataclass

from sqlmodel import Session

from coworking_app.services.common.errors import InvalidInput
from coworking_app.services.market.sources import access_source, check_start_url, private_hosts_allowed
from coworking_app.settings import get_settings
from models import MarketSource, User
from coworking_app.i18n import tr

log = logging.getLogger(__name__)
TEST_TIMEOUT = 30  # seconds for "test a source on one URL"


@dataclass(frozen=True)
class CrawlOutcome:
    ok: bool
    reason: str | None
    summary: dict


def source_json(source: MarketSource) -> str:
    return json.dumps({"id": source.id, "kind": source.kind, "start_url": source.start_url,
                       "selectors": source.selectors}, ensure_ascii=False)


def _base_command(source: MarketSource) -> list[str]:
    command = [sys.executable, "-m", "coworking_app.market.crawl", "--source-json", source_json(source)]
    if private_hosts_allowed():
        command.append("--allow-private-hosts")
    return command


def _child_env(key: str | None = None) -> dict[str, str]:
    """The child's environment: the run's key in MARKET_API_TOKEN (not in the process list)
    and the contact URL its User-Agent names."""
    settings = get_settings()
    env = {**os.environ, "MARKET_CONTACT_URL": settings.market_contact_url or settings.base_url}
    if key:
        env["MARKET_API_TOKEN"] = key
    return env


def _summary(stdout: str) -> dict | None:
    for line in reversed(stdout.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def run_crawl(source: MarketSource, run_id: int, key: str, *, max_pages: int | None = None,
              throttle: bool = True) -> CrawlOutcome:
    """Crawls `source` in a child process for run `run_id`; the outcome in words."""
    settings = get_settings()
    command = _base_command(source) + [
        "--run-id", str(run_id), "--api", settings.market_api, "--max-pages", str(max_pages or settings.market_max_pages)]
    if not throttle:
        command.append("--no-throttle")
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=settings.market_crawl_timeout_seconds,
                              check=False, env=_child_env(key))
    except subprocess.TimeoutExpired:
        return CrawlOutcome(False, tr("обход не уложился в {market_crawl_timeout_seconds} с и остановлен", market_crawl_timeout_seconds=settings.market_crawl_timeout_seconds), {})
    summary = _summary(done.stdout) or {}
    if done.returncode == 0 and summary.get("status") == "finished":
        return CrawlOutcome(True, None, summary)
    reason = summary.get("reason") or tr("обход завершился с ошибкой (код {returncode})", returncode=done.returncode)
    log.warning("market crawl of run %s failed: %s; stderr tail: %s", run_id, reason, done.stderr[-2000:])
    return CrawlOutcome(False, str(reason)[:1000], summary)


def test_source(session: Session, user: User | None, source_id: int, url: str) -> list[dict]:
    """The operator's "test on one URL": the source's extraction applied to one page, the
    fields found per item (nothing is stored)."""
    source = access_source(session, user, source_id)
    url = check_start_url(url) if url else source.start_url
    command = _base_command(source) + ["--test-url", url]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TEST_TIMEOUT, check=False,
                              env=_child_env())
    except subprocess.TimeoutExpired:
        raise InvalidInput("url", tr("страница не ответила за {TEST_TIMEOUT} с", TEST_TIMEOUT=TEST_TIMEOUT)) from None
    summary = _summary(done.stdout)
    if summary is None:
        log.warning("market test of source %s gave no answer: %s", source_id, done.stderr[-2000:])
        raise InvalidInput("url", tr("проверка не удалась: обходчик не ответил, подробности в журнале сервера"))
    items, errors = list(summary.get("items") or []), list(summary.get("errors") or [])
    if not items and errors:
        raise InvalidInput("url", str(errors[0].get("reason") or tr("на странице ничего не найдено"))[:500])
    if not items:
        raise InvalidInput("url", tr("на этой странице источник не нашёл ни одного предложения"))
    return items
