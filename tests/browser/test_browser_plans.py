"""Browser: a membership from the owner's form to a booking that costs nothing. The owner adds a
hot-desk membership on the space's "Абонементы" page; a new renter finds it on the space page,
buys it through the test provider's page, sees it in "Абонементы" (active, what it gives),
then books the desk with it: the panel chooses the plan, the price shows what the plan paid,
the total is 0 ₽ and the booking is theirs without paying. Screenshots at 1280 and 390 px."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from coworking_app.demo.seed import DEMO_OWNER_PASSWORD
from tests.browser.test_browser_walk import shoot as _shoot
from tests.e2e_fixtures import api_sign_up, hourly_desk, needs_chromium, ui_login

pytestmark = needs_chromium
PASSWORD = "Correct-Horse-42"
ALL_DAYS = {d: {"open": "08:00", "close": "22:00"} for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
OWNER = ("sfera@demo.cospace.ru", DEMO_OWNER_PASSWORD)  # e2e_fixtures.chain_space_with: why a chain owner (the languages test books the same desk on another day)


@pytest.fixture(scope="module")
def desk(app_url):
    """An hourly hot desk of a published space of OWNER, open every day."""
    return hourly_desk(app_url, OWNER, ALL_DAYS)


def _select(page, trigger_test_id: str, option: str) -> None:
    page.get_by_test_id(trigger_test_id).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_owner_adds_a_membership_renter_buys_it_and_books_for_nothing(app_url, browser, desk):
    space, resource = desk
    name = f"Резидент {uuid.uuid4().hex[:4]}"
    problems: list[str] = []

    owner_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU", bypass_csp=True)
    page = owner_context.new_page()
    page.set_default_timeout(30_000)
    try:
        ui_login(page, app_url, OWNER[0], OWNER[1], f"/owner/spaces/{space['id']}/plans")
        expect(page.get_by_test_id("owner-plans-title")).to_contain_text(space["name"])
        _select(page, "plan-kind", "Абонемент на месяц")
        _select(page, "plan-membership-type", "Незакреплённое место")
        page.get_by_test_id("plan-name").fill(name)
        page.get_by_test_id("plan-price").fill("12000")
        page.get_by_test_id("plan-save").click()
        # Without a desk chosen the form says so, next to the places.
        expect(page.locator("[data-testid=plan-form-error][data-field=resource_ids]")).to_contain_text("места")
        page.locator(f"[data-place='{resource['id']}']").click()
        page.get_by_test_id("plan-save").click()
        expect(page.get_by_test_id("owner-plans-message")).to_contain_text(f"«{name}» добавлен")
        card = page.get_by_test_id("owner-plan").filter(has_text=name)
        expect(card).to_contain_text("Незакреплённое место на месяц")
        expect(card.get_by_test_id("owner-plan-figures")).to_contain_text("Участников сейчас0")
        _shoot(page, "owner-plans", 1280, problems)
        _shoot(page, "owner-plans", 390, problems)
    finally:
        owner_context.close()

    email = f"plan-{uuid.uuid4().hex[:8]}@example.com"
    api_sign_up(app_url, email, PASSWORD, "Нина Резидентова", role="renter")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        ui_login(page, app_url, email, PASSWORD, f"/spaces/{space['id']}")
        offer = page.get_by_test_id("plan-card").filter(has_text=name)
        expect(offer).to_contain_text("12 000 ₽")
        expect(offer).to_contain_text("продлевается каждый месяц")
        offer.scroll_into_view_if_needed()
        _shoot(page, "space-plans", 390, problems)
        offer.get_by_test_id("plan-buy").click()
        page.wait_for_url(re.compile(r"/checkout/plan/\d+$"))
        expect(page.get_by_test_id("plan-checkout-amount")).to_have_text("12 000 ₽")
        _shoot(page, "plan-checkout", 390, problems)
        page.get_by_test_id("plan-checkout-pay").click()
        page.wait_for_url(re.compile(r"/cabinet/plans\?paid=\d+$"))
        expect(page.get_by_test_id("plans-note")).to_have_text(f"Спасибо! Абонемент «{name}» оплачен.")
        mine = page.get_by_test_id("my-plan").filter(has_text=name)
        expect(mine.get_by_test_id("plan-status")).to_have_text("Действует")
        expect(mine.get_by_test_id("plan-left")).to_have_text("рабочее место без ограничений")
        expect(mine.get_by_test_id("plan-renewal")).to_contain_text("Продлится")
        _shoot(page, "my-plans", 1280, problems)
        _shoot(page, "my-plans", 390, problems)

        zone = ZoneInfo(space["timezone"])
        day = (datetime.now(zone) + timedelta(days=2)).date()
        page.goto(f"{app_url}/spaces/{space['id']}?resource={resource['id']}&day={day.isoformat()}&from=10:00&to=12:00")
        expect(page.get_by_test_id("book-plan")).to_contain_text(name)
        expect(page.get_by_test_id("book-price")).to_contain_text(f"Абонемент «{name}»: без ограничений")
        expect(page.get_by_test_id("book-total")).to_have_text("0 ₽")
        submit = page.get_by_test_id("book-submit")
        expect(submit).to_have_text("Забронировать по абонементу")
        page.get_by_test_id("booking-panel").scroll_into_view_if_needed()
        _shoot(page, "plan-booking-panel", 1280, problems)
        submit.click()
        page.wait_for_url(re.compile(r"/cabinet/bookings$"))
        booked = page.get_by_test_id("booking-card").filter(has_text=resource["name"])
        expect(booked).to_be_visible()
        expect(booked).to_contain_text("0 ₽")
        assert not problems, "\n".join(problems)
    finally:
        context.close()
