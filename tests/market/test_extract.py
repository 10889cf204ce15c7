"""The crawler's pure parts without a crawl: extraction from HTML strings, the address checks of
the SSRF guard, the source check and the run's outcome."""

from __future__ import annotations

import asyncio
import json

import pytest
from parsel import Selector

from coworking_app.market.crawl import SourceError, read_source
from coworking_app.market.extract import clean_text, css_values, extract_css, extract_structured
from coworking_app.market.ledger import RunLedger
from coworking_app.market.safety import NonPublicAddress, PublicOnlyResolver, host_refusal, is_public

PAGE = "https://spaces.example/catalog/a.html"


def page(*blocks: object, body: str = "", head: str = "") -> Selector:
    scripts = "".join(f'<script type="application/ld+json">{b if isinstance(b, str) else json.dumps(b)}</script>'
                      for b in blocks)
    return Selector(text=f'<html><head><meta charset="utf-8">{head}{scripts}</head><body>{body}</body></html>')


def offer(price: object, unit: str = "HUR", currency: str = "RUB") -> dict:
    return {"@type": "Offer", "priceCurrency": currency,
            "priceSpecification": {"@type": "UnitPriceSpecification", "price": price, "unitCode": unit}}


def test_text_keeps_non_breaking_and_thin_spaces_and_loses_line_breaks_and_control_characters():
    assert clean_text(" 1\u202f500,50\u00a0₽\n\t за\u2009час\x00\x85 ", 100) == "1\u202f500,50\u00a0₽ за\u2009час"
    assert clean_text("   \n ", 100) is None
    assert clean_text("x" * 10, 4) == "xxxx"


def test_a_graph_with_references_gives_its_listings_and_not_the_building_they_are_in():
    result = extract_structured(page({"@context": "https://schema.org", "@graph": [
        {"@type": "Place", "@id": "#b", "name": "Здание", "address": {"@id": "#addr"}},
        {"@type": "PostalAddress", "@id": "#addr", "addressLocality": "Москва", "streetAddress": "Москва, Тверская, 1"},
        {"@type": "CoworkingSpace", "@id": "#s1", "name": "Зал 1", "containedInPlace": {"@id": "#b"},
         "offers": {"@id": "#o1"}},
        {"@type": "Offer", "@id": "#o1", **offer(400)},
        {"@type": "Room", "name": "Зал 2", "containedInPlace": {"@id": "#b"}, "offers": [offer(900, "DAY")]},
    ]}), PAGE)

    assert result.errors == []
    assert [(i["external_id"], i["name"], i["address"], i["prices"]) for i in result.items] == [
        ("#s1", "Зал 1", "Москва, Тверская, 1", [{"amount": "400", "currency": "RUB", "unit_code": "HUR"}]),
        (f"{PAGE}#2", "Зал 2", "Москва, Тверская, 1", [{"amount": "900", "currency": "RUB", "unit_code": "DAY"}]),
    ]


def test_item_lists_and_the_sites_own_business_are_no_listings():
    result = extract_structured(page(
        {"@type": "WebSite", "publisher": {"@type": "LocalBusiness", "name": "Сеть", "offers": offer(1)}},
        {"@type": "WebPage", "publisher": {"@type": "LocalBusiness", "name": "Сеть"},
         "mainEntity": {"@type": "ItemList", "itemListElement": [
             {"@type": "ListItem", "url": "/catalog/b.html"},
             {"@type": "ListItem", "item": {"@type": "LocalBusiness", "name": "В", "url": "c.html"}},
             {"@type": "ListItem", "item": "https://spaces.example/d.html"}]}},
    ), PAGE)

    assert result.items == [] and result.errors == []
    assert result.links == ["https://spaces.example/catalog/b.html", "https://spaces.example/catalog/c.html",
                            "https://spaces.example/d.html"]


def test_prices_from_offers_specifications_aggregates_and_text():
    result = extract_structured(page({"@type": "Product", "sku": 42, "name": "Место",
        "offers": [
            {"@type": "Offer", "price": "от 500 ₽/час"},
            {"@type": "AggregateOffer", "lowPrice": 9000.5, "priceCurrency": "RUB",
             "eligibleQuantity": {"unitCode": "MON"}},
            {"@type": "Offer", "priceCurrency": "EUR", "priceSpecification": {
                "@type": "CompoundPriceSpecification", "priceComponent": [
                    {"@type": "UnitPriceSpecification", "price": "20", "referenceQuantity": {"unitCode": "DAY"}},
                    {"@type": "UnitPriceSpecification", "price": 90, "unitText": "неделя"}]}},
        ], "priceRange": "$$"}), PAGE)

    assert result.items[0]["external_id"] == "42"
    assert result.items[0]["prices"] == [
        {"text": "от 500 ₽/час"},
        {"amount": "9000.5", "currency": "RUB", "unit_code": "MON"},
        {"amount": "20", "currency": "EUR", "unit_code": "DAY"},
        {"amount": "90", "currency": "EUR", "unit_code": "неделя"},
    ]


def test_a_price_range_is_read_only_when_nothing_else_states_a_price():
    result = extract_structured(page({"@type": "LocalBusiness", "name": "А", "priceRange": "от 300 ₽/час"}), PAGE)
    assert result.items[0]["prices"] == [{"text": "от 300 ₽/час"}]


def test_a_listing_without_price_or_name_is_an_error_and_a_broken_block_does_not_hide_the_others():
    result = extract_structured(page(
        '{"@type": "LocalBusiness", "name": "Сломан",}',
        {"@type": "LocalBusiness", "name": "Без цены", "address": "Москва"},
        {"@type": "LocalBusiness", "offers": offer(100)},
        {"@type": "LocalBusiness", "name": "Цела", "offers": offer(100)},
    ), PAGE)

    assert [i["name"] for i in result.items] == ["Цела"]
    assert [(e.reason, e.key) for e in result.errors] == [
        ("Некорректная разметка JSON-LD (строка 1, позиция 45)", None),
        ("На странице нет цены", ("no-price", "Без цены", "Москва")),
        ("На странице нет названия объекта", None),
    ]


def test_microdata_is_read_when_the_json_ld_has_no_listing():
    body = """<div itemscope itemtype="http://schema.org/LocalBusiness" itemid="urn:x:7">
        <span itemprop="name">Коворкинг <b>М</b></span>
        <a itemprop="url" href="/m.html">сайт</a>
        <div itemprop="offers" itemscope itemtype="http://schema.org/Offer">
          <span itemprop="price" content="250">250 ₽</span><meta itemprop="priceCurrency" content="RUB">
          <link itemprop="eligibleQuantity" href="#"><meta itemprop="unitCode" content="HUR">
        </div>
        <div itemscope itemtype="http://schema.org/Person"><span itemprop="name">Не то</span></div>
      </div>"""
    result = extract_structured(page({"@type": "WebSite", "name": "Сайт"}, body=body), PAGE)

    assert [(i["external_id"], i["name"], i["url"]) for i in result.items] == [
        ("urn:x:7", "Коворкинг М", "https://spaces.example/m.html")]
    assert result.items[0]["prices"] == [{"amount": "250", "currency": "RUB", "unit_code": "HUR"}]


def test_rdfa_properties_with_prefixes():
    body = """<div vocab="http://schema.org/" typeof="schema:Place" resource="#p">
        <span property="schema:name">Зал Р</span>
        <div property="geo" typeof="GeoCoordinates"><meta property="latitude" content="55,5">
          <meta property="longitude" content="37.5"></div>
        <div property="makesOffer" typeof="Offer"><meta property="price" content="7000">
          <meta property="priceCurrency" content="RUB"><meta property="unitCode" content="MON"></div>
      </div>"""
    item = extract_structured(page(body=body), PAGE).items[0]
    assert (item["name"], item["lat"], item["lon"]) == ("Зал Р", 55.5, 37.5)
    assert item["prices"] == [{"amount": "7000", "currency": "RUB", "unit_code": "MON"}]


def test_the_canonical_url_counts_only_on_the_same_site():
    head = '<link rel="canonical" href="https://mirror.example/x"><link rel="canonical" href="/catalog/a.html?x=1#top">'
    item = extract_structured(page({"@type": "LocalBusiness", "name": "А", "offers": offer(1)}, head=head),
                              "https://www.spaces.example/catalog/a.html?utm=1").items[0]
    assert item["external_id"] == item["url"] == "https://www.spaces.example/catalog/a.html?x=1"


def test_css_selectors_read_like_scrapy_and_a_bare_selector_reads_whole_elements():
    sel = Selector(text='<div class="o" data-id=" 5 "><h1 class="t">Лофт <small>new</small></h1>'
                        '<p class="c">от <b>500</b> ₽/час</p><p class="c">День — 2 000 ₽</p></div>')
    assert css_values(sel, ".t::text") == ["Лофт"]
    assert css_values(sel, ".c::text") == ["от", "₽/час", "День — 2 000 ₽"]
    assert css_values(sel, ".c") == ["от 500 ₽/час", "День — 2 000 ₽"]
    assert css_values(sel, ".o::attr(data-id)") == ["5"]
    result = extract_css(sel, PAGE, {"external_id": ".o::attr(data-id)", "name": ".t", "price": ".c"})
    assert result.items[0]["name"] == "Лофт new"
    assert result.items[0]["prices"] == [{"text": "от 500 ₽/час"}, {"text": "День — 2 000 ₽"}]
    missing = extract_css(sel, PAGE, {"external_id": ".id", "name": ".title::text", "price": ".c"})
    assert [e.reason for e in missing.errors] == [
        "На странице нет названия объекта: селектор «name» (.title::text) ничего не нашёл"]


@pytest.mark.parametrize(("address", "public"), [
    ("8.8.8.8", True), ("2a00:1450:4001:82b::200e", True),
    ("127.0.0.1", False), ("10.0.0.5", False), ("172.16.3.4", False), ("192.168.1.1", False),
    ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False), ("224.0.0.251", False),
    ("240.0.0.1", False), ("255.255.255.255", False), ("192.0.2.10", False),
    ("::1", False), ("::", False), ("fe80::1", False), ("fc00::1", False), ("ff02::1", False),
    ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False), ("not an address", False),
])
def test_only_global_unicast_addresses_are_public(address, public):
    assert is_public(address) is public


def test_a_host_is_refused_when_it_resolves_to_a_private_address():
    assert asyncio.run(host_refusal("8.8.8.8", 80)) is None
    assert asyncio.run(host_refusal("10.1.2.3", 80)) == (
        "Адрес 10.1.2.3 внутренний (частная сеть, loopback, link-local или служебный): такие адреса не обходятся")
    assert asyncio.run(host_refusal("localhost", 80)).startswith("Адрес localhost (127.0.0.1) внутренний")


def test_the_connections_own_lookup_refuses_a_private_answer():
    with pytest.raises(NonPublicAddress):
        PublicOnlyResolver._public_only("127.0.0.1", "rebinding.example")
    assert PublicOnlyResolver._public_only("93.184.216.34", "example.com") == "93.184.216.34"


@pytest.mark.parametrize(("source", "reason"), [
    ("[1]", "Описание источника не объект JSON"),
    ('{"kind": "jsonld", "start_url": "https://a.example/"}', "Нет номера источника (id)"),
    ('{"id": 1, "kind": "xpath", "start_url": "https://a.example/"}', "Неизвестный вид источника: 'xpath' (jsonld или css)"),
    ('{"id": 1, "kind": "jsonld", "start_url": "file:///etc/passwd"}', "Начальный адрес источника должен быть http(s)-адресом"),
    ('{"id": 1, "kind": "css", "start_url": "https://a.example/", "selectors": {"link": "a"}}',
     "Для источника css нужны селекторы link и item"),
    ('{"id": 1, "kind": "css", "start_url": "https://a.example/", "selectors": {"link": "a", "item": {"name": "h1"}}}',
     "Нет селектора «external_id»"),
])
def test_a_source_the_crawler_cannot_run_is_refused_with_the_reason(source, reason):
    with pytest.raises(SourceError) as refused:
        read_source(source)
    assert str(refused.value) == reason


@pytest.mark.parametrize(("close_reason", "failure", "status", "reason"), [
    ("finished", None, "finished", None),
    ("closespider_pagecount", None, "finished", None),
    ("shutdown", None, "failed", "Обход прерван сигналом остановки"),
    ("market_api_failed", "API недоступно (ConnectError); попыток: 3", "failed", "API недоступно (ConnectError); попыток: 3"),
    (None, None, "failed", "Обход не запустился"),
])
def test_the_outcome_of_a_run(close_reason, failure, status, reason):
    ledger = RunLedger(pages=3, items=2, stored=1, api_errors=1, close_reason=close_reason, failure=failure)
    ledger.add_error("https://a.example/x", "Сервер ответил HTTP 500")
    assert ledger.outcome() == {"pages": 3, "items": 2, "stored": 1, "errors": 2, "status": status, "reason": reason}
