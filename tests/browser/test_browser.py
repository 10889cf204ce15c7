"""End to end: the built app in Chromium, on the demo data, at desktop and phone widths."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e_fixtures import SHOTS, assert_no_horizontal_scroll, needs_chromium, new_page

pytestmark = needs_chromium


@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)])
def test_search_then_space_page(app_url, browser, width, height):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context, page = new_page(browser, width, height)
    try:
        page.goto(f"{app_url}/")
        page.get_by_test_id("space-card").first.wait_for()
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(SHOTS / f"home-{width}.png"), full_page=True)
        assert_no_horizontal_scroll(page, width)

        page.goto(f"{app_url}/search?city=moscow&amenities=wifi")
        cards = page.get_by_test_id("space-card")
        cards.first.wait_for()
        assert cards.count() == 20
        summary = page.get_by_test_id("search-summary").inner_text()
        assert summary.startswith("Найдено")
        # The live map holds every result (clusters and pins), not only the page's 20.
        page.locator(".cw-cluster, .cw-pin").first.wait_for()
        expect(page.get_by_test_id("map-summary")).to_contain_text("На карте")
        page.wait_for_timeout(500)
        page.screenshot(path=str(SHOTS / f"search-{width}.png"), full_page=True)
        assert_no_horizontal_scroll(page, width)
        query_box = page.get_by_test_id("filter-q")
        if width < 768:
            # Phones see results first; the filters unfold from a button showing how many are on.
            assert not query_box.is_visible()
            toggle = page.get_by_test_id("filters-toggle")
            assert "1" in toggle.inner_text()
            toggle.click()
            query_box.wait_for(state="visible")
            page.screenshot(path=str(SHOTS / f"search-filters-{width}.png"))
        else:
            assert query_box.is_visible() and not page.get_by_test_id("filters-toggle").is_visible()

        # The filters are in the URL: a reload shows the same search.
        page.reload()
        page.get_by_test_id("space-card").first.wait_for()
        wifi = page.locator("[data-amenity=wifi] [role=checkbox], [role=checkbox][data-amenity=wifi]")
        assert wifi.first.get_attribute("data-state") == "checked"
        assert page.get_by_test_id("search-summary").inner_text() == summary

        name = cards.first.locator(".space-name").inner_text()
        cards.first.click()
        page.wait_for_url("**/spaces/*")
        assert page.get_by_test_id("space-name").inner_text() == name
        thumbs = page.get_by_test_id("gallery-thumb")
        thumbs.first.wait_for()
        assert 3 <= thumbs.count() <= 10
        # Every thumbnail decodes (a broken image stays at naturalWidth 0 and times this out).
        page.wait_for_function(
            "Array.from(document.querySelectorAll('[data-testid=gallery-thumb]'))"
            ".every(img => img.complete && img.naturalWidth > 0)",
            timeout=15_000,
        )
        stops = page.get_by_test_id("metro-stop")
        assert stops.count() == 3
        assert " м · ~" in stops.first.inner_text()
        assert page.get_by_test_id("resource").count() >= 1
        page.frame_locator("[data-testid=space-map]").locator(".cw-pin").first.wait_for()
        page.wait_for_timeout(300)
        page.screenshot(path=str(SHOTS / f"space-{width}.png"), full_page=True)
        assert_no_horizontal_scroll(page, width)

        thumbs.nth(1).click()
        viewer = page.get_by_test_id("viewer-image")
        viewer.wait_for()
        assert "-2.jpg" in viewer.get_attribute("src")
    finally:
        context.close()


def test_filters_change_url_and_empty_state(app_url, browser):
    context, page = new_page(browser, 1280, 900)
    try:
        page.goto(f"{app_url}/search?city=moscow")
        page.get_by_test_id("space-card").first.wait_for()
        before = page.get_by_test_id("search-summary").inner_text()
        page.get_by_test_id("filter-q").fill("zzzz несуществующее")
        page.get_by_test_id("filter-submit").click()
        page.wait_for_url("**q=zzzz*")
        page.get_by_test_id("widen-links").wait_for()
        assert "Ничего не нашлось" in page.content()
        page.screenshot(path=str(SHOTS / "search-empty-1280.png"))
        page.get_by_text("Без текстового запроса").click()
        page.get_by_test_id("space-card").first.wait_for()
        assert page.get_by_test_id("search-summary").inner_text() == before

        page.goto(f"{app_url}/search?lat=95&lon=37")
        error = page.get_by_test_id("search-error")
        error.wait_for()
        assert "Широта" in error.inner_text()

        page.goto(f"{app_url}/spaces/99999999")
        page.get_by_text("Пространство не найдено").wait_for()
    finally:
        context.close()
