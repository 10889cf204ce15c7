"""A company's week through the API: the company is created (its ИНН checked), a member is
invited and joins, members book on account, the credit and monthly limits hold, the weekly
invoice is issued with its PDF, an overdue invoice stops booking on account, the payment is
recorded, and a refund after invoicing lowers the next invoice."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from coworking_app.services.common.errors import Conflict
from coworking_app.services.finance import companies, invoices, ledger
from coworking_app.uow import UnitOfWork, run_use_case
from models import Company, CompanyMember, User
from tests.booking_auth import signed_in
from tests.booking_helpers import body, in_days, local, make_bookable

API = "/api/v1"
MSK = ZoneInfo("Europe/Moscow")
COMPANY = {"name": "ООО «Ромашка»", "inn": "7709123453", "kpp": "770901001",
           "address": "101000, г. Москва, ул. Мясницкая, д. 2", "billing_email": "buh@romashka.example"}
DESK_2H = 60_000  # make_bookable(): 300 ₽ an hour


def email_of(user_id: int) -> str:
    with UnitOfWork() as uow:
        return uow.session.get(User, user_id).email


def book(client, headers, space, day_offset: int, hour: int = 10) -> int:
    day = in_days(day_offset)
    r = client.post(f"{API}/bookings", headers=headers, json=body(space.desk_id, local(day, hour), local(day, hour + 2)))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def this_monday_and_next() -> tuple:
    today = datetime.now(MSK).date()
    monday = today - timedelta(days=today.weekday())
    next_monday_0100 = datetime.combine(monday + timedelta(days=7), time(1, 0), tzinfo=MSK).astimezone(timezone.utc)
    return monday, next_monday_0100


@pytest.fixture()
def company(client):
    admin_id, admin = signed_in("renter")
    r = client.post(f"{API}/companies", headers=admin, json=COMPANY)
    assert r.status_code == 201, r.text
    return r.json(), admin_id, admin


def test_the_company_form_checks_inn_and_kpp(client):
    _, who = signed_in("renter")
    r = client.post(f"{API}/companies", headers=who, json={**COMPANY, "inn": "7709123454"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "inn"
    assert "контрольн" in r.json()["detail"][0]["msg"]
    r = client.post(f"{API}/companies", headers=who, json={**COMPANY, "kpp": None})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "kpp"
    r = client.post(f"{API}/companies", headers=who, json={**COMPANY, "billing_email": "нет почты"})
    assert r.status_code == 422
    r = client.post(f"{API}/companies", json=COMPANY)
    assert r.status_code == 401
    r = client.post(f"{API}/companies", headers=who, json={**COMPANY, "inn": "500100732259", "kpp": None,
                                                           "name": "ИП Петров"})
    assert r.status_code == 201 and r.json()["kpp"] is None and r.json()["my_role"] == "admin"


def test_invitations_join_only_the_invited_address(client, company):
    data, admin_id, admin = company
    member_id, member = signed_in("renter")
    stranger_id, stranger = signed_in("renter")
    r = client.post(f"{API}/companies/{data['id']}/invitations", headers=admin,
                    json={"email": email_of(member_id), "monthly_limit_minor": 100_000})
    assert r.status_code == 201, r.text
    token = r.json()["link"].split("token=")[1]
    r = client.post(f"{API}/companies/{data['id']}/invitations", headers=admin, json={"email": email_of(member_id)})
    assert r.status_code == 409 and r.json()["detail"][0]["loc"][-1] == "email"
    r = client.post(f"{API}/companies/{data['id']}/invitations", headers=member, json={"email": "x@example.com"})
    assert r.status_code == 404  # not a member: the company does not exist for them
    assert client.post(f"{API}/companies/invitations/accept", headers=stranger, json={"token": token}).status_code == 403
    assert client.post(f"{API}/companies/invitations/accept", headers=member,
                       json={"token": token[:-2] + "zz"}).status_code == 404
    r = client.post(f"{API}/companies/invitations/accept", headers=member, json={"token": token})
    assert r.status_code == 200 and r.json()["my_role"] == "member"
    assert r.json()["members"] == []  # a member does not see the others
    r = client.post(f"{API}/companies/invitations/accept", headers=member, json={"token": token})
    assert r.status_code == 409
    seen = client.get(f"{API}/companies/{data['id']}", headers=admin).json()
    assert {m["user_id"]: m["monthly_limit_minor"] for m in seen["members"]} == {admin_id: None, member_id: 100_000}
    assert client.get(f"{API}/companies/{data['id']}", headers=stranger).status_code == 404


def join(client, data, admin, limit: int | None = None) -> tuple[int, dict]:
    member_id, member = signed_in("renter")
    r = client.post(f"{API}/companies/{data['id']}/invitations", headers=admin,
                    json={"email": email_of(member_id), "monthly_limit_minor": limit})
    token = r.json()["link"].split("token=")[1]
    assert client.post(f"{API}/companies/invitations/accept", headers=member, json={"token": token}).status_code == 200
    return member_id, member


def test_a_company_week(client, company):
    data, admin_id, admin = company
    space = make_bookable(vat_rate_bp=2000)
    member_id, member = join(client, data, admin, limit=2 * DESK_2H)
    other_id, other = join(client, data, admin)

    first = book(client, member, space, 2)
    r = client.post(f"{API}/bookings/{first}/pay-on-account", headers=member, json={"company_id": data["id"]})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "confirmed" and r.json()["paid"] == DESK_2H
    assert r.json()["company_id"] == data["id"]
    second = book(client, member, space, 3)
    assert client.post(f"{API}/bookings/{second}/pay-on-account", headers=member,
                       json={"company_id": data["id"]}).status_code == 200
    third = book(client, member, space, 4)
    r = client.post(f"{API}/bookings/{third}/pay-on-account", headers=member, json={"company_id": data["id"]})
    assert r.status_code == 409 and "месячный лимит" in r.text  # two bookings are the member's month
    theirs = book(client, other, space, 5)
    assert client.post(f"{API}/bookings/{theirs}/pay-on-account", headers=other,
                       json={"company_id": data["id"]}).status_code == 200
    stranger_id, stranger = signed_in("renter")
    alien = book(client, stranger, space, 6)
    assert client.post(f"{API}/bookings/{alien}/pay-on-account", headers=stranger,
                       json={"company_id": data["id"]}).status_code == 404

    # The company's admin sees every member's bookings; a member only their own.
    assert {b["id"] for b in client.get(f"{API}/companies/{data['id']}/bookings", headers=admin).json()} == {
        first, second, theirs}
    assert {b["id"] for b in client.get(f"{API}/companies/{data['id']}/bookings", headers=other).json()} == {theirs}
    seen = client.get(f"{API}/companies/{data['id']}", headers=admin).json()
    assert seen["unbilled_minor"] == 3 * DESK_2H

    # The credit limit: an admin of the network lowers it below what is owed.
    network_admin_id, network_admin = signed_in("admin")
    r = client.put(f"{API}/admin/companies/{data['id']}/credit-limit", headers=network_admin,
                   json={"credit_limit_minor": 3 * DESK_2H + 100})
    assert r.status_code == 200
    assert client.put(f"{API}/admin/companies/{data['id']}/credit-limit", headers=admin,
                      json={"credit_limit_minor": 10**9}).status_code == 403
    fourth = book(client, other, space, 7)
    r = client.post(f"{API}/bookings/{fourth}/pay-on-account", headers=other, json={"company_id": data["id"]})
    assert r.status_code == 409 and "кредитного лимита" in r.text
    assert r.json()["detail"][0]["loc"][-1] == "company_id"

    # Monday 00:30: the week's invoice.
    monday, next_monday = this_monday_and_next()
    invoice = run_use_case(lambda s, fx: invoices.invoice_out(
        invoices.do_issue_invoice(s, fx, data["id"], monday, now=next_monday), s.get(Company, data["id"])))
    assert invoice.amount_minor == 3 * DESK_2H and invoice.vat_minor == 3 * 10_000
    assert run_use_case(lambda s, fx: invoices.do_issue_invoice(s, fx, data["id"], monday, now=next_monday)) is None
    listed = client.get(f"{API}/companies/{data['id']}/invoices", headers=admin).json()
    assert [i["number"] for i in listed] == [invoice.number]
    assert client.get(f"{API}/companies/{data['id']}/invoices", headers=other).status_code == 403
    pdf = client.get(f"{API}/invoices/{invoice.id}.pdf", headers=admin)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    text = text.replace("\xa0", " ").replace("\xa0", " ")
    for needle in (f"№ {invoice.number}", "ООО «Ромашка»", "7709123453", "1 800,00", "300,00",
                   "Одна тысяча восемьсот рублей 00 копеек", str(first), str(theirs)):
        assert needle in text, (needle, text)
    assert client.get(f"{API}/invoices/{invoice.id}.pdf", headers=other).status_code == 404

    # Unpaid past its due date: booking on account stops.
    late = datetime.combine(invoice.due_date + timedelta(days=1), time(12), tzinfo=MSK)
    with UnitOfWork() as uow:
        c = uow.session.get(Company, data["id"])
        c.credit_limit_minor = 10**8
        m = uow.session.get(CompanyMember, (data["id"], other_id))
        with pytest.raises(Conflict) as refused:
            companies.check_can_charge(uow.session, c, m, 100, "RUB", now=late)
        assert f"просрочен счёт № {invoice.number}" in refused.value.message
        uow.session.rollback()

    r = client.post(f"{API}/admin/finance/invoices/{invoice.id}/paid", headers=network_admin,
                    json={"payment_reference": "п/п 77"})
    assert r.status_code == 200 and r.json()["status"] == "paid"
    assert client.post(f"{API}/admin/finance/invoices/{invoice.id}/paid", headers=network_admin,
                       json={"payment_reference": "п/п 77"}).status_code == 409
    seen = client.get(f"{API}/companies/{data['id']}", headers=admin).json()
    assert (seen["unbilled_minor"], seen["invoiced_unpaid_minor"]) == (0, 0)

    # A cancellation after the invoice: the account owes the company; the next week has no invoice.
    r = client.post(f"{API}/bookings/{theirs}/cancel", headers=other, json={})
    assert r.status_code == 200, r.text
    seen = client.get(f"{API}/companies/{data['id']}", headers=admin).json()
    assert seen["unbilled_minor"] == -DESK_2H
    assert run_use_case(lambda s, fx: invoices.do_issue_invoice(
        s, fx, data["id"], monday + timedelta(days=7), now=next_monday + timedelta(days=7))) is None
    with UnitOfWork() as uow:
        assert ledger.ledger_check(uow.session).balanced

    # The account's history, on screen and in Excel.
    ops = client.get(f"{API}/companies/{data['id']}/operations", headers=admin).json()
    kinds = [op["kind"] for op in ops]
    assert kinds.count("payment") == 3 and {"invoice", "invoice_paid", "cancellation"} <= set(kinds)
    assert sum(op["amount_minor"] for op in ops) == -DESK_2H  # what the account owes now
    assert client.get(f"{API}/companies/{data['id']}/operations", headers=other).status_code == 403
    r = client.get(f"{API}/companies/{data['id']}/operations", headers=admin,
                   params={"date_from": "2026-12-10", "date_to": "2026-12-01"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "date_from"
    xlsx = client.get(f"{API}/companies/{data['id']}/operations.xlsx", headers=admin)
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any("Счёт №" in c for c in cells) and any("Отмена брони" in c for c in cells)
