"""The crawler's own Scrapy middlewares (switched on in settings.py)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.depth import DepthMiddleware
from scrapy.utils.httpobj import urlparse_cached

from coworking_app.market.safety import host_refusal

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings


class HostRefused(IgnoreRequest):
    """A URL the crawler will not fetch; `reason` goes to the run's error list."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class HostGuardMiddleware:
    """Downloader middleware, before robots.txt is fetched: only http(s) URLs, and unless
    MARKET_ALLOW_PRIVATE_HOSTS only hosts whose every address is public (safety.py). The verdict
    is kept per host and port for the crawl; a redirect is a new request and checked again."""

    def __init__(self, crawler: Crawler):
        self.allow_private = crawler.settings.getbool("MARKET_ALLOW_PRIVATE_HOSTS")
        self._verdicts: dict[tuple[str, int], str | None] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostGuardMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        parts = urlparse_cached(request)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise HostRefused(f"Адрес {request.url[:200]} не http(s): такие ссылки не обходятся")
        if self.allow_private:
            return None
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise HostRefused(f"Некорректный порт в адресе {request.url[:200]}") from None
        key = (parts.hostname, port)
        if key not in self._verdicts:
            self._verdicts[key] = await host_refusal(parts.hostname, port)
        reason = self._verdicts[key]
        if reason:
            raise HostRefused(reason)
        return None


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries (RETRY_TIMES, RETRY_HTTP_CODES), each after a growing pause:
    MARKET_RETRY_BACKOFF seconds, then twice that, ... at most MARKET_RETRY_BACKOFF_MAX. The
    pause holds only the retried request; the crawl goes on meanwhile."""

    def __init__(self, settings: BaseSettings):
        super().__init__(settings)
        self.backoff = settings.getfloat("MARKET_RETRY_BACKOFF", 2.0)
        self.backoff_max = settings.getfloat("MARKET_RETRY_BACKOFF_MAX", 30.0)

    async def _pause(self, result: Any) -> Any:
        if isinstance(result, Request) and self.backoff > 0:
            attempt = max(1, int(result.meta.get("retry_times", 1)))
            await asyncio.sleep(min(self.backoff * 2 ** (attempt - 1), self.backoff_max))
        return result

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        return await self._pause(super().process_response(request, response))

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:  # type: ignore[override]
        return await self._pause(super().process_exception(request, exception))


class PaginationDepthMiddleware(DepthMiddleware):
    """DepthMiddleware (DEPTH_LIMIT) where the next page of a list keeps the list's depth:
    depth counts links away from the listing pages, and a long pagination is bounded by the
    page count (CLOSESPIDER_PAGECOUNT and the spider's budget), not cut at DEPTH_LIMIT pages."""

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        if response is not None and request.meta.get("market_pagination"):
            request.meta.pop("depth_reset", None)
            request.meta["depth"] = response.meta.get("depth", 0)
            return request
        return super().get_processed_request(request, response)
