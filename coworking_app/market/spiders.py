"""The two generic spiders: `jsonld` (follows a site's own links, reads schema.org markup) and
`css` (a source's selectors). Both stay on the start URL's site, fetch each distinct URL once
(at most MARKET_MAX_PAGES of them, MARKET_MAX_DEPTH links deep, pagination not counted), count
the pages they get and turn every page that fails into an error {url, reason} in the ledger;
the crawl goes on. With `test_url` they fetch that one page and keep what they extracted in
the ledger instead of yielding it (the operator panel's "test a source")."""

from __future__ import annotations

import logging
from typing import Any, Iterable, Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as net_errors
from twisted.python.failure import Failure
from w3lib.url import canonicalize_url

from coworking_app.market.extract import (
    PageResult, css_values, extract_css, extract_structured, same_site, without_fragment,
)
from coworking_app.market.ledger import RunLedger
from coworking_app.market.middlewares import HostRefused
from coworking_app.market.safety import NonPublicAddress

logger = logging.getLogger(__name__)

NOT_HTML = "Страница не HTML"
ROBOTS_FORBIDDEN = "Страница запрещена файлом robots.txt сайта"
UNREADABLE = "Не удалось разобрать страницу"
TEST_LINKS_SHOWN = 20


def failure_reason(failure: Failure, *, start: bool = False) -> str | None:
    """The Russian reason of a failed request, None when it is no error of the run: a link
    robots.txt forbids, a redirect off the site (both are errors for the start URL)."""
    exc = failure.value
    request = getattr(failure, "request", None)
    host = (urlsplit(request.url).hostname or "") if request is not None else ""
    if isinstance(exc, HttpError):
        return f"Сервер ответил HTTP {exc.response.status}"
    if isinstance(exc, HostRefused):
        return exc.reason
    if isinstance(exc, IgnoreRequest):
        if not start:
            return None
        return ROBOTS_FORBIDDEN if "robots.txt" in str(exc) else "Страница не загружена: запрос отклонён"
    if isinstance(exc, NonPublicAddress):
        return f"Адрес {host} оказался внутренним при подключении: такие адреса не обходятся"
    if isinstance(exc, net_errors.DNSLookupError):
        return f"Не удалось найти сервер {host}"
    if isinstance(exc, (net_errors.TimeoutError, TimeoutError)):
        return "Сервер не ответил вовремя"
    if isinstance(exc, net_errors.ConnectionRefusedError):
        return "Сервер не принял соединение"
    if isinstance(exc, net_errors.ConnectError):
        return "Не удалось подключиться к серверу"
    return f"Не удалось загрузить страницу ({type(exc).__name__})"


class MarketSpider(scrapy.Spider):
    """What both spiders share: the budget, same-site links, pages and errors counted."""

    name = "market"

    def __init__(self, *, source: dict[str, Any], ledger: RunLedger, test_url: str | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.source = source
        self.ledger = ledger
        self.start_url: str = source["start_url"]
        self.test_url = test_url
        # OffsiteMiddleware drops redirects off the site (follow_urls holds links to it).
        self.allowed_domains = [(urlsplit(self.start_url).hostname or "").removeprefix("www.")]
        self._visited: set[str] = set()
        self._error_keys: set[tuple[Any, ...]] = set()

    @property
    def max_pages(self) -> int:
        return self.settings.getint("MARKET_MAX_PAGES", 500)

    @property
    def max_depth(self) -> int:
        return self.settings.getint("MARKET_MAX_DEPTH", 5)

    async def start(self) -> Any:
        if self.ledger.failure:  # the API refused the run's first (empty) batch
            return
        url = self.test_url or self.start_url
        self._visited.add(canonicalize_url(url))
        # dont_filter: the first URL is fetched even when it is not on the start URL's site
        # (a test URL); the links it leads to are held to the site.
        yield scrapy.Request(url, callback=self.parse_test if self.test_url else self.parse_start,
                             errback=self.failed, dont_filter=True, meta={"market_start": True})

    def closed(self, reason: str) -> None:
        self.ledger.close_reason = reason

    # --- counting -------------------------------------------------------------------------------

    def _fetched(self, response: Response) -> None:
        self.ledger.pages += 1
        if self.test_url:
            self.ledger.status = response.status

    def _error(self, url: str, reason: str, key: tuple[Any, ...] | None = None) -> None:
        if key is not None:
            if key in self._error_keys:
                return
            self._error_keys.add(key)
        logger.info("Page error %s: %s", url, reason)
        self.ledger.add_error(url, reason)

    def failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        if isinstance(failure.value, HttpError):
            self._fetched(failure.value.response)
        reason = failure_reason(failure, start=bool(request.meta.get("market_start")))
        if reason:
            self._error(request.url, reason)

    def _text_page(self, response: Response) -> TextResponse | None:
        """The response when it is a page of text, else None (an error for the first page only:
        a link to an image is no problem)."""
        if isinstance(response, TextResponse):
            return response
        if response.meta.get("market_start"):
            self._error(response.url, NOT_HTML)
        return None

    def _emit(self, response: Response, result: PageResult) -> Iterator[dict[str, Any]]:
        for error in result.errors:
            self._error(response.url, error.reason, error.key)
        for item in result.items:
            if self.test_url:
                self.ledger.extracted.append(item)
            else:
                yield item

    # --- following ------------------------------------------------------------------------------

    def follow_urls(self, response: Response, urls: Iterable[str], callback: Any, *,
                    pagination: bool = False) -> Iterator[scrapy.Request]:
        """Requests for the URLs not seen yet, on the start URL's site, within depth and budget."""
        if self.test_url:
            return
        depth = response.meta.get("depth", 0) + (0 if pagination else 1)
        if depth > self.max_depth:
            return
        for href in urls:
            url = without_fragment(response.urljoin(href.strip()))
            if not url.startswith(("http://", "https://")) or not same_site(url, self.start_url):
                continue
            key = canonicalize_url(url)
            if key in self._visited:
                continue
            if len(self._visited) >= self.max_pages:
                return
            self._visited.add(key)
            yield scrapy.Request(url, callback=callback, errback=self.failed,
                                 meta={"market_pagination": pagination})

    def parse_start(self, response: Response) -> Any:
        raise NotImplementedError

    def parse_test(self, response: Response) -> Any:
        raise NotImplementedError


class JsonLdSpider(MarketSpider):
    """Every same-site page from the start URL (rel=next as pagination); listings from schema.org
    JSON-LD, else microdata/RDFa (extract.extract_structured)."""

    name = "jsonld"
    links = LinkExtractor()

    def parse_start(self, response: Response) -> Iterator[Any]:
        return self.parse_page(response)

    def _read(self, page: TextResponse) -> PageResult | None:
        try:
            return extract_structured(page.selector, page.url)
        except Exception:  # a page no parser reads must not end the crawl
            logger.exception("Cannot read %s", page.url)
            self._error(page.url, UNREADABLE)
            return None

    def _next_pages(self, page: TextResponse) -> list[str]:
        return page.xpath("//link[contains(concat(' ', normalize-space(@rel), ' '), ' next ')]/@href"
                          " | //a[contains(concat(' ', normalize-space(@rel), ' '), ' next ')]/@href").getall()

    def _links(self, page: TextResponse, result: PageResult) -> list[str]:
        return [link.url for link in self.links.extract_links(page)] + result.links

    def parse_page(self, response: Response) -> Iterator[Any]:
        self._fetched(response)
        page = self._text_page(response)
        if page is None:
            return
        result = self._read(page)
        if result is None:
            return
        yield from self._emit(page, result)
        yield from self.follow_urls(page, self._next_pages(page), self.parse_page, pagination=True)
        yield from self.follow_urls(page, self._links(page, result), self.parse_page)

    def parse_test(self, response: Response) -> Iterator[Any]:
        self._fetched(response)
        page = self._text_page(response)
        if page is None:
            return
        result = self._read(page)
        if result is None:
            return
        yield from self._emit(page, result)
        nexts = self._next_pages(page)
        self.ledger.next = response.urljoin(nexts[0]) if nexts else None
        links = [url for url in dict.fromkeys(self._links(page, result)) if same_site(url, page.url)]
        self.ledger.links = links[:TEST_LINKS_SHOWN]


class CssSpider(MarketSpider):
    """Listing pages (the start URL, then `next`) give detail pages (`link`); each detail page
    gives one listing from the `item` selectors (extract.extract_css)."""

    name = "css"

    @property
    def selectors(self) -> dict[str, Any]:
        return self.source["selectors"]

    def parse_start(self, response: Response) -> Iterator[Any]:
        return self.parse_listing(response)

    def _list_links(self, page: TextResponse) -> tuple[list[str], list[str]]:
        links = css_values(page.selector, self.selectors["link"], default="href")
        query = self.selectors.get("next")
        nexts = css_values(page.selector, query, default="href") if query else []
        return links, nexts

    def parse_listing(self, response: Response) -> Iterator[Any]:
        self._fetched(response)
        page = self._text_page(response)
        if page is None:
            return
        links, nexts = self._list_links(page)
        if not links:
            self._error(page.url, f"Селектор «link» ({self.selectors['link']}) не нашёл ссылок на странице списка")
        yield from self.follow_urls(page, nexts[:1], self.parse_listing, pagination=True)
        yield from self.follow_urls(page, links, self.parse_detail)

    def _read(self, page: TextResponse) -> PageResult | None:
        try:
            return extract_css(page.selector, page.url, self.selectors["item"])
        except Exception:  # a page no parser reads must not end the crawl
            logger.exception("Cannot read %s", page.url)
            self._error(page.url, UNREADABLE)
            return None

    def parse_detail(self, response: Response) -> Iterator[Any]:
        self._fetched(response)
        page = self._text_page(response)
        if page is None:
            return
        result = self._read(page)
        if result is not None:
            yield from self._emit(page, result)

    def parse_test(self, response: Response) -> Iterator[Any]:
        """A test URL may be a detail page or a listing page: both readings are shown."""
        self._fetched(response)
        page = self._text_page(response)
        if page is None:
            return
        result = self._read(page)
        if result is not None:
            yield from self._emit(page, result)
        links, nexts = self._list_links(page)
        self.ledger.links = [page.urljoin(link) for link in links[:TEST_LINKS_SHOWN]]
        self.ledger.next = page.urljoin(nexts[0]) if nexts else None


SPIDERS: dict[str, type[MarketSpider]] = {"jsonld": JsonLdSpider, "css": CssSpider}
