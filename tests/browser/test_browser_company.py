"""Browser: a company account as people use it. A renter creates a company (a wrong ИНН is
answered by the field), invites a colleague, who opens the link signed out, signs in, comes
back to the invitation and accepts it; the colleague books on the company's account from the
space's booking panel and sees the booking paid; a monthly limit set by the admin refuses the
next one with its message (in the panel, on the checkout page and from the booking's card);
the admin sees the booking among the company's; cancelled late, the booking shows the penalty
kept; the colleague's "Платежи" lists the payment with the company as the method and the
penalty; the week's invoice, overdue, is paid by card by the company's admin (the test
provider's page and back). Screenshots at 1280 and 390 px."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect

from coworking_app.demo.seed import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD
from tests.e2e_fixtures import (
    SHOTS,
    api_login,
    api_sign_up,
    e2e_python,
    needs_chromium,
    ui_login,
)
from tests.browser.test_browser_walk import shoot as _shoot

pytestmark = needs_chromium
PASSWORD = "Correct-Horse-42"
API = "/api/v1"
ALL_DAYS = {d: {"open": "00:00", "close": "00:00"} for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture(scope="module")
def space(app_url):
    """A demo owner's published space no other module books, open round the clock, instant,
    strict (a cancellation within 48 hours keeps the whole price: a penalty)."""
    owner = api_login(app_url, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
    spaces = [s for s in httpx.get(f"{app_url}{API}/owner/spaces", headers=owner, timeout=20).json()
              if s["status"] == "published"]
    chosen = spaces[3 % len(spaces)]
    r = httpx.patch(f"{app_url}{API}/spaces/{chosen['id']}", headers=owner, timeout=20,
                    json={"opening_hours": ALL_DAYS, "instant_book": True, "cancellation_policy": "strict"})
    assert r.status_code == 200, r.text
    return httpx.get(f"{app_url}{API}/spaces/{chosen['id']}", timeout=20).json()


def _person(base: str, name: str) -> tuple[str, dict]:
    email = f"co-{uuid.uuid4().hex[:8]}@example.com"
    return email, api_sign_up(base, email, PASSWORD, name, role="renter")


def _hold(base: str, auth: dict, space: dict) -> int:
    """A booking waiting for its payment, the day after tomorrow at 10:00 in the space's zone."""
    zone = ZoneInfo(space["timezone"])
    day = datetime.now(zone).date() + timedelta(days=2)
    start = datetime(day.year, day.month, day.day, 10, tzinfo=zone)
    desk = next((r for r in space["resources"] if r["kind"] == "hot_desk"), space["resources"][0])
    r = httpx.post(f"{base}{API}/bookings", headers=auth, timeout=20, json={
        "resource_id": desk["id"], "start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat(),
        "seats": 1})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _overdue_invoice(company_id: int) -> int:
    """What Monday 00:30 does (the week's invoice), then the due date moved to yesterday; its number."""
    number = e2e_python(
        "from datetime import datetime, time, timedelta\n"
        "from zoneinfo import ZoneInfo\n"
        "from sqlalchemy import update\n"
        "from coworking_app.services.finance import invoices\n"
        "from coworking_app.uow import run_use_case\n"
        "from models import Invoice\n"
        "zone = ZoneInfo('Europe/Moscow')\n"
        "today = datetime.now(zone).date()\n"
        "monday = today - timedelta(days=today.weekday())\n"
        "after = datetime.combine(monday + timedelta(days=7), time(1), tzinfo=zone)\n"
        "def work(s, fx):\n"
        f"    invoice = invoices.do_issue_invoice(s, fx, {company_id}, monday, now=after)\n"
        "    s.execute(update(Invoice).where(Invoice.id == invoice.id).values(due_date=today - timedelta(days=1)))\n"
        "    return invoice.number\n"
        "print(run_use_case(work))")
    return int(number)


def _fill(page, test_id: str, value: str) -> None:
    page.get_by_test_id(test_id).fill(value)


def _context(browser, width: int, height: int):
    """A Russian browser that lets the test inject axe-core (as the walk does)."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="ru-RU", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    return context, page


def test_a_company_books_on_account(app_url, browser, space):
    admin_email, _admin = _person(app_url, "Анна Бухова")
    member_email, member_api = _person(app_url, "Пётр Сотрудников")
    admin_ctx, admin = _context(browser, 1280, 900)
    member_ctx, member = _context(browser, 390, 844)
    problems: list[str] = []
    try:
        # --- the admin creates the company --------------------------------------------------
        ui_login(admin, app_url, admin_email, PASSWORD, "/cabinet/company")
        expect(admin.get_by_test_id("company-new")).to_be_visible()
        expect(admin.get_by_test_id("company-create")).to_be_enabled()
        _fill(admin, "company-name", "ООО «Ромашка»")
        _fill(admin, "company-inn", "7709123454")  # the check digit is wrong
        _fill(admin, "company-kpp", "770901001")
        _fill(admin, "company-address", "101000, г. Москва, ул. Мясницкая, д. 2")
        _fill(admin, "company-billing_email", "buh@romashka.example")
        admin.get_by_test_id("company-create").click()
        expect(admin.get_by_test_id("error-inn")).to_have_text("ИНН с неверным контрольным числом: проверьте цифры")
        expect(admin.get_by_test_id("company-inn")).to_have_attribute("aria-invalid", "true")
        _shoot(admin, "company-new", 1280, problems)
        _shoot(admin, "company-new", 390, problems)
        _fill(admin, "company-inn", "7709123453")
        expect(admin.get_by_test_id("error-inn")).to_have_count(0)  # gone once the field changes
        admin.get_by_test_id("company-create").click()
        expect(admin.get_by_test_id("company-title")).to_have_text("ООО «Ромашка»")
        expect(admin.get_by_test_id("company-inn-shown")).to_have_text("7709123453")
        expect(admin.get_by_test_id("company-kpp-shown")).to_have_text("770901001")
        expect(admin.get_by_test_id("company-available")).to_have_text("50 000 ₽")
        expect(admin.get_by_test_id("company-member")).to_have_count(1)

        # --- and invites a colleague ---------------------------------------------------------
        _fill(admin, "invite-email", member_email)
        admin.get_by_test_id("invite-submit").click()
        link = admin.get_by_test_id("invite-link")
        expect(link).to_have_value(re.compile(r"/company/join\?token=\d+-"))
        token = link.input_value().split("token=")[1]
        expect(admin.get_by_test_id("invitation-status").first).to_have_text("Ждёт ответа")

        # --- the colleague opens the link signed out: sign-in, and back to the invitation --------
        member.goto(f"{app_url}/company/join?token={token}")
        member.wait_for_url(lambda url: "/login?next=" in url)
        expect(member.get_by_test_id("login-submit")).to_be_enabled(timeout=60_000)
        member.get_by_test_id("login-email").fill(member_email)
        member.get_by_test_id("login-password").fill(PASSWORD)
        member.get_by_test_id("login-submit").click()
        member.wait_for_url(lambda url: "/company/join" in url and "token=" in url)
        expect(member.get_by_test_id("join-title")).to_have_text("Приглашение в компанию ООО «Ромашка»")
        _shoot(member, "company-join", 390, problems)
        _shoot(member, "company-join", 1280, problems)
        member.get_by_test_id("join-accept").click()
        member.wait_for_url(lambda url: "/cabinet/company?company=" in url)
        expect(member.get_by_test_id("company-title")).to_have_text("ООО «Ромашка»")
        expect(member.get_by_test_id("company-people")).to_have_count(0)  # members do not manage people

        # --- the colleague books on the company's account from the space's panel -----------------
        member.set_viewport_size({"width": 1280, "height": 900})
        member.goto(f"{app_url}/spaces/{space['id']}")
        panel = member.get_by_test_id("booking-panel")
        expect(panel.get_by_test_id("book-payer")).to_be_visible()
        expect(member.get_by_test_id("book-total")).not_to_be_empty()
        company_id = member.locator("[data-payer]:not([data-payer=card])").first.get_attribute("data-payer")
        member.locator(f"[data-payer='{company_id}']").click()
        expect(member.get_by_test_id("book-submit")).to_have_text("Забронировать на счёт компании")
        SHOTS.mkdir(parents=True, exist_ok=True)
        panel.screenshot(path=str(SHOTS / "booking-panel-on-account-1280.png"))
        member.get_by_test_id("book-submit").click()
        member.wait_for_url(lambda url: "/cabinet/bookings?paid=" in url)
        booking_id = member.url.split("paid=")[1].split("&")[0]
        expect(member.get_by_test_id("bookings-message")).to_have_text(
            f"Бронь № {booking_id} оплачена на счёт компании — картой платить не нужно.")
        card = member.locator(f"[data-testid=booking-card][data-booking='{booking_id}']")
        expect(card.get_by_test_id("booking-status")).to_have_text("подтверждено")
        expect(card.get_by_test_id("booking-on-account")).to_have_text("на счёт компании ООО «Ромашка»")
        _shoot(member, "company-bookings", 390, problems)

        # --- the admin sees it; sets the colleague a monthly limit of 1 ₽ ----------------------------
        admin.reload()
        booking_row = admin.locator(f"[data-testid=company-booking][data-booking='{booking_id}']")
        expect(booking_row).to_contain_text("Пётр Сотрудников")
        expect(admin.get_by_test_id("invitation-status").first).to_have_text("Принято")
        colleague = admin.get_by_test_id("company-member").filter(has_text="Пётр Сотрудников")
        colleague.get_by_test_id("member-edit").click()
        admin.get_by_test_id("member-limit").fill("1")
        admin.get_by_test_id("member-save").click()
        expect(colleague).to_contain_text("1 ₽")
        expect(colleague.get_by_test_id("member-spent")).not_to_have_text("0 ₽")
        _shoot(admin, "company-admin", 1280, problems)
        _shoot(admin, "company-admin", 390, problems)

        # --- the next booking on account is refused by the limit, with its message ----------------
        member.goto(f"{app_url}/spaces/{space['id']}")
        expect(member.get_by_test_id("book-total")).not_to_be_empty()
        member.locator(f"[data-payer='{company_id}']").click()
        member.get_by_test_id("book-submit").click()
        expect(member.get_by_test_id("book-error")).to_contain_text("Превышен ваш месячный лимит")

        # ... on the checkout page, and from the booking's card in "Мои брони"
        held = _hold(app_url, member_api, space)
        payment_id = httpx.post(f"{app_url}{API}/bookings/{held}/pay", headers=member_api, timeout=20).json()[
            "payment_id"]
        member.goto(f"{app_url}/checkout/{payment_id}")
        expect(member.get_by_test_id("checkout-pay-account")).to_have_text("Оплатить на счёт компании ООО «Ромашка»")
        _shoot(member, "checkout-on-account", 390, problems)
        _shoot(member, "checkout-on-account", 1280, problems)
        member.get_by_test_id("checkout-pay-account").click()
        expect(member.get_by_role("alert").filter(has_text="Превышен ваш месячный лимит")).to_be_visible()
        member.goto(f"{app_url}/cabinet/bookings")
        card = member.locator(f"[data-testid=booking-card][data-booking='{held}']")
        card.get_by_test_id("booking-pay-account").click()
        member.get_by_test_id("account-confirm").click()
        expect(member.get_by_test_id("account-error")).to_contain_text("Превышен ваш месячный лимит на счёт компании: осталось 0 ₽")
        _shoot(member, "bookings-account-dialog", 390, problems)
        member.keyboard.press("Escape")

        # --- cancelled within 48 hours: the price is kept, the card says so -------------------------
        r = httpx.post(f"{app_url}{API}/bookings/{booking_id}/cancel", headers=member_api, json={}, timeout=20)
        assert r.status_code == 200, r.text
        member.goto(f"{app_url}/cabinet/bookings")
        expect(member.get_by_role("link", name="Войти")).to_have_count(0)  # the page is live: signed in
        member.get_by_role("tab", name="Отменённые").click()
        expect(member.get_by_role("tab", name="Отменённые")).to_have_attribute("aria-selected", "true")
        card = member.locator(f"[data-testid=booking-card][data-booking='{booking_id}']")
        expect(card.get_by_test_id("booking-penalty")).to_have_text(re.compile(r"^Штраф за позднюю отмену: \d"))
        expect(card.get_by_test_id("booking-on-account")).to_be_visible()
        _shoot(member, "bookings-penalty", 390, problems)

        # --- "Платежи": the payment (the company as the method) and the penalty ------------------
        member.goto(f"{app_url}/cabinet/payments")
        payment = member.locator("[data-testid=operation][data-kind=payment]")
        expect(payment).to_contain_text(f"Бронь № {booking_id}")
        expect(payment).to_contain_text("На счёт компании ООО «Ромашка»")
        expect(member.locator("[data-testid=operation][data-kind=penalty]")).to_contain_text("удержано")
        expect(member.get_by_test_id("operation")).to_have_count(2)
        with member.expect_download() as download:
            member.get_by_test_id("payments-export").click()
        assert download.value.suggested_filename == "payments.xlsx"
        _shoot(member, "payments", 1280, problems)
        _shoot(member, "payments", 390, problems)

        # --- the week's invoice, left unpaid past its due date: the admin is warned ----------------
        number = _overdue_invoice(int(company_id))
        admin.reload()
        expect(admin.get_by_test_id("company-overdue")).to_contain_text("У компании просрочен счёт")
        invoice = admin.get_by_test_id("company-invoice")
        expect(invoice).to_contain_text(f"Счёт № {number}")
        expect(invoice.get_by_test_id("invoice-status")).to_have_text("Просрочен")
        with admin.expect_download() as download:
            invoice.get_by_role("button", name=f"Счёт № {number} в PDF").click()
        assert download.value.suggested_filename == f"invoice-{number:06d}.pdf"
        _shoot(admin, "company-overdue", 1280, problems)

        # --- the admin pays it by card: the provider's page, then back with the invoice paid ------
        invoice.get_by_role("button", name=f"Оплатить картой счёт № {number}").click()
        admin.wait_for_url(re.compile(r"/checkout/invoice/\d+$"))
        expect(admin.get_by_role("heading", name=f"Оплата счёта № {number}")).to_be_visible()
        expect(admin.get_by_test_id("invoice-checkout-company")).to_have_text("ООО «Ромашка»")
        _shoot(admin, "invoice-checkout", 1280, problems)
        _shoot(admin, "invoice-checkout", 390, problems)
        admin.get_by_test_id("invoice-checkout-pay").click()
        admin.wait_for_url(re.compile(r"/cabinet/company\?company=\d+&paid_invoice=\d+$"))
        expect(admin.get_by_test_id("invoice-pay-note")).to_contain_text(f"Счёт № {number} оплачен картой")
        expect(admin.get_by_test_id("company-invoice").get_by_test_id("invoice-status")).to_have_text("Оплачен")
        expect(admin.get_by_test_id("invoice-pay-card")).to_have_count(0)
        expect(admin.get_by_test_id("company-overdue")).to_have_count(0)
        _shoot(admin, "company-invoice-paid", 1280, problems)
        assert not problems, "\n".join(problems)
    finally:
        admin_ctx.close()
        member_ctx.close()
