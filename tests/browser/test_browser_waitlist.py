"""Browser: the waitlist as a renter meets it. A meeting room is taken for an afternoon; the
renter opens the same time on the space page, reads that there are no seats and joins the
line from the panel; in "Мои брони" the line shows their place. The holder cancels, the
freed seat is offered (the drain job, run as the worker would), and the renter finds it held
for them, pays it and sees it booked. Screenshots at 1280 and 390 px."""

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
from tests.e2e_fixtures import (
    api_sign_up,
    chain_room,
    e2e_python,
    needs_chromium,
    ui_login,
)

pytestmark = needs_chromium
PASSWORD = "Correct-Horse-42"
API = "/api/v1"
ALL_DAYS = {d: {"open": "08:00", "close": "22:00"} for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


OWNER = ("mayak@demo.cospace.ru", DEMO_OWNER_PASSWORD)  # e2e_fixtures.chain_space_with: why a chain owner


@pytest.fixture(scope="module")
def room(app_url):
    """A meeting room (two hours allowed) of a published space of OWNER, open every day."""
    return chain_room(app_url, OWNER, ALL_DAYS)


def _person(base: str, name: str) -> tuple[str, dict]:
    email = f"wl-{uuid.uuid4().hex[:8]}@example.com"
    return email, api_sign_up(base, email, PASSWORD, name, role="renter")


def test_join_the_waitlist_and_take_the_freed_room(app_url, browser, room):
    space, resource = room
    zone = ZoneInfo(space["timezone"])
    day = (datetime.now(zone) + timedelta(days=3)).date()
    start = datetime.combine(day, datetime.min.time().replace(hour=14), tzinfo=zone)
    end = start + timedelta(hours=2)
    _holder_email, holder = _person(app_url, "Олег Первый")
    r = httpx.post(f"{app_url}{API}/bookings", headers=holder, timeout=20, json={
        "resource_id": resource["id"], "start": start.isoformat(), "end": end.isoformat(), "seats": 1})
    assert r.status_code == 201, r.text
    taken = r.json()["id"]
    payment = httpx.post(f"{app_url}{API}/bookings/{taken}/pay", headers=holder, timeout=20).json()
    assert httpx.post(f"{app_url}{API}/payments/test/{payment['payment_id']}/complete", headers=holder, timeout=20,
                      json={"outcome": "succeeded"}).status_code == 200

    email, _auth = _person(app_url, "Вера Ожидающая")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    problems: list[str] = []
    try:
        choice = f"/spaces/{space['id']}?resource={resource['id']}&day={day.isoformat()}&from=14:00&to=16:00"
        ui_login(page, app_url, email, PASSWORD, "/cabinet/bookings")
        page.goto(f"{app_url}{choice}")
        expect(page.get_by_test_id("book-error")).to_contain_text("свободных мест нет")
        expect(page.get_by_test_id("book-submit")).to_be_disabled()
        page.get_by_test_id("waitlist-join").click()
        expect(page.get_by_test_id("waitlist-joined")).to_contain_text("место в очереди: 1")
        _shoot(page, "waitlist-panel", 1280, problems)
        _shoot(page, "waitlist-panel", 390, problems)

        page.goto(f"{app_url}/cabinet/bookings")
        entry = page.get_by_test_id("waitlist-entry")
        expect(entry).to_contain_text(resource["name"])
        expect(entry.get_by_test_id("waitlist-note")).to_have_text("Место в очереди: 1")
        _shoot(page, "waitlist-mine", 390, problems)

        # The holder cancels; the worker's drain job offers the freed room.
        r = httpx.post(f"{app_url}{API}/bookings/{taken}/cancel", headers=holder, timeout=20, json={})
        assert r.status_code == 200, r.text
        assert e2e_python(f"from jobs.booking import offer_waitlist\nprint(offer_waitlist([{resource['id']}]))"
                          ).strip().endswith("1")
        page.reload()
        note = page.get_by_test_id("waitlist-note")
        expect(note).to_contain_text(re.compile(r"держится за вами до \d\d:\d\d — оплатите бронь № \d+"))
        _shoot(page, "waitlist-offer", 1280, problems)
        page.get_by_test_id("waitlist-pay").click()
        page.wait_for_url(re.compile(r"/checkout/\d+$"))
        page.get_by_test_id("checkout-pay").click()
        page.wait_for_url(re.compile(r"/cabinet/bookings\?paid=\d+$"))
        expect(page.get_by_test_id("bookings-message")).to_contain_text("Оплата прошла")
        expect(page.get_by_test_id("booking-card").filter(has_text=resource["name"])).to_be_visible()
        expect(page.get_by_test_id("waitlist-note")).to_contain_text("Забронировано")
        assert not problems, "\n".join(problems)
    finally:
        context.close()
