"""Browser: the owner's space editor at phone and desktop widths (what moderation still needs,
errors next to their field and gone once fixed, photo refusals in Russian beside the
photos, the "На модерацию" button inside the screen); rejecting a paid booking asks for a
reason the guest then reads; /admin/promos lists a code valid until 9999 and asks before
ending it; owner analytics say what each figure counts. Screenshots in var/screenshots."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from coworking_app.demo.seed import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD
from tests.e2e_fixtures import (
    E2E_ENV,
    SHOTS,
    _run,
    api_login,
    api_sign_up,
    assert_no_horizontal_scroll,
    needs_chromium,
    new_page,
    ui_login,
)
from tests.factories import jpeg_bytes

pytestmark = needs_chromium
# The machine these run on is shared and slow at times: a page's first load may take longer
# than Playwright's default 5 s.
expect.set_options(timeout=15_000)
API = "/api/v1"
PASSWORD = "Correct-Horse-42"
ADMIN = ("admin-e2e@demo.cospace.ru", "Admin-Pass-2026-e2e")
ALL_DAYS = {d: {"open": "08:00", "close": "22:00"} for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
ENGLISH = ("Files not Accepted", "File type must be", "Input should", "Field required", "must be")


def _register(base: str, role: str, name: str) -> tuple[str, dict]:
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    return email, api_sign_up(base, email, PASSWORD, name, role=role)


def _no_english(page) -> None:
    body = page.locator("body").inner_text()
    assert not [w for w in ENGLISH if w in body], body[:2000]


def _inside(page, locator, width: int) -> None:
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box


@pytest.mark.parametrize("width,height", [(390, 844), (1280, 900)])
def test_editor_says_what_is_missing_and_where_each_error_is(app_url, browser, width, height, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    email, owner = _register(app_url, "owner", "Ольга Редактор")
    r = httpx.post(f"{app_url}{API}/spaces", headers=owner, timeout=20, json={
        "name": "Лофт без часов", "address": "Москва, ул. Тверская, 7", "lat": 55.7649, "lon": 37.6050})
    assert r.status_code == 201, r.text
    space_id = r.json()["id"]
    context, page = new_page(browser, width, height)
    try:
        ui_login(page, app_url, email, PASSWORD, f"/owner/spaces/{space_id}")
        expect(page.get_by_test_id("editor-title")).to_have_text("Лофт без часов")
        gaps = page.get_by_test_id("editor-gap")
        expect(gaps).to_have_count(4)
        expect(page.get_by_test_id("editor-readiness")).to_contain_text("Часы работы")
        submit = page.get_by_test_id("submit-space")
        expect(submit).to_be_disabled()
        _inside(page, submit, width)
        assert_no_horizontal_scroll(page, width)
        page.screenshot(path=str(SHOTS / f"owner-editor-top-{width}.png"))

        # Hours off the 30-minute grid: the error is beside the hours, and goes once fixed.
        page.get_by_test_id("hours-open-mon").fill("09:15")
        page.get_by_test_id("hours-close-mon").fill("21:00")
        page.get_by_test_id("save-space").click()
        hours = page.get_by_test_id("editor-hours")
        error = hours.get_by_test_id("editor-error")
        expect(error).to_contain_text("Часы работы, понедельник: время с шагом 30 минут")
        error.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"owner-editor-hours-error-{width}.png"))
        page.get_by_test_id("hours-open-mon").fill("09:00")
        expect(error).to_have_count(0)
        page.get_by_test_id("save-space").click()
        expect(page.get_by_test_id("editor-message").first).to_have_text("Сохранено")
        expect(gaps).to_have_count(3)

        # A text file dropped on the photos: refused in the browser, said in Russian beside them.
        bad = tmp_path / "notimage.txt"
        bad.write_text("not an image")
        page.locator("#photos input[type=file]").set_input_files(str(bad))
        photos = page.get_by_test_id("editor-photos")
        expect(photos.get_by_test_id("editor-error")).to_contain_text("notimage.txt: это не JPEG и не PNG")
        photos.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"owner-editor-photo-error-{width}.png"))
        _no_english(page)
        # A real photo then uploads, and the complaint is gone with the action.
        page.locator("#photos input[type=file]").set_input_files(
            [{"name": "hall.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}])
        page.get_by_test_id("upload-photos").click()
        page.get_by_test_id("editor-photo").first.wait_for()
        expect(photos.get_by_test_id("editor-error")).to_have_count(0)

        # The rest through the API; the reloaded editor says everything is there.
        assert httpx.patch(f"{app_url}{API}/spaces/{space_id}", headers=owner, timeout=20, json={
            "description": "Светлый лофт с переговорными и кухней, десять минут от метро."}).status_code == 200
        resource = httpx.post(f"{app_url}{API}/spaces/{space_id}/resources", headers=owner, timeout=20,
                              json={"kind": "hot_desk", "name": "Зал", "capacity": 12}).json()
        assert httpx.put(f"{app_url}{API}/spaces/{space_id}/resources/{resource['id']}/tariffs", headers=owner,
                         timeout=20, json={"unit": "hour", "price_minor": 35000}).status_code == 200
        page.reload()
        expect(page.get_by_test_id("editor-readiness")).to_contain_text("Всё готово")
        expect(submit).to_be_enabled()
        _inside(page, submit, width)
        submit.click()
        expect(page.get_by_test_id("editor-status")).to_have_text("На модерации")
        expect(page.get_by_test_id("editor-message").first).to_have_text("Отправлено на модерацию")
        expect(page.get_by_test_id("editor-pending")).to_be_visible()
        assert_no_horizontal_scroll(page, width)
        page.screenshot(path=str(SHOTS / f"owner-editor-submitted-{width}.png"))
    finally:
        context.close()


@pytest.fixture(scope="module")
def approval_space(app_url):
    """The demo owner's last published space, made to ask the owner about each booking."""
    owner = api_login(app_url, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
    spaces = [s for s in httpx.get(f"{app_url}{API}/owner/spaces", headers=owner, timeout=20).json()
              if s["status"] == "published"]
    space = spaces[-1]
    r = httpx.patch(f"{app_url}{API}/spaces/{space['id']}", headers=owner, timeout=20,
                    json={"opening_hours": ALL_DAYS, "instant_book": False, "cancellation_policy": "flexible"})
    assert r.status_code == 200, r.text
    return space


def _paid_booking(base: str, space: dict, renter: dict, days: int) -> int:
    detail = httpx.get(f"{base}{API}/spaces/{space['id']}", timeout=20).json()
    desk = next(r for r in detail["resources"] if r["kind"] == "hot_desk")
    zone = ZoneInfo(detail["timezone"])
    day = datetime.now(zone).date() + timedelta(days=days)
    start = datetime(day.year, day.month, day.day, 10, tzinfo=zone)
    r = httpx.post(f"{base}{API}/bookings", headers=renter, timeout=20, json={
        "resource_id": desk["id"], "start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat(),
        "seats": 1})
    assert r.status_code == 201, r.text
    booking_id = r.json()["id"]
    pay = httpx.post(f"{base}{API}/bookings/{booking_id}/pay", headers=renter, timeout=20).json()
    r = httpx.post(f"{base}{API}/payments/test/{pay['payment_id']}/complete", headers=renter, timeout=20,
                   json={"outcome": "succeeded"})
    assert r.status_code == 200, r.text
    return booking_id


@pytest.mark.parametrize("width,height", [(390, 844), (1280, 900)])
def test_owner_rejects_a_paid_booking_only_with_a_reason_the_guest_reads(
        app_url, browser, approval_space, width, height):
    name = f"Гость {uuid.uuid4().hex[:4]}"
    _email, renter = _register(app_url, "renter", name)
    booking_id = _paid_booking(app_url, approval_space, renter, days=5 if width == 390 else 6)
    reason = "В этот день зал закрыт на ремонт"
    context, page = new_page(browser, width, height)
    try:
        ui_login(page, app_url, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, "/owner/bookings")
        card = page.locator(f"[data-testid=booking-card][data-booking='{booking_id}']")
        expect(card.get_by_test_id("booking-status")).to_have_text("оплачено, ждёт подтверждения")
        card.get_by_test_id("booking-reject").click()
        confirm = page.get_by_test_id("owner-confirm")
        expect(confirm).to_be_disabled()  # no reason, no rejection
        expect(page.get_by_test_id("reject-refund")).to_contain_text("Гостю вернётся всё")
        page.get_by_test_id("reject-reason").fill(reason)
        page.screenshot(path=str(SHOTS / f"owner-reject-dialog-{width}.png"))
        _inside(page, confirm, width)
        confirm.click()
        toast = page.locator("[data-sonner-toast]").filter(has_text=f"Бронь № {booking_id} отклонена")
        expect(toast).to_be_visible()
        page.screenshot(path=str(SHOTS / f"owner-reject-toast-{width}.png"))
        expect(card.get_by_test_id("booking-status")).to_have_text("отменено")
        assert_no_horizontal_scroll(page, width)
    finally:
        context.close()

    notices = httpx.get(f"{app_url}{API}/notifications", headers=renter, timeout=20).json()["items"]
    rejected = next(n for n in notices if n["type"] == "booking_rejected")
    assert f"Причина: {reason}." in rejected["body"]
    engine = create_engine(E2E_ENV["DATABASE_URL"], poolclass=NullPool)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT reason FROM booking_event WHERE booking_id = :b AND action = 'reject'"),
                           {"b": booking_id}) == reason
    engine.dispose()


def test_admin_promos_list_a_code_until_9999_and_ask_before_ending_it(app_url, browser):
    _run("-m", "coworking_app.cli", "create-admin", "--email", ADMIN[0], "--password", ADMIN[1],
         "--name", "Анна Админ")
    code = f"FOREVER{uuid.uuid4().hex[:4].upper()}"
    engine = create_engine(E2E_ENV["DATABASE_URL"], poolclass=NullPool)
    with engine.begin() as conn:  # written before the dates were checked
        conn.execute(text("INSERT INTO promo_code (code, kind, value, currency, valid_until, min_amount_minor, "
                          "max_uses_per_user) VALUES (:c, 'percent', 5, 'RUB', :u, 0, 1)"),
                     {"c": code, "u": datetime(9999, 12, 31, 23, 59, tzinfo=timezone.utc)})
    engine.dispose()
    for width, height in ((1280, 900), (390, 844)):
        context, page = new_page(browser, width, height)
        try:
            ui_login(page, app_url, *ADMIN, "/admin/promos")
            row = page.get_by_test_id("promo-row").filter(has_text=code)
            expect(row).to_contain_text("до 31.12.9999 23:59 UTC")
            assert_no_horizontal_scroll(page, width)
            page.screenshot(path=str(SHOTS / f"admin-promos-{width}.png"))
            # Far-future dates are refused next to the field, and the complaint goes once it changes.
            page.get_by_test_id("promo-code").fill(f"NEW{uuid.uuid4().hex[:4].upper()}")
            page.get_by_test_id("promo-value").fill("10")
            page.get_by_test_id("promo-until").fill("2099-12-31")
            page.get_by_test_id("promo-create").click()
            field_error = page.get_by_test_id("promo-field-error")
            expect(field_error).to_contain_text("не дольше 3 лет")
            page.get_by_test_id("promo-until").fill((datetime.now() + timedelta(days=30)).strftime("%Y-%m-%d"))
            expect(field_error).to_have_count(0)
            _no_english(page)
            if width == 390:
                row.get_by_test_id("promo-end").click()
                expect(page.get_by_role("alertdialog")).to_contain_text(f"Завершить промокод {code}?")
                page.get_by_test_id("promo-confirm").click()
                expect(page.locator("[data-sonner-toast]").filter(has_text=f"Промокод {code} завершён")).to_be_visible()
                expect(row).to_contain_text("не действует")
        finally:
            context.close()


@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)])
def test_owner_analytics_say_what_each_figure_counts(app_url, browser, width, height):
    context, page = new_page(browser, width, height)
    try:
        ui_login(page, app_url, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, "/owner/analytics")
        received = page.locator("[data-kpi=received_today]")
        expect(received).to_contain_text("Получено сегодня")
        expect(received.get_by_test_id("kpi-hint")).to_have_text("оплаты за сегодня минус возвраты, по дате платежа")
        expect(page.locator("[data-kpi=revenue_today]")).to_contain_text("Визиты сегодня: оплачено")
        expect(page.get_by_test_id("kpi-note")).to_contain_text("по дате начала брони")
        assert_no_horizontal_scroll(page, width)
        page.screenshot(path=str(SHOTS / f"owner-analytics-{width}.png"))
        page.goto(f"{app_url}/owner")
        page.get_by_test_id("owner-space").first.wait_for()
        assert_no_horizontal_scroll(page, width)
        page.screenshot(path=str(SHOTS / f"owner-spaces-{width}.png"))
    finally:
        context.close()
