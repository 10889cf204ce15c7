"""Browser test of the owner's /owner/finance: after a stay of last month was paid and completed
and one ahead was paid, the owner sees what waits and what is available, with the lines that
make it up; saves bank details (a wrong ИНН is refused by its field), downloads the lines as
Excel and the month's statement as a PDF; the page at phone width. Screenshots in
var/screenshots."""

from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta

from openpyxl import load_workbook
from playwright.sync_api import expect
from pypdf import PdfReader

from coworking_app.formatting import format_money
from tests.e2e_fixtures import SHOTS, assert_no_horizontal_scroll, needs_chromium, new_page, ui_login
from tests.finance_e2e import (
    BANK,
    MSK,
    OWNER_PASSWORD,
    OWNER_SHARE,
    complete_past_stays,
    last_month,
    owner_with_stays,
    run_owner_payout,
)

pytestmark = needs_chromium


def _shot(page, name: str) -> None:
    page.wait_for_timeout(400)  # toasts and spinners settle
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_owner_sees_the_balance_saves_bank_details_and_downloads_the_statement(app_url, browser, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    ahead = datetime.now(MSK).date() + timedelta(days=7)
    world = owner_with_stays(app_url, f"Коворкинг «Касса {uuid.uuid4().hex[:6]}»", [last_month() + timedelta(days=4), ahead])
    done, coming = world["bookings"]
    complete_past_stays(world["space_id"])
    share = format_money(OWNER_SHARE)

    context, page = new_page(browser, 1280, 900)
    try:
        ui_login(page, app_url, world["owner_email"], OWNER_PASSWORD, "/owner/finance")
        expect(page.get_by_test_id("finance-available-value")).to_have_text(share)
        expect(page.get_by_test_id("finance-pending-value")).to_have_text(share)
        expect(page.get_by_test_id("finance-in-transit-value")).to_have_text(format_money(0))
        expect(page.get_by_test_id("finance-commission")).to_have_text("15 %")
        first = datetime.now(MSK).date().replace(day=1)
        next_month = (first + timedelta(days=32)).replace(day=1)
        expect(page.get_by_test_id("finance-next-value")).to_contain_text(str(next_month.year))
        # Two payments, and the completion moving the first stay's share from "pending" to "payable".
        lines = page.get_by_test_id("finance-line")
        expect(lines).to_have_count(4)
        completed = lines.filter(has_text=f"№ {done}").filter(has_text="Бронь завершена")
        expect(completed.and_(page.locator("[data-account='payable']"))).to_contain_text("+" + share)
        expect(completed.and_(page.locator("[data-account='pending']"))).to_contain_text("−" + share)
        expect(lines.filter(has_text=f"№ {coming}")).to_contain_text("Оплата")
        expect(page.get_by_test_id("statements-empty")).to_be_visible()

        # Bank details: nothing on file yet, so the form is open; a wrong ИНН is refused by its field.
        for name, value in BANK.items():
            page.get_by_test_id(f"bank-{name}").fill(value)
        page.get_by_test_id("bank-payee_inn").fill("500100732250")
        page.get_by_test_id("bank-save").click()
        error = page.get_by_test_id("bank-field-error")
        expect(error).to_have_attribute("data-field", "payee_inn")
        expect(error).to_contain_text("ИНН с неверным контрольным числом")
        expect(page.get_by_test_id("bank-payee_inn")).to_have_attribute("aria-invalid", "true")
        page.get_by_test_id("bank-form").scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        page.screenshot(path=str(SHOTS / "owner-finance-bank-error-1280.png"))
        page.get_by_test_id("bank-payee_inn").fill(BANK["payee_inn"])
        expect(error).to_have_count(0)
        page.get_by_test_id("bank-save").click()
        on_file = page.get_by_test_id("bank-on-file")
        expect(on_file).to_contain_text("•••• 2345")
        expect(on_file).not_to_contain_text(BANK["bank_account"])
        expect(page.get_by_text("Реквизиты сохранены")).to_be_visible()

        with page.expect_download() as download:
            page.get_by_test_id("finance-xlsx").click()
        path = tmp_path / "operations.xlsx"
        download.value.save_as(path)
        cells = [str(c.value) for row in load_workbook(path).active.iter_rows() for c in row if c.value is not None]
        assert sum("Бронь завершена" in c for c in cells) == 2, cells

        # The 1st of the month: last month's statement, sent to the bank.
        payout_id = run_owner_payout(world["owner_id"], last_month())
        page.reload()
        statement = page.get_by_test_id("statement")
        expect(statement).to_have_count(1)
        expect(statement).to_contain_text("Отправлена в банк")
        expect(statement).to_contain_text(share)
        expect(page.get_by_test_id("finance-in-transit-value")).to_have_text(share)
        expect(page.get_by_test_id("finance-available-value")).to_have_text(format_money(0))
        _shot(page, "owner-finance-1280.png")
        with page.expect_download() as download:
            statement.get_by_test_id("statement-pdf").click()
        assert download.value.suggested_filename.startswith("payout-")
        pdf = download.value.path().read_bytes()
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace("\xa0", " ")
        assert "2 100,00" in text and "•••• 2345" in text and str(done) in text, (payout_id, text)
    finally:
        context.close()

    context, page = new_page(browser, 390, 844)
    try:
        ui_login(page, app_url, world["owner_email"], OWNER_PASSWORD, "/owner/finance")
        # On a phone the lines are a list (the table is for wider screens): the payout is one too.
        compact = page.get_by_test_id("finance-line-compact")
        expect(compact).to_have_count(5)
        expect(compact.first).to_be_visible()
        expect(page.get_by_test_id("finance-line").first).to_be_hidden()
        expect(compact.filter(has_text="Выплата")).to_contain_text("−" + share)
        expect(page.get_by_test_id("statement")).to_have_count(1)
        assert_no_horizontal_scroll(page, 390)
        _shot(page, "owner-finance-390.png")
        page.get_by_test_id("bank-edit").click()
        expect(page.get_by_test_id("bank-form")).to_be_visible()
        page.get_by_test_id("bank-form").scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        page.screenshot(path=str(SHOTS / "owner-finance-bank-form-390.png"))
        assert_no_horizontal_scroll(page, 390)
    finally:
        context.close()
