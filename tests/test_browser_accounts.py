"""End to end: sign-up with live validation, the owner's space editor, signing out everywhere."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e_fixtures import SHOTS, assert_no_horizontal_scroll, needs_chromium, new_page

pytestmark = needs_chromium
PASSWORD = "Correct-Horse-42"


def _sign_up(page, base: str, role_label: str, name: str, phone: str) -> str:
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    page.goto(f"{base}/signup")
    page.get_by_role("radio", name=role_label).click()
    page.get_by_test_id("signup-full_name").fill(name)
    page.get_by_test_id("signup-email").fill(email)
    page.get_by_test_id("signup-phone").fill(phone)
    page.get_by_test_id("signup-password").fill(PASSWORD)
    page.get_by_test_id("strength").wait_for()
    page.get_by_test_id("signup-terms").click()
    return email


def _jpeg(color) -> dict:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), color).save(out, "JPEG")
    return {"name": f"{color[0]}.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)])
def test_owner_signs_up_and_creates_a_space_with_resource_tariff_and_photos(
        app_url, browser, width, height):
    context, page = new_page(browser, width, height)
    try:
        _sign_up(page, app_url, "Сдаю место", "Ольга Владелец", "+7 912 345-67-89")
        page.screenshot(path=str(SHOTS / f"signup-{width}.png"), full_page=True)
        page.get_by_test_id("signup-submit").click()
        page.wait_for_url("**/owner")
        page.get_by_test_id("verify-banner").wait_for()

        page.get_by_test_id("new-name").fill("Лофт Е2Е")
        page.get_by_test_id("new-address").fill("Москва, ул. Тверская, 7")
        page.get_by_test_id("new-lat").fill("55.7649")
        page.get_by_test_id("new-lon").fill("37.6050")
        page.get_by_test_id("create-space").click()
        page.wait_for_url("**/owner/spaces/*")
        expect(page.get_by_test_id("editor-title")).to_have_text("Лофт Е2Е")
        expect(page.get_by_test_id("editor-status")).to_have_text("Черновик")
        expect(page.get_by_test_id("editor-place")).to_have_text("Москва, Тверской")

        # Clicking the map moves the point; saving re-derives the district from it.
        lat_input = page.get_by_test_id("edit-lat")
        expect(lat_input).to_have_value("55.764900")
        page.frame_locator("[data-testid=editor-map]").locator(".leaflet-container").click(
            position={"x": 60, "y": 40})
        expect(lat_input).not_to_have_value("55.764900")
        page.get_by_test_id("save-space").click()
        expect(page.get_by_test_id("editor-message")).to_have_text("Сохранено")

        page.get_by_test_id("resource-name").fill("Open space")
        page.get_by_test_id("resource-capacity").fill("12")
        page.get_by_test_id("resource-submit").click()
        page.get_by_test_id("editor-resource").wait_for()
        page.get_by_test_id("tariff-price").fill("350")
        page.get_by_test_id("tariff-submit").click()
        page.get_by_test_id("tariff").wait_for()
        expect(page.get_by_test_id("tariff")).to_contain_text("350 ₽ / час")
        expect(page.get_by_test_id("editor-resource")).to_contain_text("12 мест · от 1 ч до 31 дн.")

        page.locator("#photos input[type=file]").set_input_files([_jpeg((200, 60, 60)),
                                                                 _jpeg((60, 60, 200))])
        page.get_by_test_id("upload-photos").click()
        page.get_by_test_id("editor-photo").nth(1).wait_for()
        expect(page.get_by_test_id("editor-photo")).to_have_count(2)
        page.wait_for_timeout(300)
        page.screenshot(path=str(SHOTS / f"space-editor-{width}.png"), full_page=True)
        assert_no_horizontal_scroll(page, width)

        page.goto(f"{app_url}/owner")
        rows = page.get_by_test_id("owner-space")
        rows.first.wait_for()
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("Лофт Е2Е")
        expect(rows.first).to_contain_text("Черновик")
    finally:
        context.close()


def test_renter_fixes_invalid_phone_lands_in_cabinet_and_signs_out_everywhere(app_url, browser):
    context, page = new_page(browser, 390, 844)
    other = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        email = _sign_up(page, app_url, "Ищу место", "Иван Арендатор", "8 (912) 000")
        page.get_by_test_id("signup-submit").click()
        error = page.get_by_test_id("error-phone")
        error.wait_for()
        expect(error).to_contain_text("номер")
        assert "/signup" in page.url
        page.get_by_test_id("signup-phone").fill("8 (912) 345-67-89")
        error.wait_for(state="detached")
        page.get_by_test_id("signup-submit").click()
        page.wait_for_url("**/cabinet")
        page.get_by_test_id("cabinet-title").wait_for()
        expect(page.get_by_test_id("profile-phone")).to_have_value("+79123456789")

        # The editor's handlers check ownership, whatever id is in the URL.
        page.goto(f"{app_url}/owner/spaces/1")
        page.get_by_text("Пространство не найдено").wait_for()

        # A second device signs in; "sign out everywhere" on the phone ends both.
        desk = other.new_page()
        desk.goto(f"{app_url}/login")
        desk.get_by_test_id("login-email").fill(email)
        desk.get_by_test_id("login-password").fill(PASSWORD)
        desk.get_by_test_id("login-submit").click()
        desk.wait_for_url("**/cabinet")
        page.goto(f"{app_url}/cabinet")
        page.get_by_test_id("device").nth(1).wait_for()
        expect(page.get_by_test_id("device")).to_have_count(2)
        page.screenshot(path=str(SHOTS / "cabinet-390.png"), full_page=True)
        desk.screenshot(path=str(SHOTS / "cabinet-1280.png"), full_page=True)
        page.get_by_test_id("sign-out-everywhere").click()
        page.wait_for_url("**/login")
        desk.goto(f"{app_url}/cabinet")
        desk.wait_for_url("**/login?next=/cabinet")
        desk.get_by_test_id("sign-in-link").wait_for()
    finally:
        other.close()
        context.close()


def test_wrong_password_says_so(app_url, browser):
    context, page = new_page(browser, 1280, 900)
    try:
        page.goto(f"{app_url}/login")
        page.get_by_test_id("login-email").fill("nobody@example.com")
        page.get_by_test_id("login-password").fill("not-the-password")
        page.get_by_test_id("login-submit").click()
        expect(page.get_by_test_id("login-error")).to_contain_text("Неверный email или пароль")
        page.screenshot(path=str(SHOTS / "login-error-1280.png"))
    finally:
        context.close()
