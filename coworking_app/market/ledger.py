"""What one crawl counted: shared by the spider (pages, page errors), the pipeline (items sent,
the API's answers) and the command (the final line)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Close reasons of a crawl that ended by itself (Scrapy's, and its CloseSpider limits).
FINISHED_REASONS = frozenset({"finished", "closespider_pagecount", "closespider_itemcount",
                              "closespider_timeout", "closespider_errorcount"})


@dataclass
class RunLedger:
    pages: int = 0  # pages fetched for the crawl (answers of any status; robots.txt not counted)
    errors: list[dict[str, str]] = field(default_factory=list)  # {url, reason} per page error
    items: int = 0  # listings sent to the API, each once
    stored: int = 0  # from the API's answers
    api_errors: int = 0  # items the API answered "error" for
    failure: str | None = None  # why the run failed (Russian), set by the pipeline
    close_reason: str | None = None  # Scrapy's reason for closing the spider
    # --test-url
    extracted: list[dict[str, Any]] = field(default_factory=list)
    status: int | None = None
    links: list[str] = field(default_factory=list)
    next: str | None = None
    _pages_sent: int = 0
    _errors_sent: int = 0

    def add_error(self, url: str, reason: str) -> None:
        self.errors.append({"url": url[:2000], "reason": reason})

    def take_pages(self) -> int:
        """Pages counted since the previous batch."""
        delta, self._pages_sent = self.pages - self._pages_sent, self.pages
        return delta

    def take_errors(self, limit: int) -> list[dict[str, str]]:
        """Up to `limit` errors not yet sent."""
        chunk = self.errors[self._errors_sent:self._errors_sent + limit]
        self._errors_sent += len(chunk)
        return chunk

    @property
    def unsent_errors(self) -> int:
        return len(self.errors) - self._errors_sent

    def outcome(self) -> dict[str, Any]:
        """The command's last line (contract: pages, items, stored, errors, status, reason)."""
        reason = self.failure
        if reason is None and self.close_reason not in FINISHED_REASONS:
            reason = ("Обход прерван сигналом остановки" if self.close_reason == "shutdown"
                      else "Обход не запустился" if self.close_reason is None
                      else f"Обход остановлен: {self.close_reason}")
        return {"pages": self.pages, "items": self.items, "stored": self.stored,
                "errors": len(self.errors) + self.api_errors,
                "status": "failed" if reason else "finished", "reason": reason}
