"""Browser test of /admin/finance: an admin sees the ledger balanced, runs last month's payouts
(the worker's part played by the test), marks an owner's payout paid with the bank's
reference, waives a no-show fee with a reason and sets an owner's commission; an operator on
a phone sees the same tables without the buttons. Screenshots in var/screenshots."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from playwright.sync_api import expect

from coworking_app.formatting import format_money
from tests.e2e_fixtures import (
    SHOTS,
    _run,
    api_login,
    assert_no_horizontal_scroll,
    needs_chromium,
    new_page,
    ui_login,
)
from tests.finance_e2e import (
    API,
    BANK,
    OWNER_PASSWORD,
    OWNER_SHARE,
    PRICE,
    complete_past_stays,
    last_month,
    owner_with_stays,
    run_payouts_job,
)

pytestmark = needs_chromium
ADMIN = ("finance-admin-e2e@demo.cospace.ru", "Admin-Pass-2026-e2e")
OPERATOR = ("finance-operator-e2e@demo.cospace.ru", "Operator-Pass-2026-e2e")


def _shot(page, name: str, full: bool = True) -> None:
    page.wait_for_timeout(400)  # toasts and spinners settle
    page.screenshot(path=str(SHOTS / name), full_page=full)


def test_admin_runs_payouts_marks_one_paid_and_waives_a_penalty(app_url, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    _run("-m", "coworking_app.cli", "create-admin", "--email", ADMIN[0], "--password", ADMIN[1], "--name", "Анна Админ")
    _run("-m", "coworking_app.cli", "create-operator", "--email", OPERATOR[0], "--password", OPERATOR[1],
         "--name", "Ольга Оператор")
    start = last_month()
    world = owner_with_stays(app_url, f"Коворкинг «Выплаты {uuid.uuid4().hex[:6]}»",
                             [start + timedelta(days=2), start + timedelta(days=9)])
    stayed, missed = world["bookings"]
    owner = api_login(app_url, world["owner_email"], OWNER_PASSWORD)
    assert httpx.put(f"{app_url}{API}/owner/finance/bank-details", headers=owner, json=BANK,
                     timeout=20).status_code == 200
    r = httpx.post(f"{app_url}{API}/bookings/{missed}/no-show", headers=owner, timeout=20)
    assert r.status_code == 200, r.text
    complete_past_stays(world["space_id"])
    # Last month's statement: the completed stay (the no-show, marked today, is this month's).
    amount = format_money(OWNER_SHARE)

    context, page = new_page(browser, 1280, 900)
    try:
        ui_login(page, app_url, *ADMIN, "/admin/finance")
        expect(page.get_by_test_id("admin-nav").get_by_role("link", name="Финансы")).to_be_visible()
        expect(page.get_by_test_id("ledger-balanced")).to_be_visible()
        expect(page.get_by_test_id("payout-run-month")).to_contain_text(str(start.year))
        page.get_by_test_id("payout-run").click()
        expect(page.get_by_text("поставлены в очередь")).to_be_visible()
        run_payouts_job(start)  # the worker takes the queued run
        page.get_by_test_id("payout-refresh").click()
        row = page.get_by_test_id("payout-row").filter(has_text=world["owner_email"])
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Отправлена в банк")
        expect(row).to_contain_text(amount)
        expect(row).to_contain_text("•••• 2345")

        row.get_by_test_id("payout-paid").click()
        dialog = page.get_by_test_id("payout-dialog")
        expect(dialog).to_contain_text(amount)
        page.get_by_test_id("payout-dialog-confirm").click()
        expect(page.get_by_test_id("payout-dialog-error")).to_contain_text("Укажите номер платёжного поручения")
        expect(page.get_by_test_id("payout-dialog-text")).to_have_attribute("aria-invalid", "true")
        page.get_by_test_id("payout-dialog-text").fill("п/п № 4512 от 02.12")
        _shot(page, "admin-finance-paid-dialog-1280.png", full=False)
        page.get_by_test_id("payout-dialog-confirm").click()
        expect(dialog).to_have_count(0)
        expect(row).to_contain_text("Выплачена")
        expect(row).to_contain_text("п/п № 4512 от 02.12")
        expect(row.get_by_test_id("payout-paid")).to_have_count(0)
        _shot(page, "admin-finance-payouts-1280.png")

        page.get_by_test_id("tab-penalties").click()
        penalty = page.get_by_test_id("penalty-row").filter(has_text=f"№ {missed}")
        expect(penalty).to_contain_text("Штраф за неявку")
        expect(penalty).to_contain_text(format_money(PRICE))
        penalty.get_by_test_id("penalty-waive").click()
        page.get_by_test_id("waive-confirm").click()
        expect(page.get_by_test_id("waive-error")).to_contain_text("Укажите причину")
        page.get_by_test_id("waive-reason").fill("Метро закрыли, гость не смог доехать")
        _shot(page, "admin-finance-waive-dialog-1280.png", full=False)
        page.get_by_test_id("waive-confirm").click()
        expect(page.get_by_test_id("waive-dialog")).to_have_count(0)
        expect(penalty.get_by_test_id("penalty-status")).to_have_text("Отменён")
        expect(penalty).to_contain_text("Метро закрыли")
        expect(penalty.get_by_test_id("penalty-waive")).to_have_count(0)
        _shot(page, "admin-finance-penalties-1280.png")

        page.get_by_test_id("tab-commission").click()
        page.get_by_test_id("commission-owner").fill(world["owner_email"])
        page.get_by_test_id("commission-percent").fill("101")
        page.get_by_test_id("commission-save").click()
        expect(page.get_by_test_id("commission-error")).to_contain_text("от 0 до 100")
        page.get_by_test_id("commission-percent").fill("12,5")
        page.get_by_test_id("commission-save").click()
        expect(page.get_by_test_id("commission-result")).to_contain_text("12,5 %")
        assert httpx.get(f"{app_url}{API}/owner/finance", headers=owner, timeout=20).json()["commission_bp"] == 1250
        page.get_by_test_id("ledger-check").click()
        expect(page.get_by_test_id("ledger-balanced")).to_be_visible()

        # Companies' invoices and the demo company's credit limit; the reconciliation.
        page.get_by_test_id("tab-invoices").click()
        demo = page.get_by_test_id("company-row").filter(has_text="ООО «Демо Софт»")
        expect(demo).to_contain_text("50 000")
        demo.get_by_role("button", name="Изменить лимит").click()
        page.get_by_test_id("limit-input").fill("много")
        page.get_by_role("button", name="Сохранить").click()
        expect(page.get_by_role("alert").filter(has_text="Укажите лимит в рублях")).to_be_visible()
        page.get_by_test_id("limit-input").fill("80000")
        page.get_by_role("button", name="Сохранить").click()
        expect(demo).to_contain_text("80 000")
        _shot(page, "admin-finance-invoices-1280.png")
        page.get_by_test_id("tab-reconciliation").click()
        page.get_by_test_id("recon-run-now").click()
        expect(page.get_by_text("Сверка запущена")).to_be_visible()
        _shot(page, "admin-finance-reconciliation-1280.png")
    finally:
        context.close()

    context, page = new_page(browser, 390, 844)
    try:
        ui_login(page, app_url, *OPERATOR, "/admin/finance")
        expect(page.get_by_test_id("finance-read-only")).to_be_visible()
        row = page.get_by_test_id("payout-row").filter(has_text=world["owner_email"])
        expect(row).to_contain_text("Выплачена")
        expect(page.get_by_test_id("payout-run")).to_have_count(0)
        expect(page.get_by_test_id("payout-paid")).to_have_count(0)
        assert_no_horizontal_scroll(page, 390)  # the tables scroll inside their own boxes
        _shot(page, "admin-finance-operator-390.png")
        page.get_by_test_id("tab-penalties").click()
        expect(page.get_by_test_id("penalty-row").first).to_be_visible()
        expect(page.get_by_test_id("penalty-waive")).to_have_count(0)
        assert_no_horizontal_scroll(page, 390)
        _shot(page, "admin-finance-penalties-390.png")
    finally:
        context.close()
