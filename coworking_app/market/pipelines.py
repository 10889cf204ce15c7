"""The item pipeline: each listing once per crawl (by external id), posted in batches to
`POST {api}/market/listings/batch` with the run's key (contract: at most 50 items a batch,
with the pages and errors counted since the previous batch, and a last batch at the end).

The first batch is empty: it checks the key and the API before any page is fetched. The
API's answers give the stored and failed counts. A batch the API cannot take now (no
connection, 5xx, 408, 429) is sent again after 1 s and 2 s (MARKET_API_BACKOFF); a refused
key (401/403), a refused body (other 4xx), an unreadable answer or a third failure fails the
run with the reason and stops the crawl."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import httpx
from scrapy.exceptions import CloseSpider

from coworking_app.market.ledger import RunLedger

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

BATCH_ITEMS = 50
BATCH_ERRORS = 100
API_TIMEOUT_SECONDS = 60.0
STOP_REASON = "market_api_failed"


def _detail(response: httpx.Response) -> str:
    """The API's own words on a refusal (FastAPI's {"detail": ...}), short."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return ""
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        detail = detail[0].get("msg")
    return f": {str(detail)[:300]}" if detail else ""


class IngestPipeline:
    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        self.crawler = crawler
        self.endpoint = settings.get("MARKET_API_URL").rstrip("/") + "/market/listings/batch"
        self.token: str = settings.get("MARKET_API_TOKEN")
        self.source_id = settings.getint("MARKET_SOURCE_ID")
        self.run_id = settings.getint("MARKET_RUN_ID")
        self.attempts = max(1, settings.getint("MARKET_API_ATTEMPTS", 3))
        self.backoff = settings.getfloat("MARKET_API_BACKOFF", 1.0)
        self._seen: set[str] = set()
        self._items: list[dict[str, Any]] = []
        self._lock = asyncio.Lock()
        self._client: httpx.AsyncClient | None = None
        self.batches = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IngestPipeline:
        return cls(crawler)

    @property
    def ledger(self) -> RunLedger:
        return self.crawler.spider.ledger  # type: ignore[union-attr]

    async def open_spider(self) -> None:
        """Opens the client and sends an empty batch first: a refused key or an API out of reach
        fails the run before a single page of the source is fetched."""
        self._client = httpx.AsyncClient(
            timeout=API_TIMEOUT_SECONDS, follow_redirects=False,
            headers={"Authorization": f"Bearer {self.token}", "User-Agent": "CoSpaceBot ingest"})
        empty = {"source_id": self.source_id, "run_id": self.run_id, "pages": 0, "errors": [], "items": []}
        if await self._post(empty, stop=False) is None:
            raise CloseSpider(STOP_REASON)

    async def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        ledger = self.ledger
        key = item["external_id"]
        if ledger.failure or key in self._seen:
            return item
        self._seen.add(key)
        ledger.items += 1
        self._items.append(item)
        if len(self._items) >= BATCH_ITEMS or ledger.unsent_errors >= BATCH_ERRORS:
            await self._flush(final=False)
        return item

    async def close_spider(self) -> None:
        try:
            if not self.ledger.failure:
                await self._flush(final=True)
        finally:
            if self._client is not None:
                await self._client.aclose()

    async def _flush(self, *, final: bool) -> None:
        """Sends full batches (BATCH_ITEMS items or BATCH_ERRORS errors waiting); `final` sends
        everything left, and at least one batch: the last pages and errors."""
        async with self._lock:
            ledger = self.ledger
            first = True
            while not ledger.failure:
                full = len(self._items) >= BATCH_ITEMS or ledger.unsent_errors >= BATCH_ERRORS
                if not (full or (final and (first or self._items or ledger.unsent_errors))):
                    return
                first = False
                items, self._items = self._items[:BATCH_ITEMS], self._items[BATCH_ITEMS:]
                body = {"source_id": self.source_id, "run_id": self.run_id, "pages": ledger.take_pages(),
                        "errors": ledger.take_errors(BATCH_ERRORS), "items": items}
                answer = await self._post(body, stop=not final)
                if answer is None:
                    return
                ledger.stored += answer["stored"]
                ledger.api_errors += answer["errors"]
                for result in answer.get("results") or []:
                    if isinstance(result, dict) and result.get("status") == "error":
                        logger.info("Item %s refused by the API: %s", result.get("external_id"), result.get("reason"))

    async def _post(self, body: dict[str, Any], *, stop: bool) -> dict[str, Any] | None:
        assert self._client is not None
        problem = ""
        for attempt in range(1, self.attempts + 1):
            try:
                response = await self._client.post(self.endpoint, json=body)
            except httpx.HTTPError as exc:
                problem = f"API недоступно ({type(exc).__name__})"
            else:
                status = response.status_code
                if status == 200:
                    try:
                        answer = response.json()
                        if isinstance(answer, dict) and isinstance(answer.get("stored"), int) \
                                and isinstance(answer.get("errors"), int):
                            self.batches += 1
                            return answer
                    except ValueError:
                        pass
                    return self._fail("API ответило на пакет непонятно (нет чисел stored и errors)", stop)
                if status in (401, 403):
                    return self._fail(f"API не приняло ключ обхода (HTTP {status}){_detail(response)}", stop)
                if 400 <= status < 500 and status not in (408, 429):
                    return self._fail(f"API отклонило пакет (HTTP {status}){_detail(response)}", stop)
                problem = f"API ответило HTTP {status}"
            logger.warning("Batch not taken (attempt %s of %s): %s", attempt, self.attempts, problem)
            if attempt < self.attempts:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
        return self._fail(f"{problem}; попыток: {self.attempts}", stop)

    def _fail(self, reason: str, stop: bool) -> None:
        """Fails the run; with `stop` the crawl is closed too (its close runs, posting nothing)."""
        logger.error("Run failed: %s", reason)
        ledger = self.ledger
        ledger.failure = reason
        engine = self.crawler.engine
        if stop and engine is not None:
            asyncio.ensure_future(engine.close_spider_async(reason=STOP_REASON))
        return None
