"""A company with an unpaid weekly invoice, through the API as its admin and members do it
(tests of paying invoices: tests/api/test_api_invoice_card.py, the provider contract)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from coworking_app.services.finance import invoices
from coworking_app.uow import UnitOfWork, run_use_case
from models import User
from tests.booking_auth import signed_in
from tests.booking_helpers import body, in_days, local

API = "/api/v1"
MSK = ZoneInfo("Europe/Moscow")


@dataclass
class Invoiced:
    company_id: int
    admin_id: int
    admin: dict  # the admin's headers
    member_id: int
    member: dict  # a member's headers (booked on account, may not pay invoices)
    invoice_id: int
    number: int
    amount: int
    bookings: list[int]


def email_of(user_id: int) -> str:
    with UnitOfWork() as uow:
        return uow.session.get(User, user_id).email


def _monday_after_next_week() -> tuple:
    today = datetime.now(MSK).date()
    monday = today - timedelta(days=today.weekday())
    return monday, datetime.combine(monday + timedelta(days=7), time(1, 0), tzinfo=MSK).astimezone(timezone.utc)


def company_with_invoice(client, space, *, days=(2, 3)) -> Invoiced:
    """A new company (its own admin), a member who books `days` ahead on its account, and the
    week's invoice issued as next Monday's job would."""
    admin_id, admin = signed_in("renter")
    r = client.post(f"{API}/companies", headers=admin, json={
        "name": "ООО «Ромашка»", "inn": "7709123453", "kpp": "770901001",
        "address": "101000, г. Москва, ул. Мясницкая, д. 2", "billing_email": "buh@romashka.example"})
    assert r.status_code == 201, r.text
    company_id = r.json()["id"]
    member_id, member = signed_in("renter")
    r = client.post(f"{API}/companies/{company_id}/invitations", headers=admin,
                    json={"email": email_of(member_id), "monthly_limit_minor": None})
    token = r.json()["link"].split("token=")[1]
    assert client.post(f"{API}/companies/invitations/accept", headers=member, json={"token": token}).status_code == 200
    bookings = []
    for offset in days:
        day = in_days(offset)
        r = client.post(f"{API}/bookings", headers=member, json=body(space.desk_id, local(day, 10), local(day, 12)))
        assert r.status_code == 201, r.text
        bookings.append(r.json()["id"])
        r = client.post(f"{API}/bookings/{bookings[-1]}/pay-on-account", headers=member,
                        json={"company_id": company_id})
        assert r.status_code == 200, r.text
    monday, issue_at = _monday_after_next_week()
    invoice = run_use_case(lambda s, fx: invoices.do_issue_invoice(s, fx, company_id, monday, now=issue_at))
    return Invoiced(company_id, admin_id, admin, member_id, member, invoice.id, invoice.number, invoice.amount_minor, bookings)
