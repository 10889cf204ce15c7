"""Browser: a weekly series from the booking panel. One of the coming weeks is taken by someone
else; the renter chooses "Каждую неделю", 4 times, books the series and pays it on the test
provider's page (four dates, one total); "Мои брони" shows the series' card with three dates
booked and the taken week among those that did not fit; the renter moves all future dates to
another time and then cancels them all. Screenshots at 1280 and 390 px."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect

from coworking_app.demo.seed import DEMO_OWNER_PASSWORD
from tests.browser.test_browser_walk import shoot as _shoot
from tests.e2e_fixtures import api_sign_up, chain_room, needs_chromium, ui_login

pytestmark = needs_chromium
PASSWORD = "Correct-Horse-42"
API = "/api/v1"
ALL_DAYS = {d: {"open": "08:00", "close": "22:00"} for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
OWNER = ("uley@demo.cospace.ru", DEMO_OWNER_PASSWORD)  # e2e_fixtures.chain_space_with: why a chain owner


@pytest.fixture(scope="module")
def room(app_url):
    """A meeting room (two hours allowed) of a published space of OWNER, open every day."""
    return chain_room(app_url, OWNER, ALL_DAYS)


def test_a_weekly_series_from_the_panel_paid_moved_and_cancelled(app_url, browser, room):
    space, resource = room
    zone = ZoneInfo(space["timezone"])
    first = (datetime.now(zone) + timedelta(days=2)).date()
    taken = datetime.combine(first + timedelta(days=14), datetime.min.time().replace(hour=9), tzinfo=zone)
    holder = api_sign_up(app_url, f"sr-{uuid.uuid4().hex[:8]}@example.com", PASSWORD, "Пётр Занятый", role="renter")
    r = httpx.post(f"{app_url}{API}/bookings", headers=holder, timeout=20, json={
        "resource_id": resource["id"], "start": taken.isoformat(), "end": (taken + timedelta(hours=3)).isoformat(),
        "seats": 1})
    assert r.status_code == 201, r.text

    email = f"series-{uuid.uuid4().hex[:8]}@example.com"
    api_sign_up(app_url, email, PASSWORD, "Ольга Повторова", role="renter")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    problems: list[str] = []
    try:
        ui_login(page, app_url, email, PASSWORD, "/cabinet/bookings")
        page.goto(f"{app_url}/spaces/{space['id']}?resource={resource['id']}&day={first.isoformat()}&from=10:00&to=12:00")
        expect(page.get_by_test_id("book-total")).not_to_have_text("")
        page.get_by_test_id("book-repeat").click()
        page.get_by_role("option", name="Каждую неделю", exact=True).click()
        expect(page.get_by_test_id("book-repeat-count")).to_have_text("4 раза")
        page.get_by_test_id("booking-panel").scroll_into_view_if_needed()
        _shoot(page, "series-panel", 390, problems)
        page.get_by_test_id("book-series-submit").click()
        page.wait_for_url(re.compile(r"/checkout/series/\d+$"))
        expect(page.get_by_test_id("series-checkout-line")).to_have_count(3)
        expect(page.get_by_test_id("series-checkout-conflicts")).to_have_text(
            "Не подошла 1 дата — она в карточке серии в «Мои брони»")
        _shoot(page, "series-checkout", 1280, problems)
        page.get_by_test_id("series-checkout-pay").click()
        page.wait_for_url(re.compile(r"/cabinet/bookings\?series=\d+&paid=1$"))
        card = page.get_by_test_id("series-card")
        expect(card.get_by_test_id("series-note")).to_have_text("Оплата прошла: брони серии ваши.")
        expect(card.get_by_test_id("series-occurrence")).to_have_count(3)
        expect(card.get_by_test_id("series-conflict")).to_contain_text("мест нет")
        expect(card).to_contain_text("Повтор каждую неделю, 4 раза")
        _shoot(page, "series-card", 1280, problems)
        _shoot(page, "series-card", 390, problems)

        # Move every future date to 14:00–16:00, then cancel them all.
        card.get_by_test_id("series-start").fill("14:00")
        card.get_by_test_id("series-end").fill("16:00")
        card.get_by_test_id("series-reschedule").click()
        expect(card.get_by_test_id("series-note")).to_have_text("Перенесено: 3 брони.")
        expect(card.get_by_test_id("series-occurrence").first).to_contain_text("14:00")
        card.get_by_test_id("series-cancel-all").click()
        page.get_by_test_id("series-cancel-confirm").click()
        expect(card.get_by_test_id("series-note")).to_contain_text("Отменено: 3 брони")
        expect(card.get_by_test_id("series-occurrence").filter(has_text="отменено")).to_have_count(3)
        assert not problems, "\n".join(problems)
    finally:
        context.close()
