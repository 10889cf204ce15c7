"""End to end: two-factor protection turned on in the cabinet, then off with the password
and a current code (a wrong code is said under the field, in Russian)."""

from __future__ import annotations

import uuid

import httpx
import pyotp
from playwright.sync_api import expect

from tests.e2e_fixtures import SHOTS, api_sign_up, needs_chromium, new_page, ui_login

pytestmark = needs_chromium
PASSWORD = "Correct-Horse-42"


def test_two_factor_on_then_off_in_the_cabinet(app_url, browser):
    email = f"e2e-2fa-{uuid.uuid4().hex[:8]}@example.com"
    auth = api_sign_up(app_url, email, PASSWORD, "Анна Защищённая")
    context, page = new_page(browser, 390, 844)
    try:
        ui_login(page, app_url, email, PASSWORD, "/cabinet")
        page.get_by_test_id("totp-start").click()
        secret = page.get_by_test_id("totp-secret").inner_text().strip()
        page.get_by_test_id("totp-code").fill(pyotp.TOTP(secret).now())
        page.get_by_test_id("totp-confirm").click()
        page.get_by_test_id("totp-on").wait_for()

        page.get_by_test_id("totp-off").click()
        page.get_by_test_id("totp-off-password").fill(PASSWORD)
        page.get_by_test_id("totp-off-code").fill("000000")
        expect(page.get_by_test_id("totp-off-submit")).to_be_enabled()
        page.get_by_test_id("totp-off-submit").click()
        expect(page.get_by_test_id("error-totp_code")).to_have_text("Неверный код")
        assert "000000" not in page.url and PASSWORD not in page.url
        page.get_by_test_id("totp-off-code").fill(pyotp.TOTP(secret).now())
        page.get_by_test_id("error-totp_code").wait_for(state="detached")
        page.get_by_test_id("totp-off-submit").click()
        expect(page.get_by_test_id("totp-message")).to_contain_text("Двухфакторная защита выключена")
        page.get_by_test_id("totp-start").wait_for()
        page.screenshot(path=str(SHOTS / "cabinet-2fa-off-390.png"), full_page=True)
        me = httpx.get(f"{app_url}/api/v1/me", headers=auth, timeout=20)
        assert me.status_code == 200 and me.json()["totp_enabled"] is False
    finally:
        context.close()
