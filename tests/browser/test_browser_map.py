"""The search map in Chromium (pages/search.py, assets/live_map.jsx): every result on the map,
"Искать в этой области", "Рядом со мной" granted and refused, a point set by a click and the
distance sort, an address suggestion, and highlighting between cards and pins. Tiles never
load here (no internet): the map has to work without them."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.e2e_fixtures import CHROMIUM_ARGS, SHOTS, assert_no_horizontal_scroll, needs_chromium, new_page  # noqa: F401

pytestmark = needs_chromium

MARKERS = ".cw-cluster, .cw-pin"


def total_of(page) -> int:
    text = page.get_by_test_id("search-summary").inner_text()
    return int(re.sub(r"\D", "", text.split("простран")[0]))


def query_of(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def open_search(page, url: str) -> None:
    page.goto(url)
    page.get_by_test_id("space-card").first.wait_for()
    page.locator(MARKERS).first.wait_for()
    expect(page.get_by_test_id("map-summary")).to_contain_text("На карте")


def map_box(page):
    return page.get_by_test_id("live-map").bounding_box()


def metres(label: str) -> float:
    """"350 м" or "1,2 км" in metres."""
    number = float(re.search(r"[\d,]+", label).group(0).replace(",", "."))
    return number * 1000 if "км" in label else number


def test_every_result_is_on_the_map_and_a_moved_map_searches_its_area(app_url, browser):
    context, page = new_page(browser, 1280, 900)
    try:
        open_search(page, f"{app_url}/search?city=moscow")
        before = total_of(page)
        on_map = page.locator(".cw-cluster").evaluate_all(
            "els => els.reduce((n, e) => n + Number(e.dataset.count), 0)") + page.locator(".cw-pin").count()
        assert on_map == before  # every result, not the page of 20
        expect(page.get_by_test_id("search-area")).to_have_count(0)

        # Closer in, and dragged aside: the button appears and searches what is in view.
        page.get_by_title("Приблизить", exact=True).click()
        page.wait_for_timeout(400)
        page.get_by_title("Приблизить", exact=True).click()
        page.wait_for_timeout(400)
        box = map_box(page)
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] / 2 + 90, box["y"] + box["height"] / 2 + 40, steps=8)
        page.mouse.up()
        area = page.get_by_test_id("search-area")
        expect(area).to_be_visible()
        area.click()
        page.wait_for_url("**bbox=*")
        expect(page.get_by_test_id("area-label")).to_be_visible()
        page.get_by_test_id("space-card").first.wait_for()
        after = total_of(page)
        assert 0 < after < before
        west, south, east, north = map(float, query_of(page)["bbox"][0].split(","))
        assert west < east and south < north
        page.screenshot(path=str(SHOTS / "map-area-1280.png"))

        # The area is in the link: opened again, the same results.
        page.goto(page.url)
        page.get_by_test_id("space-card").first.wait_for()
        assert total_of(page) == after
        expect(page.get_by_test_id("area-label")).to_be_visible()
        # Dropping the area brings the whole city back.
        page.get_by_test_id("clear-area").click()
        page.wait_for_url(lambda url: "bbox=" not in url)
        expect(page.get_by_test_id("search-summary")).to_have_text(re.compile(f"{before}"))
    finally:
        context.close()


def test_near_me_with_geolocation_granted(app_url, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU",
                                  geolocation={"latitude": 55.7601, "longitude": 37.6186},
                                  permissions=["geolocation"])
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        open_search(page, f"{app_url}/search?city=moscow")
        page.get_by_test_id("near-me").click()
        page.wait_for_url("**lat=55.76*")
        query = query_of(page)
        assert query["lon"][0].startswith("37.618") and query["near"] == ["вы здесь"]
        expect(page.get_by_test_id("point-label")).to_contain_text("вы здесь")
        page.locator("[data-testid=map-point]").wait_for()
        # Nearest first, each card with its distance.
        page.get_by_test_id("space-card").first.wait_for()
        first = page.get_by_test_id("space-card").first.inner_text()
        assert re.search(r"\d+ м|\d+,\d км", first), first
        expect(page.get_by_test_id("geo-message")).to_have_count(0)
    finally:
        context.close()


def test_near_me_refused_says_so(app_url, browser):
    context, page = new_page(browser, 1280, 900)  # no permission: the browser refuses
    try:
        open_search(page, f"{app_url}/search?city=moscow")
        page.get_by_test_id("near-me").click()
        message = page.get_by_test_id("geo-message")
        expect(message).to_be_visible()
        expect(message).to_contain_text("местоположению")
        assert "lat" not in query_of(page)
        page.screenshot(path=str(SHOTS / "map-geo-refused-1280.png"))
    finally:
        context.close()


def test_a_click_on_the_map_sets_the_point_and_the_distance_sort_works(app_url, browser):
    context, page = new_page(browser, 1280, 900)
    try:
        open_search(page, f"{app_url}/search?city=moscow")
        # Without a point there is no distance sort.
        page.get_by_test_id("sort").click()
        expect(page.get_by_role("option", name="Ближе к точке")).to_have_count(0)
        page.keyboard.press("Escape")
        box = map_box(page)
        # A corner of the map away from the markers (the centre holds the clusters).
        page.mouse.click(box["x"] + box["width"] - 60, box["y"] + box["height"] - 80)
        page.wait_for_url("**lat=*")
        expect(page.get_by_test_id("point-label")).to_contain_text("точкой")
        page.locator("[data-testid=map-point]").wait_for()
        page.get_by_test_id("sort").click()
        page.get_by_role("option", name="Ближе к точке").click()
        page.wait_for_url("**sort=distance*")
        page.get_by_test_id("space-card").first.wait_for()
        expect(page.get_by_test_id("search-error")).to_have_count(0)
        labels = page.get_by_test_id("space-card").evaluate_all(
            "els => els.map(e => (e.innerText.match(/\\d+(,\\d)? к?м/) || [''])[0])")
        distances = [metres(label) for label in labels if label]
        assert len(distances) == page.get_by_test_id("space-card").count() > 3
        assert distances == sorted(distances)
        # A radius around the point narrows the list.
        total = total_of(page)
        page.get_by_test_id("radius").click()
        page.get_by_role("option", name="2 км").click()
        page.wait_for_url("**radius_km=2*")
        page.get_by_test_id("search-summary").wait_for()
        expect(page.get_by_test_id("point-label")).to_contain_text("2 км")
        page.wait_for_timeout(500)
        assert total_of(page) <= total
    finally:
        context.close()


def test_an_address_suggestion_sets_the_point(app_url, browser):
    context, page = new_page(browser, 1280, 900)
    try:
        open_search(page, f"{app_url}/search?city=moscow")
        page.get_by_test_id("place-input").fill("тверск")
        options = page.get_by_test_id("place-option")
        options.first.wait_for()
        expect(options.first).to_contain_text("Тверская")
        page.screenshot(path=str(SHOTS / "map-suggestions-1280.png"))
        options.first.click()
        page.wait_for_url("**near=*")
        assert query_of(page)["near"][0].startswith("Тверская")
        expect(page.get_by_test_id("point-label")).to_contain_text("Тверская")
        page.get_by_test_id("place-input").fill("zzqx")
        expect(page.get_by_test_id("place-options")).to_contain_text("Ничего не нашлось")
    finally:
        context.close()


def test_cards_and_pins_highlight_each_other(app_url, browser):
    context, page = new_page(browser, 1280, 900)
    try:
        # Close in around the centre: single pins, the cards nearest first.
        open_search(page, f"{app_url}/search?city=moscow&lat=55.7601&lon=37.6186&radius_km=1")
        page.locator(".cw-pin").first.wait_for()
        cards = page.get_by_test_id("space-card")
        ids = page.locator("[data-card]").evaluate_all("els => els.map(e => e.dataset.card)")
        on_map = set(page.locator(".cw-pin").evaluate_all("els => els.map(e => e.dataset.space)"))
        shown = [i for i in ids if i in on_map]
        assert shown, (ids, on_map)
        card_id = shown[0]
        card = page.locator(f"[data-card='{card_id}']")
        card.hover()
        pin = page.locator(f".cw-pin[data-space='{card_id}']")
        expect(pin).to_have_class(re.compile("cw-active"))
        page.screenshot(path=str(SHOTS / "map-hover-1280.png"))
        page.mouse.move(5, 5)
        expect(pin).not_to_have_class(re.compile("cw-active"))

        # A pin's click: its card stands out and comes into view.
        other = shown[-1]
        page.locator(f".cw-pin[data-space='{other}']").click()
        target = page.locator(f"[data-card='{other}']")
        expect(target).to_have_class(re.compile("cw-card-active"))
        expect(target).to_be_in_viewport()
        expect(page.locator(".cw-popup")).to_be_visible()
        assert cards.count() >= len(shown)
    finally:
        context.close()


@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)])
def test_the_search_page_with_the_map_looks_right(app_url, browser, width, height):
    """Screenshots for a person to look at (var/screenshots/map-*.png), and the layout rules:
    nothing wider than a phone, the map above the results on phones, beside them on wide
    screens."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    context, page = new_page(browser, width, height)
    try:
        open_search(page, f"{app_url}/search?city=moscow&lat=55.7601&lon=37.6186&near=Охотный%20ряд")
        page.wait_for_timeout(800)
        page.screenshot(path=str(SHOTS / f"map-search-{width}.png"))
        assert_no_horizontal_scroll(page, width)
        map_top = map_box(page)["y"]
        first_card = page.get_by_test_id("space-card").first.bounding_box()
        if width < 768:
            assert map_top < first_card["y"]
        else:
            assert map_box(page)["x"] > first_card["x"] + first_card["width"] - 5
        # The zoom buttons work without tiles.
        before = page.locator(MARKERS).count()
        page.get_by_title("Отдалить", exact=True).click()
        page.wait_for_timeout(600)
        assert page.locator(MARKERS).count() >= 1 and before >= 1
    finally:
        context.close()
