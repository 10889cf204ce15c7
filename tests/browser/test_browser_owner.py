"""Browser: the owner's space editor at phone and desktop widths (what moderation still needs,
errors next to their field and gone once fixed, photo refusals in Russian beside the
photos, the "На модерацию" button inside the screen); the pin placed by an address
suggestion and by dragging the marker; the preview of a draft; a closed day crossed out in
the booking panel and its booking cancelled with a refund; rejecting a paid booking asks
for a reason the guest then reads; /admin/promos lists a code valid until 9999 and asks
before ending it; owner analytics say what each figure counts. Screenshots in
var/screenshots."""

from __future__ import annotations

import re
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
        expect(page.locator("[data-kpi=revenue_today]")).to_contain_text("Выручка сегодня")
        expect(page.get_by_test_id("kpi-note")).to_contain_text("по дате начала брони")
        assert_no_horizontal_scroll(page, width)
        page.screenshot(path=str(SHOTS / f"owner-analytics-{width}.png"))
        page.goto(f"{app_url}/owner")
        page.get_by_test_id("owner-space").first.wait_for()
        assert_no_horizontal_scroll(page, width)
        page.screenshot(path=str(SHOTS / f"owner-spaces-{width}.png"))
    finally:
        context.close()


# --- the pin, closed days ----------------------------------------------------------------------

def _shots(page, name: str, width: int) -> None:
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def _map_ready(page, test_id: str):
    """The frame of a pickable map once its script has wired the marker up."""
    frame = page.frame_locator(f"[data-testid={test_id}]")
    frame.locator(".leaflet-container[data-ready='1']").wait_for()
    return frame


@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)])
def test_owner_places_the_pin_by_an_address_suggestion_and_by_dragging_the_marker(
        app_url, browser, width, height):
    SHOTS.mkdir(parents=True, exist_ok=True)
    email, owner = _register(app_url, "owner", "Олег Точкин")
    r = httpx.post(f"{app_url}{API}/spaces", headers=owner, timeout=20, json={
        "name": "Лофт у пруда", "address": "Москва, ул. Тверская, 7", "lat": 55.7649, "lon": 37.6050})
    assert r.status_code == 201, r.text
    space_id = r.json()["id"]
    context, page = new_page(browser, width, height)
    try:
        ui_login(page, app_url, email, PASSWORD, f"/owner/spaces/{space_id}")
        lat, lon = page.get_by_test_id("edit-lat"), page.get_by_test_id("edit-lon")
        expect(lat).to_have_value("55.764900")
        expect(lat).to_have_attribute("readonly", "")  # shown, never typed
        expect(page.get_by_test_id("edit-timezone")).to_have_value(re.compile(r"^Europe/Moscow"))

        # An address suggestion: the pin goes to the station, city and district follow.
        address = page.get_by_test_id("edit-address")
        address.fill("Москва, Чистые пр")
        suggestion = page.get_by_test_id("place-suggestion").filter(has_text="Чистые пруды").first
        expect(suggestion).to_be_visible()
        _shots(page, "owner-editor-suggestions", width)
        old_map = page.get_by_test_id("editor-map").get_attribute("src")
        suggestion.click()
        expect(page.get_by_test_id("place-suggestions")).to_have_count(0)
        expect(lat).to_have_value("55.765000")
        expect(lon).to_have_value("37.638300")
        expect(page.get_by_test_id("editor-place")).to_have_text(re.compile(r"^Москва, \S"))
        expect(page.get_by_test_id("pin-moved")).to_be_visible()
        expect(address).to_have_value("Москва, Чистые пр")  # the address stays as typed

        # The map is drawn again around the new point; dragging its marker moves the point further.
        expect(page.get_by_test_id("editor-map")).not_to_have_attribute("src", old_map)
        frame = _map_ready(page, "editor-map")
        marker = frame.locator(".cw-drag-icon")
        marker.scroll_into_view_if_needed()
        box = marker.bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 40, y + 30, steps=8)
        page.mouse.move(x + 70, y + 50, steps=8)
        page.mouse.up()
        expect(lat).not_to_have_value("55.765000")
        dragged = (lat.input_value(), lon.input_value())
        assert float(dragged[0]) < 55.765 and float(dragged[1]) > 37.6383, dragged  # south-east
        expect(page.get_by_test_id("editor-place")).to_have_text(re.compile(r"^Москва"))
        assert_no_horizontal_scroll(page, width)
        page.get_by_test_id("edit-address").scroll_into_view_if_needed()
        _shots(page, "owner-editor-pin", width)

        page.get_by_test_id("edit-address").fill("Москва, Мясницкая ул., 48")
        page.get_by_test_id("save-space").click()
        expect(page.get_by_test_id("editor-message").first).to_have_text("Сохранено")
        page.reload()
        expect(lat).to_have_value(dragged[0])
        expect(lon).to_have_value(dragged[1])
        expect(page.get_by_test_id("pin-moved")).to_have_count(0)
        space = httpx.get(f"{app_url}{API}/owner/spaces/{space_id}", headers=owner, timeout=20).json()
        assert (f"{space['space']['lat']:.6f}", f"{space['space']['lon']:.6f}") == dragged
        assert space["space"]["timezone"] == "Europe/Moscow" and space["place"].startswith("Москва")
        _no_english(page)
        _shots(page, "owner-editor", width)
    finally:
        context.close()


def test_the_preview_shows_a_draft_as_guests_will_see_it_and_strangers_nothing(app_url, browser):
    email, owner = _register(app_url, "owner", "Вера Предпросмотр")
    r = httpx.post(f"{app_url}{API}/spaces", headers=owner, timeout=20, json={
        "name": "Лофт «Черновик»", "address": "Москва, ул. Тверская, 7", "lat": 55.7649, "lon": 37.6050,
        "description": "Тихий лофт для работы и встреч, рядом с метро «Тверская»."})
    space_id = r.json()["id"]
    stranger_email, _stranger = _register(app_url, "owner", "Чужой Владелец")
    context, page = new_page(browser, 1280, 900)
    try:
        ui_login(page, app_url, email, PASSWORD, f"/owner/spaces/{space_id}")
        page.get_by_test_id("editor-preview").click()
        page.wait_for_url(f"**/owner/spaces/{space_id}/preview")
        expect(page.get_by_test_id("preview-banner")).to_contain_text("Так пространство увидят гости")
        expect(page.get_by_test_id("preview-banner")).to_contain_text("Черновик")
        expect(page.get_by_test_id("space-name")).to_have_text("Лофт «Черновик»")
        expect(page.get_by_text("Тихий лофт для работы и встреч")).to_be_visible()
        page.frame_locator("[data-testid=space-map]").locator(".cw-pin").wait_for()
        _shots(page, "owner-preview", 1280)
        page.get_by_test_id("preview-back").click()
        page.wait_for_url(f"**/owner/spaces/{space_id}")
    finally:
        context.close()
    context, page = new_page(browser, 390, 844)
    try:
        ui_login(page, app_url, stranger_email, PASSWORD, f"/owner/spaces/{space_id}/preview")
        expect(page.get_by_test_id("not-found")).to_have_text("Пространство не найдено")
        expect(page.get_by_test_id("space-name")).to_have_count(0)
        assert "Лофт «Черновик»" not in page.locator("body").inner_text()
    finally:
        context.close()


CLOSING_OWNER = ("kvartal@demo.cospace.ru", DEMO_OWNER_PASSWORD)  # no other browser test books its spaces


def test_a_closed_day_is_crossed_out_in_the_booking_panel_and_its_booking_cancelled_with_a_refund(
        app_url, browser):
    owner = api_login(app_url, *CLOSING_OWNER)
    spaces = [s for s in httpx.get(f"{app_url}{API}/owner/spaces", headers=owner, timeout=20).json()
              if s["status"] == "published"]
    space = spaces[0]
    assert httpx.patch(f"{app_url}{API}/spaces/{space['id']}", headers=owner, timeout=20,
                       json={"opening_hours": ALL_DAYS, "instant_book": True}).status_code == 200
    zone = ZoneInfo(space["timezone"])
    closed = datetime.now(zone).date() + timedelta(days=8)
    name = f"Гость {uuid.uuid4().hex[:4]}"
    _email, renter = _register(app_url, "renter", name)
    detail = httpx.get(f"{app_url}{API}/spaces/{space['id']}", timeout=20).json()
    desk = next(r for r in detail["resources"] if r["kind"] in ("hot_desk", "fixed_desk"))
    start = datetime(closed.year, closed.month, closed.day, 10, tzinfo=zone)
    r = httpx.post(f"{app_url}{API}/bookings", headers=renter, timeout=20, json={
        "resource_id": desk["id"], "start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat(),
        "seats": 1})
    assert r.status_code == 201, r.text
    booking_id = r.json()["id"]
    pay = httpx.post(f"{app_url}{API}/bookings/{booking_id}/pay", headers=renter, timeout=20).json()
    assert httpx.post(f"{app_url}{API}/payments/test/{pay['payment_id']}/complete", headers=renter, timeout=20,
                      json={"outcome": "succeeded"}).status_code == 200

    context, page = new_page(browser, 1280, 900)
    try:
        ui_login(page, app_url, *CLOSING_OWNER, f"/owner/spaces/{space['id']}")
        card = page.get_by_test_id("closures")
        card.scroll_into_view_if_needed()
        # A wrong date is said next to the field, in Russian.
        page.get_by_test_id("closure-first-day").fill("31.02.2027")
        page.get_by_test_id("closure-reason").fill("Санитарный день")
        page.get_by_test_id("closure-submit").click()
        expect(card.get_by_test_id("closure-error")).to_have_text(
            "Первый день: дата в виде дд.мм.гггг, например 31.12.2026")
        page.get_by_test_id("closure-first-day").fill(f"{closed:%d.%m.%Y}")
        expect(card.get_by_test_id("closure-error")).to_have_count(0)
        page.get_by_test_id("closure-submit").click()
        closure = card.get_by_test_id("closure").filter(has_text=f"{closed:%d.%m.%Y}")
        expect(closure).to_contain_text("Санитарный день")
        row = closure.get_by_test_id("closure-booking").filter(has_text=f"№ {booking_id}")
        expect(row).to_contain_text(name)
        expect(row).to_contain_text("гостю вернётся")
        card.scroll_into_view_if_needed()
        _shots(page, "owner-closures", 1280)
        row.get_by_test_id("closure-cancel-booking").click()
        expect(page.get_by_role("alertdialog")).to_contain_text("Отменить бронь и вернуть деньги?")
        page.get_by_test_id("closure-confirm").click()
        toast = page.locator("[data-sonner-toast]").filter(has_text=f"Бронь № {booking_id} отменена")
        expect(toast).to_be_visible()
        expect(row).to_have_count(0)
        _no_english(page)
    finally:
        context.close()
    view = httpx.get(f"{app_url}{API}/bookings/{booking_id}", headers=renter, timeout=20).json()
    assert view["status"] == "cancelled" and view["refunded"] == view["paid"] > 0
    assert "Санитарный день" in view["cancel_reason"]

    # The renter's booking panel crosses the day out and will not take it; the next day is free.
    context, page = new_page(browser, 1280, 900)
    try:
        page.goto(f"{app_url}/spaces/{space['id']}")
        page.get_by_test_id("booking-panel").wait_for()
        day = page.locator(f"[data-day='{closed.isoformat()}']")
        if day.count() == 0:  # in the next month
            page.get_by_label("Следующий месяц").click()
        expect(day).to_have_attribute("data-state", "closed")
        day.click()
        page.wait_for_timeout(500)
        expect(day).to_have_attribute("data-state", "closed")
        following = page.locator(f"[data-day='{(closed + timedelta(days=1)).isoformat()}']")
        if following.count():
            expect(following).to_have_attribute("data-state", "free")
        day.scroll_into_view_if_needed()
        _shots(page, "booking-panel-closed-day", 1280)
    finally:
        context.close()
    r = httpx.post(f"{app_url}{API}/bookings/quote", headers=renter, timeout=20, json={
        "resource_id": desk["id"], "start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat(),
        "seats": 1})
    assert r.status_code == 422 and r.json()["detail"][0]["msg"] == \
        f"пространство закрыто {closed:%d.%m.%Y}: Санитарный день"
