"""The crawl command the RQ job runs in a child process (Scrapy's reactor cannot restart inside a
long-lived worker):

    python -m coworking_app.market.crawl --source-json '{"id": 1, "kind": "jsonld"|"css",
        "start_url": "...", "selectors": {...} | null}' --run-id 5 --api http://HOST/api/v1
        --token KEY [--max-pages 500] [--max-depth 5] [--no-throttle] [--allow-private-hosts]

crawls the source, posts the listings in batches (pipelines.py) and prints one JSON line on
stdout: {"pages", "items", "stored", "errors", "status": "finished"|"failed", "reason"};
exit code 0 when finished, 1 when failed. The key may come from MARKET_API_TOKEN instead of
--token (then it is not in the process list). Logs go to stderr.

    python -m coworking_app.market.crawl --source-json '...' --test-url URL

fetches that one page with the source's extraction and prints {"url", "status", "items",
"errors", "links", "next"} (exit code 0 when the page answered 2xx); nothing is posted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import CrawlerProcess

from coworking_app.market.extract import check_selector
from coworking_app.market.ledger import RunLedger
from coworking_app.market.settings import crawl_settings
from coworking_app.market.spiders import SPIDERS

REQUIRED_ITEM_SELECTORS = ("external_id", "name", "price")
OPTIONAL_ITEM_SELECTORS = ("address", "lat", "lon", "terms", "min_duration", "amenities")


class SourceError(ValueError):
    """The --source-json is not a source the crawler can run (reason in Russian)."""


def _http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value.strip())
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _selector(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SourceError(f"Нет селектора «{name}»")
    if not check_selector(value):
        raise SourceError(f"Селектор «{name}» некорректен: {value[:200]}")
    return value.strip()


def read_source(text: str) -> dict[str, Any]:
    """The source from --source-json, checked: {id, kind, start_url, selectors}."""
    try:
        source = json.loads(text)
    except ValueError:
        raise SourceError("Описание источника не JSON") from None
    if not isinstance(source, dict):
        raise SourceError("Описание источника не объект JSON")
    source_id = source.get("id")
    if isinstance(source_id, bool) or not isinstance(source_id, int) or source_id < 1:
        raise SourceError("Нет номера источника (id)")
    if source.get("kind") not in SPIDERS:
        raise SourceError(f"Неизвестный вид источника: {source.get('kind')!r} (jsonld или css)")
    if not _http_url(source.get("start_url")):
        raise SourceError("Начальный адрес источника должен быть http(s)-адресом")
    checked = {"id": source_id, "kind": source["kind"], "start_url": source["start_url"].strip(), "selectors": None}
    if source["kind"] == "css":
        selectors = source.get("selectors")
        if not isinstance(selectors, dict) or not isinstance(selectors.get("item"), dict):
            raise SourceError("Для источника css нужны селекторы link и item")
        item = selectors["item"]
        checked["selectors"] = {
            "link": _selector(selectors.get("link"), "link"),
            "next": _selector(selectors["next"], "next") if selectors.get("next") else None,
            "item": {
                **{name: _selector(item.get(name), name) for name in REQUIRED_ITEM_SELECTORS},
                **{name: _selector(item[name], name) for name in OPTIONAL_ITEM_SELECTORS if item.get(name)},
            },
        }
    return checked


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m coworking_app.market.crawl",
                                     description="Crawl one market source and post its listings to the API.")
    parser.add_argument("--source-json", required=True, help='{"id", "kind", "start_url", "selectors"}')
    parser.add_argument("--run-id", type=int, help="the run the batches count for")
    parser.add_argument("--api", help="the API's base URL, e.g. http://127.0.0.1:3000/api/v1")
    parser.add_argument("--token", help="the run's service key (default: $MARKET_API_TOKEN)")
    parser.add_argument("--max-pages", type=int, default=500, help="distinct pages to fetch at most (500)")
    parser.add_argument("--max-depth", type=int, default=5, help="links away from the listing pages (5)")
    parser.add_argument("--no-throttle", action="store_true", help="AutoThrottle off (local fixture sites)")
    parser.add_argument("--allow-private-hosts", action="store_true",
                        help="allow private, loopback and link-local addresses (development, test)")
    parser.add_argument("--test-url", help="fetch this one page, print what it gives, post nothing")
    args = parser.parse_args(argv)
    if args.max_pages < 1 or args.max_depth < 0:
        parser.error("--max-pages must be at least 1 and --max-depth at least 0")
    if not args.test_url:
        args.token = args.token or os.environ.get("MARKET_API_TOKEN")
        missing = [flag for flag, value in (("--run-id", args.run_id), ("--api", args.api), ("--token", args.token))
                   if not value]
        if missing:
            parser.error("a crawl needs " + ", ".join(missing))
    return args


def _run(source: dict[str, Any], args: argparse.Namespace, ledger: RunLedger, *,
         ingest: dict[str, Any] | None, test_url: str | None) -> None:
    settings = crawl_settings(max_pages=args.max_pages, max_depth=args.max_depth,
                              throttle=not args.no_throttle and not test_url,
                              allow_private_hosts=args.allow_private_hosts, ingest=ingest)
    if test_url:
        settings.update({"RETRY_TIMES": 1, "HTTPCACHE_ENABLED": False, "CLOSESPIDER_PAGECOUNT": 0})
    process = CrawlerProcess(settings)
    process.crawl(SPIDERS[source["kind"]], source=source, ledger=ledger, test_url=test_url)
    process.start()


def _print(line: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    ledger = RunLedger()
    try:
        source = read_source(args.source_json)
    except SourceError as exc:
        reason = f"Некорректный источник: {exc}"
        if args.test_url:
            _print({"url": args.test_url, "status": None, "items": [], "errors": [{"url": args.test_url, "reason": reason}],
                    "links": [], "next": None})
        else:
            _print({**ledger.outcome(), "status": "failed", "reason": reason})
        return 1
    if args.test_url:
        if not _http_url(args.test_url):
            ledger.add_error(args.test_url, "Адрес для проверки должен быть http(s)-адресом")
        else:
            _run(source, args, ledger, ingest=None, test_url=args.test_url.strip())
        _print({"url": args.test_url, "status": ledger.status, "items": ledger.extracted,
                "errors": ledger.errors, "links": ledger.links, "next": ledger.next})
        return 0 if ledger.status is not None and 200 <= ledger.status < 300 else 1
    ingest = {"api": args.api, "token": args.token, "source_id": source["id"], "run_id": args.run_id}
    try:
        _run(source, args, ledger, ingest=ingest, test_url=None)
    except Exception as exc:  # the job reads the last line, whatever went wrong
        traceback.print_exc()
        ledger.failure = ledger.failure or f"Сбой обходчика: {type(exc).__name__}: {exc}"[:500]
    outcome = ledger.outcome()
    _print(outcome)
    return 0 if outcome["status"] == "finished" else 1


if __name__ == "__main__":
    sys.exit(main())
