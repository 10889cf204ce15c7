"""Fixtures of the crawler's tests: the fixture sites (tests/market/sites) served on 127.0.0.1,
a stand-in for the batch-ingest API, and `crawl`, which runs the crawl command as the RQ job
does: a child process, its one JSON line on stdout, its exit code. No database, no Redis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from tests.market.servers import FakeIngestApi, SiteServer

SITES = Path(__file__).resolve().parent / "sites"
ROOT = Path(__file__).resolve().parents[2]
# Short pauses between retries (pages and batches): the behaviour is the same, the test quicker.
CRAWL_ENV = {"APP_ENV": "test", "MARKET_RETRY_BACKOFF": "0.1", "MARKET_API_BACKOFF": "0.1"}
CRAWL_TIMEOUT_SECONDS = 120


@dataclass
class CrawlResult:
    code: int
    line: dict[str, Any]  # the last line on stdout
    stdout: str
    stderr: str
    seconds: float


def run_crawl(source: dict[str, Any], *args: str, api: FakeIngestApi | None = None, token: str | None = None,
              api_url: str | None = None, private_hosts: bool = True, throttle: bool = False,
              env: dict[str, str] | None = None) -> CrawlResult:
    """`python -m coworking_app.market.crawl` in a child process, as the RQ job runs it."""
    command = [sys.executable, "-m", "coworking_app.market.crawl", "--source-json", json.dumps(source)]
    if api is not None or api_url is not None:
        command += ["--run-id", "5", "--api", api_url or api.url, "--token", token or api.token]  # type: ignore[union-attr]
    if private_hosts:
        command.append("--allow-private-hosts")
    if not throttle:
        command.append("--no-throttle")
    command += list(args)
    started = time.monotonic()
    process = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=CRAWL_TIMEOUT_SECONDS,
                             env={**os.environ, **CRAWL_ENV, **(env or {})})
    seconds = time.monotonic() - started
    lines = process.stdout.strip().splitlines()
    assert len(lines) == 1, f"one JSON line expected on stdout:\n{process.stdout}\n--- stderr:\n{process.stderr[-3000:]}"
    return CrawlResult(process.returncode, json.loads(lines[0]), process.stdout, process.stderr, seconds)


@pytest.fixture
def crawl() -> Callable[..., CrawlResult]:
    return run_crawl


@pytest.fixture
def jsonld_site() -> Iterator[SiteServer]:
    with SiteServer(SITES / "jsonld", fail_paths={"/spaces/broken.html"}) as site:
        yield site


@pytest.fixture
def css_site() -> Iterator[SiteServer]:
    with SiteServer(SITES / "css", fail_paths={"/objects/broken.html"}) as site:
        yield site


@pytest.fixture
def ingest_api() -> Iterator[FakeIngestApi]:
    with FakeIngestApi() as api:
        yield api
