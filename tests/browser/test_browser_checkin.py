"""Browser: check-in. A guest with a booking starting within the hour opens "Вход по QR" in "Мои
брони", sees the code, and checks in themselves by geolocation at the space's door; the
space's owner opens a second booking's QR link on a phone (/checkin?t=…) and marks the
arrival. Screenshots at 1280 and 390 px."""

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
from tests.e2e_fixtures import api_sign_up, chain_space_with, needs_chromium, ui_login

pytestmark = needs_chromium
PASSWORD = "Correct-Horse-42"
API = "/api/v1"
ROUND_THE_CLOCK = {d: {"open": "00:00", "close": "00:00"} for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


OWNER = ("platforma@demo.cospace.ru", DEMO_OWNER_PASSWORD)  # e2e_fixtures.chain_space_with: why a chain owner


@pytest.fixture(scope="module")
def space(app_url):
    """A published space of OWNER with an hourly desk, open round the clock."""
    found = chain_space_with(app_url, OWNER, lambda r: r["kind"] == "hot_desk" and r["min_minutes"] <= 60,
                             ROUND_THE_CLOCK)
    if found is None:
        pytest.skip("no space of this owner has an hourly desk")
    return found[0]


def _soon(space: dict) -> tuple[datetime, datetime]:
    """The next half hour, for an hour, in the space's zone (skipped across local midnight)."""
    zone = ZoneInfo(space["timezone"])
    now = datetime.now(zone)
    start = (now + timedelta(minutes=30 - now.minute % 30)).replace(second=0, microsecond=0)
    end = start + timedelta(hours=1)
    if end.date() != start.date() and end.time() != datetime.min.time():
        pytest.skip("too close to midnight in the space's zone for a booking within the hour")
    return start, end


def _confirmed(base: str, auth: dict, resource_id: int, start: datetime, end: datetime) -> int:
    r = httpx.post(f"{base}{API}/bookings", headers=auth, timeout=20, json={
        "resource_id": resource_id, "start": start.isoformat(), "end": end.isoformat(), "seats": 1})
    assert r.status_code == 201, r.text
    booking_id = r.json()["id"]
    payment = httpx.post(f"{base}{API}/bookings/{booking_id}/pay", headers=auth, timeout=20).json()
    r = httpx.post(f"{base}{API}/payments/test/{payment['payment_id']}/complete", headers=auth, timeout=20,
                   json={"outcome": "succeeded"})
    assert r.status_code == 200, r.text
    return booking_id


def test_the_guest_and_the_owner_mark_the_arrival(app_url, browser, space):
    desk = next(r for r in space["resources"] if r["kind"] == "hot_desk" and r["min_minutes"] <= 60)
    start, end = _soon(space)
    email = f"ci-{uuid.uuid4().hex[:8]}@example.com"
    guest = api_sign_up(app_url, email, PASSWORD, "Гость Пришедший", role="renter")
    first = _confirmed(app_url, guest, desk["id"], start, end)
    second = _confirmed(app_url, guest, desk["id"], start, end)
    problems: list[str] = []

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU", bypass_csp=True,
                                  geolocation={"latitude": space["lat"] + 0.0005, "longitude": space["lon"]},
                                  permissions=["geolocation"])
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        ui_login(page, app_url, email, PASSWORD, "/cabinet/bookings")
        card = page.locator(f"[data-testid=booking-card][data-booking='{first}']")
        card.get_by_test_id("booking-checkin").click()
        expect(page.get_by_test_id("checkin-qr")).to_be_visible()
        assert page.get_by_test_id("checkin-qr").get_attribute("src").startswith("data:image/svg+xml;base64,")
        _shoot(page, "checkin-pass", 1280, problems)
        page.get_by_test_id("checkin-here").click()
        expect(page.get_by_test_id("checkin-arrived")).to_contain_text(re.compile(r"Приход отмечен: \d\d:\d\d"))
        page.keyboard.press("Escape")
        page.reload()
        expect(page.locator(f"[data-testid=booking-card][data-booking='{first}']")).to_contain_text("Приход отмечен")
    finally:
        context.close()

    link = httpx.get(f"{app_url}{API}/bookings/{second}/checkin-pass", headers=guest, timeout=20).json()["url"]
    path = link[link.index("/checkin?t="):]
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ru-RU", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(f"{app_url}{path}")  # the phone's camera opened the link: sign in first, then back here
        page.get_by_test_id("staff-checkin-signin").click()
        page.wait_for_url(re.compile(r"/login\?next="))
        expect(page.get_by_test_id("login-submit")).to_be_enabled(timeout=60_000)
        page.get_by_test_id("login-email").fill(OWNER[0])
        page.get_by_test_id("login-password").fill(DEMO_OWNER_PASSWORD)
        page.get_by_test_id("login-submit").click()
        page.wait_for_url(re.compile(r"/checkin\?t="))
        expect(page.get_by_test_id("staff-checkin-guest")).to_have_text("Гость Пришедший")
        _shoot(page, "staff-checkin", 390, problems)
        page.get_by_test_id("staff-checkin-confirm").click()
        expect(page.get_by_test_id("staff-checkin-arrived")).to_contain_text("Приход отмечен")
        _shoot(page, "staff-checkin-done", 390, problems)
    finally:
        context.close()
    view = httpx.get(f"{app_url}{API}/bookings/{second}", headers=guest, timeout=20).json()
    assert view["checked_in_at"] is not None
    assert not problems, "\n".join(problems)
