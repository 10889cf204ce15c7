"""A crawl end to end, as production runs it: an operator's source, the RQ job's function
(jobs.market.crawl) starting the Scrapy child process, the child crawling a fixture site on
127.0.0.1 and posting its batches to the real API (granian, tests/api_server.py) with the
run's own key, the API normalising and storing; then what is stored, what was never
fetched and the run's error list."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from coworking_app.settings import get_settings
from jobs.market import crawl
from models import MarketListing
from tests.api_server import serve_api
from tests.booking_auth import signed_in
from tests.booking_helpers import API
from tests.market.servers import SiteServer
from tests.market.conftest import SITES
from tests.market.test_crawler import CSS_SELECTORS, HTTP_500
from tests.uow_helpers import transaction


@pytest.fixture(scope="module")
def api_url():
    with serve_api() as url:
        yield url


@pytest.fixture()
def operator():
    return signed_in("operator")[1]


def _source(client, operator, **body) -> int:
    r = client.post(f"{API}/admin/market/sources", headers=operator, json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _crawl(client, operator, source_id: int, api_url: str, monkeypatch) -> dict:
    monkeypatch.setattr(get_settings(), "market_api_url", api_url)
    run_id = client.post(f"{API}/admin/market/sources/{source_id}/crawl", headers=operator).json()["run_id"]
    assert crawl(run_id).startswith(f"run {run_id}: finished")
    return client.get(f"{API}/admin/market/runs/{run_id}", headers=operator).json()


def _stored(source_id: int) -> dict[str, MarketListing]:
    with transaction() as s:
        return {row.external_id: row for row in s.scalars(select(MarketListing).where(MarketListing.source_id == source_id))}


def test_a_css_source_is_crawled_normalised_and_stored_with_its_errors(client, operator, world, api_url, monkeypatch):
    with SiteServer(SITES / "css", fail_paths={"/objects/broken.html"}) as site:
        source_id = _source(client, operator, name=f"CSS {site.url}", start_url=f"{site.url}/catalog.html",
                            kind="css", selectors=CSS_SELECTORS)
        run = _crawl(client, operator, source_id, api_url, monkeypatch)
        fetched = Counter(site.paths())
    assert (run["status"], run["pages"], run["items"], run["stored"]) == ("finished", 16, 9, 9)
    assert run["started_at"] and run["finished_at"] and run["reason"] is None
    assert sorted((e["url"].removeprefix(site.url), e["reason"]) for e in run["errors"]) == [
        ("/objects/broken.html", HTTP_500),
        ("/objects/noprice.html", "На странице нет цены: селектор «price» (.cost) ничего не нашёл")]
    assert "/admin/hidden.html" not in fetched  # robots.txt forbids it
    listings = _stored(source_id)
    prices = {key: (row.price_minor, row.currency, row.unit) for key, row in listings.items()}
    assert prices == {
        "101": (50000, "RUB", "hour"),  # от 500 ₽/час
        "102": (300000, "RUB", "day"),  # 3 000 руб. в день (non-breaking space)
        "103": (1200000, "RUB", "month"),  # абонемент 12 000 ₽/мес (thin space)
        "104": (1500, "USD", "day"),  # $15/day
        "105": (150050, "RUB", "hour"),  # 1 500,50 ₽ за час
        "106": (35000, "RUB", "hour"),  # Почасовая аренда: 350 ₽ / час
        "107": (120000, "RUB", "day"),  # День — 1 200 ₽, and Месяц: 9 500 руб.
        "108": (250000, "RUB", "day"),  # от 2,5 тыс. ₽ в день
        f"{site.url}/objects/109.html": (50000, "RUB", "hour"),  # keyed by its URL: no id on the page
    }
    assert listings["107"].prices["month"] == {"amount_minor": 950000, "currency": "RUB"}
    tverskaya = listings["101"]
    assert (tverskaya.located_by, tverskaya.cancellation, tverskaya.city_id is not None) == ("page", "flexible", True)
    assert listings[f"{site.url}/objects/109.html"].located_by == "address"  # Москва, ул. Бауманская, 11
    # A listing seen again on a later crawl keeps one row (tests/services/market/test_market_ingest.py,
    # test_a_listing_seen_again_...): not crawled twice here, a crawl costs 15 s of the suite.


def test_a_jsonld_source_is_crawled_through_the_api(client, operator, world, api_url, monkeypatch):
    with SiteServer(SITES / "jsonld", fail_paths={"/spaces/broken.html"}) as site:
        source_id = _source(client, operator, name=f"JSON-LD {site.url}", start_url=f"{site.url}/index.html",
                            kind="jsonld")
        run = _crawl(client, operator, source_id, api_url, monkeypatch)
        fetched = Counter(site.paths())
    assert (run["status"], run["pages"], run["items"], run["stored"], run["error_count"]) == ("finished", 16, 8, 8, 3)
    assert "/private/secret.html" not in fetched
    listings = _stored(source_id)
    a1 = listings["a1"]  # on three URLs, stored once
    assert a1.prices == {"hour": {"amount_minor": 50000, "currency": "RUB"},
                         "day": {"amount_minor": 300000, "currency": "RUB"}}
    assert (a1.min_minutes, a1.amenities, a1.located_by) == (120, ["wifi", "coffee"], "page")
    assert listings["p-usd"].prices == {"day": {"amount_minor": 1500, "currency": "USD"},
                                        "month": {"amount_minor": 1200000, "currency": "RUB"}}
    assert listings["b1"].city_id is None  # Казань: not one of our cities, kept without a city


def test_a_crawl_that_cannot_reach_the_api_fails_with_a_reason(client, operator, world, monkeypatch):
    with SiteServer(SITES / "jsonld") as site:
        source_id = _source(client, operator, name=f"Недоступно {site.url}", start_url=f"{site.url}/index.html",
                            kind="jsonld")
        monkeypatch.setattr(get_settings(), "market_api_url", "http://127.0.0.1:9/api/v1")
        run_id = client.post(f"{API}/admin/market/sources/{source_id}/crawl", headers=operator).json()["run_id"]
        assert "failed" in crawl(run_id)
    run = client.get(f"{API}/admin/market/runs/{run_id}", headers=operator).json()
    assert run["status"] == "failed" and run["reason"] and run["finished_at"]
    assert crawl(run_id).endswith("not queued any more")  # a repeated job does nothing
