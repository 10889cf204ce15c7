"""The crawl command end to end against local fixture sites and a stand-in for the ingest API
(tests/market/servers.py): what is sent (fields, raw price texts, each listing once), what is
never fetched (robots.txt, other sites, refused hosts), the run's error list and counts, the
bounds, --test-url, a failing API, and the 500-page site's time."""

from __future__ import annotations

from collections import Counter

from tests.market.servers import FakeIngestApi, SiteServer
from tests.market.sitegen import generate_site

CSS_SELECTORS = {
    "link": ".listing a::attr(href)",
    "next": "a.next::attr(href)",
    "item": {"external_id": ".object::attr(data-id)", "name": ".title::text", "address": ".addr::text",
             "price": ".cost", "lat": "span.geo::attr(data-lat)", "lon": "span.geo::attr(data-lon)",
             "terms": ".terms::text"},
}
HTTP_500 = "Сервер ответил HTTP 500"


def jsonld_source(site: SiteServer, page: str = "/index.html") -> dict:
    return {"id": 7, "kind": "jsonld", "start_url": site.url + page, "selectors": None}


def css_source(site: SiteServer) -> dict:
    return {"id": 8, "kind": "css", "start_url": site.url + "/catalog.html", "selectors": CSS_SELECTORS}


def test_jsonld_crawl_sends_each_listing_once_with_its_fields(jsonld_site, ingest_api, crawl):
    result = crawl(jsonld_source(jsonld_site), api=ingest_api)
    site = jsonld_site.url

    assert result.code == 0, result.stderr[-3000:]
    assert result.line == {"pages": 16, "items": 8, "stored": 8, "errors": 3, "status": "finished", "reason": None}
    sent = ingest_api.items()
    items = {item["external_id"]: item for item in sent}
    assert len(sent) == len(items) == 8  # a1 is on three URLs, text-offer on two: each sent once
    assert set(items) == {"a1", "b1", "c1", "g1", f"{site}/spaces/graph.html#2", "p-usd",
                          f"{site}/spaces/text-offer.html", "https://catalog.example/spaces/d1"}
    a1 = items["a1"]
    assert a1.pop("url") in {f"{site}/spaces/a1.html", f"{site}/spaces/a1.html?utm_source=list",
                             f"{site}/spaces/a1-copy.html"}
    assert a1 == {  # JSON-LD: WebPage.mainEntity, PropertyValue identifier, two UnitPriceSpecifications
        "external_id": "a1", "name": "Коворкинг А", "address": "Москва, ул. Тверская, 7",
        "lat": 55.7601, "lon": 37.6101,
        "prices": [{"amount": "500", "currency": "RUB", "unit_code": "HUR"},
                   {"amount": "3000.00", "currency": "RUB", "unit_code": "DAY"}],
        "terms": "Отмена бесплатно за 24 часа", "min_duration": "от 2 часа", "amenities": ["Wi-Fi", "Кофе"]}
    assert items["b1"] == {  # microdata
        "external_id": "b1", "url": f"{site}/spaces/b1-microdata.html", "name": "Коворкинг Б",
        "address": "Казань, ул. Баумана, 15", "lat": 55.7887, "lon": 49.1221,
        "prices": [{"amount": "350", "currency": "RUB", "unit_code": "HUR"}],
        "terms": None, "min_duration": None, "amenities": ["Переговорная", "Кухня"]}
    assert items["c1"]["prices"] == [{"amount": "1200", "currency": "RUB", "unit_code": "DAY"}]  # RDFa
    assert items["c1"]["address"] == "Екатеринбург, ул. Малышева, 51"
    # @graph with references; the building both rooms are in is no listing of its own
    assert (items["g1"]["address"], items["g1"]["lat"], items["g1"]["lon"]) == (
        "Санкт-Петербург, Невский пр., 10", 59.9343, 30.3351)
    assert items["g1"]["prices"] == [{"amount": "12000", "currency": "RUB", "unit_code": "MON"}]
    assert items[f"{site}/spaces/graph.html#2"]["name"] == "Переговорная Б"
    assert items[f"{site}/spaces/graph.html#2"]["prices"] == [{"amount": "1200", "currency": "RUB", "unit_code": "час"}]
    assert items["p-usd"]["prices"] == [{"amount": "15", "currency": "USD", "unit_code": "DAY"},
                                        {"amount": "12000", "currency": "RUB", "unit_code": "месяц"}]
    assert items[f"{site}/spaces/text-offer.html"]["prices"] == [{"text": "от 500 ₽/час"}, {"text": "1 500,50 ₽ за час"}]
    assert items["https://catalog.example/spaces/d1"]["prices"] == [
        {"amount": "9500", "currency": "RUB", "unit_code": "MON"}]

    assert sorted(ingest_api.errors(), key=lambda e: e["url"]) == [
        {"url": f"{site}/spaces/badjson.html", "reason": "Некорректная разметка JSON-LD (строка 2, позиция 28)"},
        {"url": f"{site}/spaces/broken.html", "reason": HTTP_500},
        {"url": f"{site}/spaces/noprice.html", "reason": "На странице нет цены"},
    ]
    fetched = Counter(jsonld_site.paths())
    assert fetched["/robots.txt"] == 1 and jsonld_site.paths()[0] == "/robots.txt"
    assert "/private/secret.html" not in fetched  # robots.txt forbids it
    assert "/photos/a1.jpg" not in fetched  # not a page
    assert fetched["/spaces/broken.html"] == 3  # answered 500, tried twice more
    assert {path for path, n in fetched.items() if n > 1} == {"/spaces/broken.html"}
    assert "/spaces/itemlist-only.html" in fetched  # linked from the JSON-LD ItemList only

    assert ingest_api.pages() == 16
    assert ingest_api.batches[0] == {"source_id": 7, "run_id": 5, "pages": 0, "errors": [], "items": []}
    assert all(batch["source_id"] == 7 and batch["run_id"] == 5 for batch in ingest_api.batches)
    assert all(headers["Authorization"] == f"Bearer {ingest_api.token}" for headers in ingest_api.headers)


def test_css_crawl_follows_pagination_and_sends_raw_price_texts(css_site, crawl):
    with FakeIngestApi(refuse_ids={"104": "Цена в USD без курса"}) as api:
        result = crawl(css_source(css_site), api=api)
    site = css_site.url

    assert result.code == 0, result.stderr[-3000:]
    assert result.line == {"pages": 16, "items": 9, "stored": 8, "errors": 3, "status": "finished", "reason": None}
    items = {item["external_id"]: item for item in api.items()}
    assert len(api.items()) == len(items) == 9  # 101 and 109 are each linked twice
    assert {key: [price["text"] for price in item["prices"]] for key, item in items.items()} == {
        "101": ["от 500 ₽/час"],
        "102": ["3\u00a0000 руб. в день"],  # non-breaking space, as on the page
        "103": ["абонемент 12\u2009000 ₽/мес"],  # thin space
        "104": ["$15/day"],
        "105": ["1\u202f500,50 ₽ за час"],  # narrow non-breaking space
        "106": ["Почасовая аренда: 350 ₽ / час"],
        "107": ["День — 1 200 ₽", "Месяц: 9 500 руб."],  # two elements, two prices
        "108": ["от 2,5 тыс. ₽ в день"],  # markup inside the price: the element's whole text
        f"{site}/objects/109.html": ["500 ₽ в час"],  # no data-id: keyed by its canonical URL
    }
    # 101 is linked twice (with and without "?from=catalog"): whichever of the two pages was
    # fetched first under concurrent requests is the one sent, and its address is the item's.
    assert items["101"].pop("url") in (f"{site}/objects/101.html", f"{site}/objects/101.html?from=catalog")
    assert items["101"] == {
        "external_id": "101", "name": "Лофт на Тверской",
        "address": "Москва, ул. Тверская, 12", "lat": 55.765, "lon": 37.605, "prices": [{"text": "от 500 ₽/час"}],
        "terms": "Отмена бесплатно за 24 часа", "min_duration": None, "amenities": []}
    assert items["106"]["lat"] is None and items["106"]["terms"] is None
    assert items[f"{site}/objects/109.html"]["address"] == "Москва, ул. Бауманская, 11"

    errors = sorted(api.errors(), key=lambda e: e["url"])
    assert errors == [
        {"url": f"{site}/objects/broken.html", "reason": HTTP_500},
        {"url": f"{site}/objects/noprice.html", "reason": "На странице нет цены: селектор «price» (.cost) ничего не нашёл"},
    ]
    fetched = Counter(css_site.paths())
    assert {"/catalog.html", "/catalog-2.html", "/catalog-3.html"} <= set(fetched)
    assert "/admin/hidden.html" not in fetched  # robots.txt forbids it for CoSpaceBot
    assert {path for path, n in fetched.items() if n > 1} == {"/objects/broken.html"}
    assert api.pages() == 16


def test_private_hosts_are_refused_unless_allowed(jsonld_site, ingest_api, crawl):
    result = crawl(jsonld_source(jsonld_site), api=ingest_api, private_hosts=False)

    assert result.code == 0
    assert result.line == {"pages": 0, "items": 0, "stored": 0, "errors": 1, "status": "finished", "reason": None}
    assert ingest_api.errors() == [{
        "url": f"{jsonld_site.url}/index.html",
        "reason": "Адрес 127.0.0.1 внутренний (частная сеть, loopback, link-local или служебный): "
                  "такие адреса не обходятся"}]
    assert jsonld_site.paths() == []  # not even robots.txt


def test_test_url_prints_what_one_page_gives(jsonld_site, css_site, crawl):
    graph = crawl(jsonld_source(jsonld_site), "--test-url", f"{jsonld_site.url}/spaces/graph.html")
    assert graph.code == 0
    assert graph.line["status"] == 200 and graph.line["errors"] == []
    assert [(item["external_id"], item["name"]) for item in graph.line["items"]] == [
        ("g1", "Опенспейс «Север»"), (f"{jsonld_site.url}/spaces/graph.html#2", "Переговорная Б")]
    assert jsonld_site.paths() == ["/robots.txt", "/spaces/graph.html"]  # that page only

    listing = crawl(css_source(css_site), "--test-url", f"{css_site.url}/catalog.html")
    assert listing.code == 0
    assert listing.line["links"][:2] == [f"{css_site.url}/objects/101.html", f"{css_site.url}/objects/102.html"]
    assert listing.line["next"] == f"{css_site.url}/catalog-2.html"
    detail = crawl(css_source(css_site), "--test-url", f"{css_site.url}/objects/107.html")
    assert detail.line["items"][0]["prices"] == [{"text": "День — 1 200 ₽"}, {"text": "Месяц: 9 500 руб."}]

    broken = crawl(jsonld_source(jsonld_site), "--test-url", f"{jsonld_site.url}/spaces/noprice.html")
    assert broken.code == 0 and broken.line["items"] == []
    assert broken.line["errors"] == [{"url": f"{jsonld_site.url}/spaces/noprice.html", "reason": "На странице нет цены"}]
    forbidden = crawl(jsonld_source(jsonld_site), "--test-url", f"{jsonld_site.url}/private/secret.html")
    assert forbidden.code == 1
    assert forbidden.line["errors"] == [{"url": f"{jsonld_site.url}/private/secret.html",
                                         "reason": "Страница запрещена файлом robots.txt сайта"}]
    assert "/private/secret.html" not in jsonld_site.paths()


def test_a_refused_key_fails_the_run_before_any_page_is_fetched(jsonld_site, ingest_api, crawl):
    result = crawl(jsonld_source(jsonld_site), api=ingest_api, token="another-key")

    assert result.code == 1
    assert result.line == {"pages": 0, "items": 0, "stored": 0, "errors": 0, "status": "failed",
                           "reason": "API не приняло ключ обхода (HTTP 401): Ключ не принят"}
    assert jsonld_site.paths() == []


def test_an_unreachable_api_fails_the_run_after_retries(jsonld_site, crawl):
    with FakeIngestApi() as api:
        url, token = api.url, api.token  # closed once the block ends: nothing listens there
    result = crawl(jsonld_source(jsonld_site), api_url=url, token=token)

    assert result.code == 1
    assert result.line["status"] == "failed"
    assert result.line["reason"] == "API недоступно (ConnectError); попыток: 3"
    assert jsonld_site.paths() == []


def test_an_api_refusing_a_batch_stops_the_crawl(tmp_path, crawl):
    generated = generate_site(tmp_path, pages=400)
    with SiteServer(tmp_path) as site, FakeIngestApi(refuse_from=3) as api:  # the second batch of items
        result = crawl(jsonld_source(site), api=api)

    assert result.code == 1
    assert result.line["status"] == "failed"
    assert result.line["reason"] == "API отклонило пакет (HTTP 422): Пакет не принят"
    assert result.line["stored"] == 50 and len(api.items()) == 50
    assert len(site.paths()) < generated.pages  # stopped, not crawled to the end


def test_pages_and_depth_are_bounded(jsonld_site, ingest_api, crawl):
    few = crawl(jsonld_source(jsonld_site), "--max-pages", "3", api=ingest_api)
    assert few.code == 0
    assert few.line["pages"] == 3
    assert len(set(jsonld_site.paths()) - {"/robots.txt"}) == 3

    with FakeIngestApi() as api, SiteServer(jsonld_site.root) as site:
        shallow = crawl(jsonld_source(site), "--max-depth", "0", api=api)
    assert shallow.line["pages"] == 3  # the start page and its rel=next pages: pagination keeps the depth
    assert set(site.paths()) == {"/robots.txt", "/index.html", "/list-2.html", "/list-3.html"}


def test_a_500_page_site_is_crawled_and_ingested_within_60_seconds(tmp_path, crawl, capsys):
    generated = generate_site(tmp_path, pages=500)
    with SiteServer(tmp_path) as site, FakeIngestApi() as api:
        result = crawl(jsonld_source(site), "--max-pages", "500", api=api)

    assert result.code == 0, result.stderr[-3000:]
    assert result.line == {"pages": 500, "items": generated.detail_pages, "stored": generated.detail_pages,
                           "errors": 0, "status": "finished", "reason": None}
    assert max(len(batch["items"]) for batch in api.batches) == 50
    assert len({item["external_id"] for item in api.items()}) == generated.detail_pages
    with capsys.disabled():
        print(f"\n500-page fixture site: crawled and ingested in {result.seconds:.1f} s "
              f"({generated.detail_pages} listings, {len(api.batches)} batches, AutoThrottle off)")
    assert result.seconds < 60


def test_a_source_the_crawler_cannot_run_fails_with_the_reason(crawl, ingest_api):
    result = crawl({"id": 1, "kind": "css", "start_url": "http://127.0.0.1:9/", "selectors": {"link": "a[", "item": {}}},
                   api=ingest_api)
    assert result.code == 1
    assert result.line["status"] == "failed"
    assert result.line["reason"] == "Некорректный источник: Селектор «link» некорректен: a["
    assert ingest_api.attempts == 0


def test_requests_name_cospace_and_a_contact_url_and_autothrottle_is_on_unless_switched_off(
        jsonld_site, ingest_api, crawl):
    result = crawl(jsonld_source(jsonld_site, "/spaces/a1.html"), "--max-depth", "0", api=ingest_api,
                   throttle=True, env={"MARKET_CONTACT_URL": "https://cospace.example/market-bot"})

    assert result.code == 0
    assert set(jsonld_site.agents()) == {"CoSpaceBot/1.0 (CoSpace market research; +https://cospace.example/market-bot)"}
    assert "scrapy.extensions.throttle.AutoThrottle" in result.stderr  # listed among the enabled extensions
    unthrottled = crawl(jsonld_source(jsonld_site, "/spaces/a1.html"), "--max-depth", "0", api=ingest_api)
    assert "scrapy.extensions.throttle.AutoThrottle" not in unthrottled.stderr
