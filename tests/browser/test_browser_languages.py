"""Browser: the site in English and in Russian (issue 24). A browser asking for English gets
English pages (`<html lang="en">`); the header's switcher changes the language at once and
keeps the page's filters. In English no Russian is left on the search page, a booking up to
its payment, the cabinet and the operator's dashboard, apart from what people wrote (spaces'
names, addresses and descriptions, resources, names); in Russian no English catalog text shows.
Screenshots at 1280 and 390 px."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import expect

from coworking_app.demo.seed import DEMO_OWNER_PASSWORD
from tests.browser.test_browser_walk import shoot
from tests.e2e_fixtures import _run, api_login, api_sign_up, hourly_desk, needs_chromium, ui_login

pytestmark = needs_chromium
ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
API = "/api/v1"
PASSWORD = "Correct-Horse-42"
OWNER = ("sfera@demo.cospace.ru", DEMO_OWNER_PASSWORD)
ADMIN = ("admin-lang@demo.cospace.ru", "Admin-Lang-Pass-2026")
ALL_DAYS = {d: {"open": "08:00", "close": "22:00"} for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
ENGLISH = {"Accept-Language": "en"}
CYRILLIC_RUN = re.compile(r"[А-Яа-яЁё][А-Яа-яЁё\w«».,:;\-–— ]*")


def _english_catalog() -> set[str]:
    """The catalog's English texts of two words or more (a single word may be a name)."""
    with (ROOT / "locales" / "en" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        texts = set()
        for m in read_po(handle):
            for text in (m.string if isinstance(m.string, tuple) else (m.string,)):
                text = (text or "").strip()
                if " " in text and "{" not in text and "%" not in text and len(text) > 8:
                    texts.add(text)
    return texts


def _context(browser, language: str, width: int = 1280):
    context = browser.new_context(viewport={"width": width, "height": 900},
                                  locale="en-GB" if language == "en" else "ru-RU")
    page = context.new_page()
    page.set_default_timeout(30_000)
    return context, page


def russian_left(page, content: list[str]) -> list[str]:
    """Runs of Russian on the page once people's content is taken out."""
    text = page.evaluate("() => document.body.innerText")
    for piece in sorted({c for c in content if c}, key=len, reverse=True):
        text = text.replace(piece, " ")
    return sorted({m.group(0).strip() for m in CYRILLIC_RUN.finditer(text)})


def english_left(page, catalog: set[str]) -> list[str]:
    text = page.evaluate("() => document.body.innerText")
    return sorted(t for t in catalog if t in text)


# Plans' names are the owners' words too (the demo's, and those other browser tests add).
PLAN_NAMES = ["10 дней", "Резидент", "Свой стол", "5 часов переговорных"]


def _all_spaces_content(base: str) -> list[str]:
    """Every published space's name and address: what people wrote, shown in lists."""
    content, page = [], 1
    while True:
        body = httpx.get(f"{base}{API}/spaces", params={"page": page, "page_size": 50}, headers=ENGLISH,
                         timeout=20).json()
        content += [x for item in body["items"] for x in (item["name"], item.get("address") or "")]
        if page * 50 >= body["total"] or not body["items"]:
            return content
        page += 1


def check_english(page, name: str, content: list[str], problems: list[str], *, phone: bool = False) -> None:
    """No Russian but people's words on the page; screenshots (and the walk's checks) at
    1280 px, and at 390 px with `phone`."""
    left = russian_left(page, content)
    assert left == [], (name, left)
    shoot(page, name, 1280, problems)
    if phone:
        shoot(page, name, 390, problems)
        page.set_viewport_size({"width": 1280, "height": 900})


def switch_to_russian(page) -> None:
    """The header's switch: Russian at once, and no English text of the catalog left."""
    page.get_by_test_id("language-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_test_id("language-switch")).to_have_text("EN")
    page.wait_for_timeout(500)  # what the page's loaders word again
    left = english_left(page, _english_catalog())
    assert left == [], left


def _space_content(base: str, space_id: int) -> list[str]:
    space = httpx.get(f"{base}{API}/spaces/{space_id}", headers=ENGLISH, timeout=20).json()
    content = [space["name"], space["address"], space.get("description") or ""]
    content += [r["name"] for r in space["resources"]]
    content += (space.get("description") or "").splitlines()
    addons = httpx.get(f"{base}{API}/spaces/{space_id}/addons", headers=ENGLISH, timeout=20)
    if addons.status_code == 200:
        content += [a["name"] for a in addons.json()]
    reviews = httpx.get(f"{base}{API}/spaces/{space_id}/reviews", headers=ENGLISH, timeout=20)
    if reviews.status_code == 200:
        body = reviews.json()
        for review in body.get("items", body) if isinstance(body, dict) else body:
            content += [str(v) for v in review.values() if isinstance(v, str)]
    return content


@pytest.fixture(scope="module")
def desk(app_url):
    """An hourly hot desk of a published space of OWNER, open every day."""
    return hourly_desk(app_url, OWNER, ALL_DAYS)


def test_search_speaks_english_and_the_switch_keeps_the_filters(app_url, browser):
    problems: list[str] = []
    items = httpx.get(f"{app_url}{API}/spaces", params={"city": "moscow", "seats": 2, "page_size": 50},
                      headers=ENGLISH, timeout=20).json()["items"]
    content = [x for item in items for x in (item["name"], item.get("address", ""))]
    context, page = _context(browser, "en")
    try:
        page.goto(f"{app_url}/search?city=moscow&seats=2")
        page.get_by_test_id("space-card").first.wait_for()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("link", name="Find a space")).to_be_visible()
        check_english(page, "lang-search-en", content, problems, phone=True)

        switch_to_russian(page)
        expect(page.get_by_role("link", name="Найти пространство")).to_be_visible()
        assert "city=moscow" in page.url and "seats=2" in page.url, page.url
        expect(page.get_by_test_id("filter-seats")).to_have_value("2")
        # The choice stays: the next page opens in Russian although the browser asks for English.
        page.goto(f"{app_url}/")
        expect(page.locator("html")).to_have_attribute("lang", "ru")
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_a_booking_to_its_payment_and_the_cabinet_in_english(app_url, browser, desk):
    space, resource = desk
    problems: list[str] = []
    email = f"english-{uuid.uuid4().hex[:8]}@example.com"
    auth = api_sign_up(app_url, email, PASSWORD, "Emma Brown", role="renter")
    r = httpx.patch(f"{app_url}{API}/me", headers=auth, json={"language": "en"}, timeout=20)
    assert r.status_code == 200, r.text
    day = (datetime.now(ZoneInfo(space["timezone"])) + timedelta(days=5)).date()
    content = _space_content(app_url, space["id"]) + _all_spaces_content(app_url) + PLAN_NAMES + [
        resource["name"], "Emma Brown", email]
    context, page = _context(browser, "en")
    try:
        ui_login(page, app_url, email, PASSWORD, f"/spaces/{space['id']}")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.get_by_test_id("booking-panel").wait_for()
        expect(page.get_by_test_id("book-total")).not_to_be_empty()
        target = page.locator(f"[data-day='{day.isoformat()}']")
        if target.count() == 0:
            page.get_by_label("Next month").click()
        target.click()
        page.get_by_test_id("book-start").click()
        page.get_by_role("option", name="15:00", exact=True).click()
        page.get_by_test_id("book-end").click()
        page.get_by_role("option", name="16:00", exact=True).click()
        expect(page.get_by_test_id("book-submit")).to_be_enabled()
        check_english(page, "lang-space-en", content, problems)

        page.get_by_test_id("book-submit").click()
        page.wait_for_url("**/checkout/*")
        expect(page.get_by_test_id("checkout-pay")).to_be_visible()
        check_english(page, "lang-checkout-en", content, problems, phone=True)
        page.get_by_test_id("checkout-pay").click()
        page.wait_for_url("**/cabinet/bookings**")
        card = page.get_by_test_id("booking-card").first
        expect(card.get_by_test_id("booking-status")).to_have_text("confirmed")
        check_english(page, "lang-bookings-en", content, problems)

        page.goto(f"{app_url}/cabinet")
        # Loaded (not the page's pre-rendered HTML): the language and the person are known.
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_test_id("account-menu")).to_be_visible()
        expect(page.get_by_test_id("profile-phone")).to_be_visible()
        page.wait_for_timeout(500)
        check_english(page, "lang-cabinet-en", content, problems, phone=True)
        # Signed in, the switch is the person's setting from now on.
        switch_to_russian(page)
        expect(page.get_by_test_id("cabinet-title")).to_be_visible()
        me = httpx.get(f"{app_url}{API}/me", headers=api_login(app_url, email, PASSWORD), timeout=20).json()
        assert me["language"] == "ru"
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_the_operator_dashboard_in_english(app_url, browser):
    _run("-m", "coworking_app.cli", "create-admin", "--email", ADMIN[0], "--password", ADMIN[1],
         "--name", "Alex Admin")
    r = httpx.patch(f"{app_url}{API}/me", headers=api_login(app_url, *ADMIN), json={"language": "en"}, timeout=20)
    assert r.status_code == 200, r.text
    problems: list[str] = []
    context, page = _context(browser, "en")
    try:
        ui_login(page, app_url, ADMIN[0], ADMIN[1], "/admin")
        page.get_by_test_id("kpi").first.wait_for()
        page.wait_for_timeout(1000)
        check_english(page, "lang-dashboard-en", _all_spaces_content(app_url) + PLAN_NAMES + ["Alex Admin"],
                      problems, phone=True)
        switch_to_russian(page)
    finally:
        context.close()
    assert not problems, "\n".join(problems)
