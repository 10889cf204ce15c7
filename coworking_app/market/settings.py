"""Scrapy settings of a crawl, built from the command's options (crawl.py).

Politeness: robots.txt obeyed (as "CoSpaceBot"), AutoThrottle (off with --no-throttle, for
local fixture sites), two requests at a time per site, a user agent naming CoSpace and a contact
URL (MARKET_CONTACT_URL, else PUBLIC_URL, else http://localhost:PORT), retries with a growing
pause. Bounds: DEPTH_LIMIT (--max-depth, pagination not counted), the spider's budget of
distinct pages (--max-pages) and CLOSESPIDER_PAGECOUNT as a backstop (every answer counts
there, robots.txt, redirects and retries included). The HTTP cache is on in development only
(var/market-httpcache). Only http and https are downloaded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

BOT_NAME = "CoSpaceBot"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def contact_url() -> str:
    return (os.environ.get("MARKET_CONTACT_URL") or os.environ.get("PUBLIC_URL")
            or f"http://localhost:{os.environ.get('PORT', '3000')}")


def user_agent() -> str:
    return f"{BOT_NAME}/1.0 (CoSpace market research; +{contact_url()})"


def crawl_settings(*, max_pages: int, max_depth: int, throttle: bool, allow_private_hosts: bool,
                   ingest: dict[str, Any] | None) -> dict[str, Any]:
    """The settings of one crawl; `ingest` ({api, token, source_id, run_id}) switches the
    pipeline that posts to the API on (None for --test-url)."""
    development = os.environ.get("APP_ENV", "development") == "development"
    settings: dict[str, Any] = {
        "BOT_NAME": BOT_NAME,
        "USER_AGENT": user_agent(),
        "ROBOTSTXT_OBEY": True,
        "ROBOTSTXT_USER_AGENT": BOT_NAME,
        "CONCURRENT_REQUESTS": 8,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
        "AUTOTHROTTLE_ENABLED": throttle,
        "AUTOTHROTTLE_START_DELAY": 1.0,
        "AUTOTHROTTLE_MAX_DELAY": 30.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "DOWNLOAD_DELAY": 0.5 if throttle else 0,
        "DOWNLOAD_TIMEOUT": 30,
        "DOWNLOAD_MAXSIZE": 10 * 1024 * 1024,
        "DOWNLOAD_WARNSIZE": 2 * 1024 * 1024,
        "DNS_TIMEOUT": 10,
        "REDIRECT_MAX_TIMES": 5,
        "COOKIES_ENABLED": False,
        # No control ports: the telnet console, and Scrapy 2.19's remote control (an HTTP server
        # on localhost that runs Python code sent to it, its token in a job file) stay off.
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "LOG_LEVEL": os.environ.get("MARKET_LOG_LEVEL", "INFO"),
        # Retries with a growing pause (middlewares.BackoffRetryMiddleware).
        "RETRY_ENABLED": True,
        "RETRY_TIMES": 2,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "MARKET_RETRY_BACKOFF": float(os.environ.get("MARKET_RETRY_BACKOFF", "2")),
        "MARKET_RETRY_BACKOFF_MAX": 30.0,
        # Bounds.
        "DEPTH_LIMIT": max_depth,
        "MARKET_MAX_PAGES": max_pages,
        "MARKET_MAX_DEPTH": max_depth,
        "CLOSESPIDER_PAGECOUNT": 3 * max_pages + 10,
        # Breadth first: the listing pages before the pages they link to.
        "DEPTH_PRIORITY": 1,
        "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
        "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
        # Safety (safety.py): no file:, ftp:, s3:, data: URLs; public addresses only unless allowed.
        "DOWNLOAD_HANDLERS": {"file": None, "ftp": None, "s3": None, "data": None},
        "MARKET_ALLOW_PRIVATE_HOSTS": allow_private_hosts,
        "DOWNLOADER_MIDDLEWARES": {
            "coworking_app.market.middlewares.HostGuardMiddleware": 60,  # after Offsite, before robots.txt
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "coworking_app.market.middlewares.BackoffRetryMiddleware": 550,
        },
        "SPIDER_MIDDLEWARES": {
            "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
            "coworking_app.market.middlewares.PaginationDepthMiddleware": 900,
        },
        "HTTPCACHE_ENABLED": development,
        "HTTPCACHE_DIR": str(PROJECT_ROOT / "var" / "market-httpcache"),
        "HTTPCACHE_EXPIRATION_SECS": 24 * 3600,
        "HTTPCACHE_IGNORE_HTTP_CODES": [429, 500, 502, 503, 504],
        "ITEM_PIPELINES": {},
    }
    if not allow_private_hosts:
        settings["TWISTED_DNS_RESOLVER"] = "coworking_app.market.safety.PublicOnlyResolver"
    if ingest:
        settings["ITEM_PIPELINES"] = {"coworking_app.market.pipelines.IngestPipeline": 300}
        settings.update({
            "MARKET_API_URL": ingest["api"], "MARKET_API_TOKEN": ingest["token"],
            "MARKET_SOURCE_ID": ingest["source_id"], "MARKET_RUN_ID": ingest["run_id"],
            "MARKET_API_ATTEMPTS": 3,
            "MARKET_API_BACKOFF": float(os.environ.get("MARKET_API_BACKOFF", "1")),
        })
    return settings
