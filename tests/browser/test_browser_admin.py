"""Browser test of the operator panel: an admin approves a space an owner submitted, filters
the bookings table by status and exports it to Excel; the dashboard at desktop and phone
widths (screenshots in var/screenshots)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from openpyxl import load_workbook
from playwright.sync_api import expect

from coworking_app.demo.seed import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD
from tests.factories import jpeg_bytes
from tests.e2e_fixtures import (
    SHOTS,
    _run,
    api_login,
    api_sign_up,
    assert_no_horizontal_scroll,
    needs_chromium,
    new_page,
    ui_login,
)

pytestmark = needs_chromium
PASSWORD = "Correct-Horse-42"
ADMIN = ("admin-e2e@demo.cospace.ru", "Admin-Pass-2026-e2e")
API = "/api/v1"


def _submitted_space(base: str, owner: dict, name: str) -> int:
    r = httpx.post(f"{base}{API}/spaces", headers=owner, timeout=20, json={
        "name": name, "address": "Москва, ул. Тверская, 7", "lat": 55.7649, "lon": 37.6050,
        "timezone": "Europe/Moscow", "amenities": ["wifi"],
        "opening_hours": {d: {"open": "09:00", "close": "21:00"} for d in ("mon", "tue", "wed", "thu", "fri")},
        "description": "Светлый лофт с переговорными и кухней, десять минут от метро."})
    assert r.status_code == 201, r.text
    space_id = r.json()["id"]
    r = httpx.post(f"{base}{API}/spaces/{space_id}/resources", headers=owner, timeout=20,
                   json={"kind": "hot_desk", "name": "Открытое пространство", "capacity": 12})
    assert r.status_code == 201, r.text
    r = httpx.put(f"{base}{API}/spaces/{space_id}/resources/{r.json()['id']}/tariffs", headers=owner, timeout=20,
                  json={"unit": "hour", "price_minor": 40000, "currency": "RUB"})
    assert r.status_code == 200, r.text
    r = httpx.post(f"{base}{API}/spaces/{space_id}/photos", headers=owner, timeout=20,
                   files={"file": ("hall.jpg", jpeg_bytes(), "image/jpeg")})
    assert r.status_code == 201, r.text
    assert httpx.post(f"{base}{API}/spaces/{space_id}/submit", headers=owner, timeout=20).status_code == 200
    return space_id


def _paid_booking(base: str, space_id: int) -> int:
    detail = httpx.get(f"{base}{API}/spaces/{space_id}", timeout=20).json()
    desk = next(res for res in detail["resources"] if res["kind"] == "hot_desk")
    email = f"adm-{uuid.uuid4().hex[:8]}@example.com"
    renter = api_sign_up(base, email, PASSWORD, "Пётр Гость")
    zone = ZoneInfo(detail["timezone"])
    day = datetime.now(zone).date() + timedelta(days=7)
    while day.weekday() > 4:
        day += timedelta(days=1)
    start = datetime(day.year, day.month, day.day, 10, tzinfo=zone)
    booking = httpx.post(f"{base}{API}/bookings", headers=renter, timeout=20, json={
        "resource_id": desk["id"], "start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat(),
        "seats": 1})
    assert booking.status_code == 201, booking.text
    pay = httpx.post(f"{base}{API}/bookings/{booking.json()['id']}/pay", headers=renter, timeout=20).json()
    httpx.post(f"{base}{API}/payments/test/{pay['payment_id']}/complete", headers=renter, timeout=20,
               json={"outcome": "succeeded"})
    return booking.json()["id"]


def test_admin_approves_a_space_filters_bookings_and_exports_excel(app_url, browser, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    _run("-m", "coworking_app.cli", "create-admin", "--email", ADMIN[0], "--password", ADMIN[1],
         "--name", "Анна Админ")
    owner = api_login(app_url, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
    name = f"Лофт на проверке {uuid.uuid4().hex[:6]}"
    space_id = _submitted_space(app_url, owner, name)
    assert httpx.get(f"{app_url}{API}/spaces/{space_id}", timeout=20).status_code == 404

    context, page = new_page(browser, 1280, 900)
    try:
        _check_desktop(app_url, page, name, space_id, owner, tmp_path)
    finally:
        context.close()
        # Later browser tests book the first Moscow search result: keep this space out of it.
        httpx.post(f"{app_url}{API}/admin/spaces/{space_id}/hide", headers=api_login(app_url, *ADMIN), timeout=20,
                   json={"reason": "тестовое пространство"})
    _check_phone(app_url, browser)


def _check_desktop(app_url, page, name, space_id, owner, tmp_path) -> None:
    ui_login(page, app_url, ADMIN[0], ADMIN[1], "/admin/moderation")
    item = page.get_by_test_id("moderation-space").filter(has_text=name)
    expect(item).to_have_count(1)
    item.get_by_test_id("space-approve").click()
    expect(item).to_have_count(0)
    assert httpx.get(f"{app_url}{API}/spaces/{space_id}", timeout=20).json()["status"] == "published"
    notes = httpx.get(f"{app_url}{API}/notifications", headers=owner, timeout=20).json()
    assert any(name in n["title"] for n in notes["items"]), notes

    booking_id = _paid_booking(app_url, space_id)
    admin_api = api_login(app_url, *ADMIN)
    expected = httpx.get(f"{app_url}{API}/admin/bookings?status=confirmed", headers=admin_api, timeout=20).json()
    assert expected["total"] >= 1

    page.goto(f"{app_url}/admin/tables")
    expect(page.get_by_test_id("table-row").first).to_be_visible()
    page.get_by_test_id("filter-status").click()
    page.get_by_role("option", name="подтверждено", exact=True).click()
    expect(page.get_by_test_id("table-total")).to_have_text(f"Найдено: {expected['total']}")
    rows = page.get_by_test_id("table-row")
    expect(rows).to_have_count(min(expected["total"], 25))
    expect(page.locator(f"[data-testid='table-row'][data-id='{booking_id}']")).to_be_visible()
    for text in rows.all_inner_texts():
        assert "подтверждено" in text and "ждёт" not in text

    with page.expect_download() as download_info:
        page.get_by_test_id("export-xlsx").click()
    path = tmp_path / "bookings.xlsx"
    download_info.value.save_as(path)
    sheet = load_workbook(path).active
    assert sheet.cell(4, 1).value == "ID" and sheet.cell(4, 7).value == "Статус"
    ids = [sheet.cell(r, 1).value for r in range(5, 5 + expected["total"])]
    assert booking_id in ids
    assert sheet.cell(5 + expected["total"], 1).value == "Итого"

    page.goto(f"{app_url}/admin")
    # 8 figures of the owner's view plus new users and API time; money received and the
    # bookings' value by stay date are told apart under each figure.
    expect(page.get_by_test_id("kpi")).to_have_count(10)
    expect(page.locator("[data-kpi='received_today']").get_by_test_id("kpi-hint")).to_contain_text("по дате платежа")
    # The booking paid above for next week is money received today, not a visit today.
    received = page.locator("[data-kpi='received_today']").get_by_test_id("kpi-value")
    expect(received).not_to_have_text("0 ₽")
    expect(page.get_by_test_id("chart-occupancy").locator(".js-plotly-plot")).to_be_visible()
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / "admin-dashboard-1280.png"), full_page=True)
    # Narrowed to one space: another space has none of today's bookings, the approved one
    # exactly the booking made above.
    today_kpi = page.locator("[data-kpi='bookings_today']").get_by_test_id("kpi-value")
    page.get_by_test_id("filter-space").fill(str(space_id - 1))
    expect(today_kpi).to_have_text("0")
    page.get_by_test_id("filter-space").fill(str(space_id))
    expect(today_kpi).to_have_text("1")


def _check_phone(app_url, browser) -> None:
    context, page = new_page(browser, 390, 844)
    try:
        ui_login(page, app_url, ADMIN[0], ADMIN[1], "/admin")
        expect(page.get_by_test_id("kpi")).to_have_count(10)
        expect(page.get_by_test_id("chart-heatmap").locator(".js-plotly-plot")).to_be_visible()
        page.wait_for_timeout(1500)
        assert_no_horizontal_scroll(page, 390)
        page.screenshot(path=str(SHOTS / "admin-dashboard-390.png"), full_page=True)
        page.goto(f"{app_url}/admin/tables")
        expect(page.get_by_test_id("table-row").first).to_be_visible()
        assert_no_horizontal_scroll(page, 390)  # the table scrolls inside its own box
        page.screenshot(path=str(SHOTS / "admin-tables-390.png"), full_page=True)
    finally:
        context.close()
