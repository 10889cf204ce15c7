"""Browser: what a renter meets around booking. The choice made before signing in survives
/login (and /signup); the site's own 404 page with HTTP 404; the search's sort and pages;
notices in the space's time with clickable links; the phone's booking bar, toasts and
menu; messages that go away once the input is fixed."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect

from coworking_app.demo.seed import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD
from tests.e2e_fixtures import (
    E2E_ENV,
    SHOTS,
    _run,
    api_login,
    api_sign_up,
    assert_no_horizontal_scroll,
    e2e_sign_up_code,
    needs_chromium,
    new_page,
    ui_login,
)

pytestmark = needs_chromium
PASSWORD = "Correct-Horse-42"
API = "/api/v1"
ALL_DAYS = {d: {"open": "08:00", "close": "22:00"} for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
STAFF = ("operator-h5-e2e@demo.cospace.ru", "Operator-Pass-2026-e2e")


def _choose(page, test_id: str, label: str) -> None:
    page.get_by_test_id(test_id).click()
    page.get_by_role("option", name=label, exact=True).click()


def _renter(base: str, name: str = "Ольга Бронева") -> str:
    email = f"ui-{uuid.uuid4().hex[:8]}@example.com"
    api_sign_up(base, email, PASSWORD, name, role="renter")
    return email


@pytest.fixture(scope="module")
def space(app_url):
    """A demo owner's published space, open every day 08-22, booked instantly."""
    owner = api_login(app_url, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
    spaces = httpx.get(f"{app_url}{API}/owner/spaces", headers=owner, timeout=20).json()
    chosen = [s for s in spaces if s["status"] == "published"][-1]
    r = httpx.patch(f"{app_url}{API}/spaces/{chosen['id']}", headers=owner, timeout=20,
                    json={"opening_hours": ALL_DAYS, "instant_book": True})
    assert r.status_code == 200, r.text
    return chosen


def _pick_choice(page, zone: str) -> str:
    """Day after tomorrow 11:00-14:00, 2 seats, the monitor; returns the day (ISO)."""
    day = (datetime.now(ZoneInfo(zone)) + timedelta(days=2)).date().isoformat()
    page.get_by_test_id("booking-panel").wait_for()
    expect(page.get_by_test_id("book-total")).not_to_be_empty()
    cell = page.locator(f"[data-day='{day}']")
    if cell.count() == 0:
        page.get_by_label("Следующий месяц").click()
    cell.click()
    expect(cell).to_have_attribute("data-state", "selected")
    _choose(page, "book-start", "11:00")
    _choose(page, "book-end", "14:00")
    page.get_by_test_id("book-seats-plus").click()
    expect(page.get_by_test_id("book-seats")).to_have_text("2")
    page.locator("[data-addon=monitor]").click()
    expect(page.get_by_test_id("book-price")).to_contain_text("Второй монитор")
    return day


def _assert_choice(page, day: str, total: str) -> None:
    expect(page.locator(f"[data-day='{day}']")).to_have_attribute("data-state", "selected")
    expect(page.get_by_test_id("book-start")).to_have_text("11:00")
    expect(page.get_by_test_id("book-end")).to_have_text("14:00")
    expect(page.get_by_test_id("book-seats")).to_have_text("2")
    expect(page.locator("[data-addon=monitor]")).to_have_attribute("data-state", "checked")
    expect(page.get_by_test_id("book-total")).to_have_text(total)
    expect(page.get_by_test_id("book-error")).to_have_count(0)


def _to_login_with_choice(app_url, page, space) -> tuple[str, str]:
    page.goto(f"{app_url}/spaces/{space['id']}")
    day = _pick_choice(page, space["timezone"])
    total = page.get_by_test_id("book-total").inner_text()
    page.get_by_test_id("book-submit").click()
    page.wait_for_url("**/login?next=*")
    next_url = parse_qs(urlparse(page.url).query)["next"][0]
    assert next_url.startswith(f"/spaces/{space['id']}?"), next_url
    assert {"day", "from", "to", "seats", "addons"} <= set(parse_qs(urlparse(next_url).query)), next_url
    return day, total


def test_the_choice_survives_signing_in(app_url, browser, space):
    SHOTS.mkdir(parents=True, exist_ok=True)
    email = _renter(app_url)
    context, page = new_page(browser, 1280, 900)
    try:
        day, total = _to_login_with_choice(app_url, page, space)
        page.get_by_test_id("login-email").fill(email)
        page.get_by_test_id("login-password").fill(PASSWORD)
        page.get_by_test_id("login-submit").click()
        page.wait_for_url(f"**/spaces/{space['id']}?*")
        _assert_choice(page, day, total)
        page.screenshot(path=str(SHOTS / "space-choice-restored-1280.png"), full_page=True)
        # It is the same choice that gets booked.
        page.get_by_test_id("book-submit").click()
        page.wait_for_url("**/checkout/*")
        expect(page.get_by_test_id("checkout-amount")).to_have_text(total)
    finally:
        context.close()


def test_the_choice_survives_signing_up(app_url, browser, space):
    context, page = new_page(browser, 1280, 900)
    try:
        day, total = _to_login_with_choice(app_url, page, space)
        page.get_by_role("link", name="Регистрация").click()
        page.wait_for_url(lambda url: "/signup?" in url and "next=" in url, timeout=10_000)
        page.get_by_test_id("signup-full_name").fill("Новая Арендаторша")
        email = f"su-{uuid.uuid4().hex[:8]}@example.com"
        page.get_by_test_id("signup-email").fill(email)
        page.get_by_test_id("signup-password").fill(PASSWORD)
        page.get_by_test_id("signup-terms").click()
        page.get_by_test_id("signup-submit").click()
        page.get_by_test_id("signup-sent").wait_for()
        page.get_by_test_id("signup-code").fill(e2e_sign_up_code(email))
        page.get_by_test_id("signup-confirm").click()
        page.wait_for_url(f"**/spaces/{space['id']}?*", timeout=15_000)
        _assert_choice(page, day, total)
    finally:
        context.close()


def test_bad_or_stale_choices_in_the_url_are_ignored_quietly(app_url, browser, space):
    context, page = new_page(browser, 1280, 900)
    try:
        page.goto(f"{app_url}/spaces/{space['id']}?resource=999999&day=2001-01-01&from=99:99&to=x"
                  "&seats=-3&addons=%3Cscript%3E,nope&days=100000")
        page.get_by_test_id("booking-panel").wait_for()
        expect(page.get_by_test_id("book-total")).not_to_be_empty()
        expect(page.get_by_test_id("book-error")).to_have_count(0)
        expect(page.get_by_test_id("book-seats")).to_have_text("1")
        assert page.locator("[data-day='2001-01-01']").count() == 0
        expect(page.locator("[data-addon] [data-state=checked], [data-addon][data-state=checked]")).to_have_count(0)
    finally:
        context.close()


# --- 404 ----------------------------------------------------------------------------------------


def test_unknown_urls_and_missing_spaces_get_the_sites_404(app_url, browser, space):
    assert httpx.get(f"{app_url}/spaces/{space['id']}", timeout=20, follow_redirects=True).status_code == 200
    for path in ("/no/such/page", "/spaces/999999", "/spaces/abc"):
        assert httpx.get(f"{app_url}{path}", timeout=20, follow_redirects=True).status_code == 404, path
    for width, height in ((1280, 900), (390, 844)):
        context, page = new_page(browser, width, height)
        try:
            for path in ("/no/such/page", "/spaces/999999", "/spaces/abc"):
                response = page.goto(f"{app_url}{path}")
                assert response.status == 404, path
                expect(page.get_by_test_id("not-found")).to_be_visible()
                expect(page.get_by_test_id("sign-in-link")).to_be_visible()  # the site's header
                expect(page.get_by_test_id("not-found-home")).to_have_attribute("href", "/")
                assert_no_horizontal_scroll(page, width)
            page.screenshot(path=str(SHOTS / f"not-found-{width}.png"), full_page=True)
            page.get_by_test_id("not-found-q").fill("кофе")
            page.get_by_test_id("not-found-q").press("Enter")
            page.wait_for_url("**/search?*q=*")
            page.get_by_test_id("search-summary").wait_for()
        finally:
            context.close()


# --- search -----------------------------------------------------------------------------------


def test_distance_sort_needs_a_point_and_pages_are_clamped(app_url, browser):
    context, page = new_page(browser, 1280, 900)
    try:
        page.goto(f"{app_url}/search?city=moscow&sort=distance")
        page.get_by_test_id("space-card").first.wait_for()
        expect(page.get_by_test_id("search-summary")).to_contain_text("Найдено")
        expect(page.get_by_test_id("search-error")).to_have_count(0)
        assert "sort=distance" not in page.content()
        page.get_by_test_id("sort").click()
        expect(page.get_by_role("option", name="Ближе к точке")).to_have_count(0)
        page.keyboard.press("Escape")

        page.get_by_test_id("filter-stop").click()
        page.get_by_role("option").nth(1).click()
        page.wait_for_url("**stop_id=*")
        page.get_by_test_id("space-card").first.wait_for()
        page.get_by_test_id("filter-stop-radius").click()
        for label in ("500 м", "1 км", "3 км"):
            expect(page.get_by_role("option", name=label, exact=True)).to_be_visible()
        page.keyboard.press("Escape")
        page.get_by_test_id("sort").click()
        page.get_by_role("option", name="Ближе к точке").click()
        page.wait_for_url("**sort=distance*")
        page.get_by_test_id("space-card").first.wait_for()
        expect(page.get_by_test_id("search-error")).to_have_count(0)

        page.wait_for_timeout(500)
        page.screenshot(path=str(SHOTS / "search-distance-1280.png"))
        page.goto(f"{app_url}/search?city=moscow&page=99")
        page.get_by_test_id("space-card").first.wait_for()
        # The last page, not "Страница 99 из 5" over an empty list.
        label = page.get_by_text(re.compile(r"^Страница (\d+) из \1$"))
        expect(label).to_be_visible()
        summary = page.get_by_test_id("search-summary").inner_text()
        total = int("".join(ch for ch in summary if ch.isdigit()))
        last = -(-total // 20)
        expect(label).to_have_text(f"Страница {last} из {last}")
        expect(page.get_by_text("Ничего не нашлось")).to_have_count(0)
    finally:
        context.close()
    context, page = new_page(browser, 390, 844)
    try:
        page.goto(f"{app_url}/search?city=moscow&amenities=wifi")
        page.get_by_test_id("space-card").first.wait_for()
        page.get_by_test_id("filters-toggle").click()
        page.get_by_test_id("filter-q").wait_for(state="visible")
        assert_no_horizontal_scroll(page, 390)
        page.screenshot(path=str(SHOTS / "search-filters-open-390.png"), full_page=True)
    finally:
        context.close()


def test_amenity_icons_on_cards_have_names(app_url, browser):
    context, page = new_page(browser, 1280, 900)
    try:
        page.goto(f"{app_url}/search?city=moscow&amenities=wifi")
        icon = page.get_by_test_id("amenity-icon").first
        icon.wait_for()
        assert icon.get_attribute("aria-label")
        expect(page.get_by_role("img", name=re.compile("Wi.Fi")).first).to_be_visible()
        icon.hover()
        expect(page.get_by_role("tooltip")).to_have_text(icon.get_attribute("aria-label"))
        expect(page.get_by_test_id("space-card").first).not_to_contain_text("0.0")
    finally:
        context.close()


# --- notices -----------------------------------------------------------------------------------


def _paid_booking(base: str, space: dict, renter: dict) -> int:
    detail = httpx.get(f"{base}{API}/spaces/{space['id']}", timeout=20).json()
    desk = next(res for res in detail["resources"] if res["kind"] == "hot_desk")
    zone = ZoneInfo(detail["timezone"])
    day = datetime.now(zone).date() + timedelta(days=5)
    start = datetime(day.year, day.month, day.day, 9, tzinfo=zone)
    booking = httpx.post(f"{base}{API}/bookings", headers=renter, timeout=20, json={
        "resource_id": desk["id"], "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat(),
        "seats": 1})
    assert booking.status_code == 201, booking.text
    pay = httpx.post(f"{base}{API}/bookings/{booking.json()['id']}/pay", headers=renter, timeout=20).json()
    httpx.post(f"{base}{API}/payments/test/{pay['payment_id']}/complete", headers=renter, timeout=20,
               json={"outcome": "succeeded"})
    return booking.json()["id"]


@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)])
def test_notices_show_local_times_and_clickable_links(app_url, browser, space, width, height):
    email = _renter(app_url)
    _paid_booking(app_url, space, api_login(app_url, email, PASSWORD))
    context, page = new_page(browser, width, height)
    try:
        ui_login(page, app_url, email, PASSWORD, "/cabinet/notifications")
        notice = page.get_by_test_id("notice").first
        expect(notice).to_contain_text("оплачена")
        when = notice.get_by_test_id("notice-when").inner_text()
        assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", when), when
        now = datetime.now(ZoneInfo(space["timezone"]))
        stamp = datetime.strptime(when, "%d.%m.%Y %H:%M").replace(tzinfo=ZoneInfo(space["timezone"]))
        assert abs(now - stamp) < timedelta(minutes=10), (when, now)  # the space's clock, not UTC
        assert "UTC" not in page.get_by_test_id("notice").first.inner_text()
        button = notice.get_by_test_id("notice-read")
        box = button.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, box
        assert_no_horizontal_scroll(page, width)
        page.screenshot(path=str(SHOTS / f"notifications-{width}.png"), full_page=True)
        link = notice.get_by_test_id("notice-link")
        expect(link).to_have_attribute("href", "/cabinet/bookings")
        link.click()
        page.wait_for_url("**/cabinet/bookings")
    finally:
        context.close()


# --- phone ---------------------------------------------------------------------------------------


def test_phone_booking_bar_toasts_and_staff_menu(app_url, browser, space):
    context, page = new_page(browser, 390, 844)
    try:
        page.goto(f"{app_url}/spaces/{space['id']}")
        bar = page.get_by_test_id("booking-bar")
        expect(bar).to_be_visible()
        expect(page.get_by_test_id("bar-price")).not_to_be_empty()
        box = bar.bounding_box()
        assert box and abs(box["y"] + box["height"] - 844) <= 1, box  # pinned to the bottom
        assert_no_horizontal_scroll(page, 390)
        page.screenshot(path=str(SHOTS / "space-bar-390.png"))
        page.get_by_test_id("bar-book").click()
        panel = page.get_by_test_id("booking-panel")
        page.wait_for_timeout(800)
        top = panel.bounding_box()["y"]
        assert 0 <= top < 844 / 2, top  # scrolled to the booking card
        page.screenshot(path=str(SHOTS / "space-bar-panel-390.png"))
        toaster = page.locator("[data-sonner-toaster]")
        if toaster.count():
            assert toaster.first.get_attribute("data-y-position") == "top"
    finally:
        context.close()
    context, page = new_page(browser, 1280, 900)
    try:
        page.goto(f"{app_url}/spaces/{space['id']}")
        page.get_by_test_id("booking-panel").wait_for()
        expect(page.get_by_test_id("booking-bar")).to_be_hidden()
    finally:
        context.close()

    _run("-m", "coworking_app.cli", "create-operator", "--email", STAFF[0], "--password", STAFF[1],
         "--name", "Олег Оператор")
    context, page = new_page(browser, 390, 844)
    try:
        ui_login(page, app_url, STAFF[0], STAFF[1], "/admin/audit")
        expect(page.get_by_test_id("admin-nav")).to_be_visible()
        assert_no_horizontal_scroll(page, 390)
        for link in page.get_by_test_id("admin-nav").get_by_role("link").all():
            box = link.bounding_box()
            assert box and box["x"] + box["width"] <= 390, box  # every tab on screen, none scrolled away
        page.get_by_test_id("account-menu").click()
        items = page.get_by_test_id("menu-admin")
        expect(items).to_have_count(8)
        hrefs = [items.nth(i).get_attribute("data-href") for i in range(8)]
        assert hrefs == ["/admin", "/admin/tables", "/admin/moderation", "/admin/promos", "/admin/market",
                         "/admin/finance", "/admin/reports", "/admin/audit"]
        page.screenshot(path=str(SHOTS / "staff-menu-390.png"))
        page.get_by_role("menuitem", name="Промокоды").click()
        page.wait_for_url("**/admin/promos")
    finally:
        context.close()


def test_audit_log_in_the_screens_words(app_url, browser, space):
    _run("-m", "coworking_app.cli", "create-operator", "--email", STAFF[0], "--password", STAFF[1],
         "--name", "Олег Оператор")
    email = _renter(app_url)
    booking_id = _paid_booking(app_url, space, api_login(app_url, email, PASSWORD))
    context, page = new_page(browser, 1280, 900)
    try:
        ui_login(page, app_url, STAFF[0], STAFF[1], "/admin/audit")
        expect(page.get_by_test_id("admin-nav")).to_be_visible()
        page.goto(f"{app_url}/admin/audit?entity=booking&entity_id={booking_id}")
        entries = page.get_by_test_id("audit-entry")
        expect(entries.first).to_be_visible()
        text = " ".join(entries.all_inner_texts())
        assert "Статус:" in text and "подтверждено" in text, text
        for raw in ("pending_payment", "paid_minor", "total_minor", "status", "+00:00"):
            assert raw not in text, (raw, text)
        assert re.search(r"Сумма: [\d\xa0 ]+ ₽", text), text
        assert "Расчёт цены: итого" in text and "{" not in text, text
        page.screenshot(path=str(SHOTS / "audit-1280.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        assert_no_horizontal_scroll(page, 390)
        page.screenshot(path=str(SHOTS / "audit-390.png"), full_page=True)
    finally:
        context.close()


# --- messages that outlive their cause ---------------------------------------------------------


def test_errors_go_away_once_the_input_is_fixed(app_url, browser, space):
    email = _renter(app_url, "Фёдор Исправляющий")
    context, page = new_page(browser, 1280, 900)
    try:
        ui_login(page, app_url, email, PASSWORD, "/cabinet")
        page.get_by_test_id("device").first.wait_for()  # the cabinet has loaded (it fills the form)
        phone = page.get_by_test_id("profile-phone")
        phone.fill("12")
        page.get_by_test_id("profile").get_by_role("button", name="Сохранить").click()
        expect(page.get_by_test_id("error-phone")).to_be_visible()
        phone.fill("+79123456789")
        expect(page.get_by_test_id("error-phone")).to_have_count(0)  # before saving again
        page.screenshot(path=str(SHOTS / "cabinet-1280.png"), full_page=True)

        page.goto(f"{app_url}/spaces/{space['id']}")
        page.get_by_test_id("booking-panel").wait_for()
        expect(page.get_by_test_id("book-total")).not_to_be_empty()
        page.get_by_test_id("book-promo").fill("NO-SUCH-CODE")
        page.get_by_test_id("book-promo-apply").click()
        expect(page.get_by_test_id("book-promo-error")).to_be_visible()
        expect(page.get_by_test_id("book-total")).not_to_be_empty()  # the price without the code
        page.get_by_test_id("booking-panel").screenshot(path=str(SHOTS / "booking-promo-error-1280.png"))
        expect(page.get_by_test_id("book-submit")).to_be_enabled()
        page.get_by_test_id("book-promo").fill("")
        expect(page.get_by_test_id("book-promo-error")).to_have_count(0)
        expect(page.get_by_test_id("book-submit")).to_be_enabled()

        page.get_by_test_id("ask-host").click()
        page.get_by_test_id("ask-host-send").click()
        expect(page.get_by_test_id("ask-host-error")).to_be_visible()
        page.get_by_test_id("ask-host-text").fill("Есть ли парковка рядом?")
        expect(page.get_by_test_id("ask-host-error")).to_have_count(0)
        page.get_by_test_id("ask-host-send").click()
        page.wait_for_url("**/inbox/*")
        page.get_by_test_id("message-send").click()
        expect(page.get_by_test_id("message-error")).to_be_visible()
        page.get_by_test_id("message-input").fill("И ещё: есть ли душ?")
        expect(page.get_by_test_id("message-error")).to_have_count(0)
    finally:
        context.close()


def test_verify_email_page_has_no_verify_banner(app_url, browser):
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    email = _renter(app_url)
    token = secrets.token_urlsafe(32)
    token_hash = hmac.new(E2E_ENV["SECRET_KEY"].encode(), token.encode(), hashlib.sha256).hexdigest()
    engine = create_engine(E2E_ENV["DATABASE_URL"], poolclass=NullPool)
    with engine.begin() as conn:
        # Sign-up confirms the address with its code: an unverified account is an older one
        # (or one whose address is waiting for its link), made so here.
        conn.execute(text("UPDATE app_user SET email_verified_at = NULL WHERE email = :e"), {"e": email})
        conn.execute(text("INSERT INTO one_time_token (user_id, purpose, token_hash, expires_at) "
                          "SELECT id, 'verify_email', :h, now() + interval '1 hour' FROM app_user "
                          "WHERE email = :e"), {"h": token_hash, "e": email})
    engine.dispose()
    context, page = new_page(browser, 1280, 900)
    try:
        ui_login(page, app_url, email, PASSWORD, "/cabinet")
        expect(page.get_by_test_id("verify-banner")).to_be_visible()  # not verified yet
        page.goto(f"{app_url}/verify-email?token={token}")
        expect(page.get_by_text("Email подтверждён")).to_be_visible()
        expect(page.get_by_test_id("verify-banner")).to_have_count(0)
        page.goto(f"{app_url}/cabinet")
        page.get_by_test_id("cabinet-title").wait_for()
        expect(page.get_by_test_id("verify-banner")).to_have_count(0)
    finally:
        context.close()
