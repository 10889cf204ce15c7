"""Demo money (`seed-demo`): last month's stays of demo guests at owner@demo's first space,
paid and completed through the ledger, that month's payout sent, bank details on file; and a
company for the demo renter, so /owner/finance, /admin/finance and /cabinet/company show a
working month, not empty pages; the company has last week's invoice to pay. Idempotent:
once per database."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.services.accounts.identity import find_user_by_email
from coworking_app.services.finance import invoices, ledger, payouts
from models import Booking, Company, CompanyMember, OwnerFinance, Payment, Resource, Space, User

DEMO_COMPANY = {"name": "ООО «Демо Софт»", "inn": "7723456782", "kpp": "772301001",
                "address": "125009, г. Москва, ул. Тверская, д. 7, офис 12", "billing_email": "buh@demo-soft.example"}
DEMO_OWNER = "owner@demo.cospace.ru"
DEMO_BANK = {"payee_name": "ООО «Коворкинги Демо»", "payee_inn": "7709123453", "bank_name": "АО «Тестовый банк»",
             "bank_bik": "044525974", "bank_account": "40702810500000012345",
             "bank_corr_account": "30101810145250000974"}


def seed_demo_finance(session: Session, effects: Effects, *, now: datetime | None = None) -> int:
    """Returns how many demo stays it paid and completed (0 when seeded before)."""
    if session.scalar(select(Company.id).where(Company.inn == DEMO_COMPANY["inn"])) is not None:
        return 0
    now = now or datetime.now(timezone.utc)
    renter = find_user_by_email(session, "renter@demo.cospace.ru")
    owner = find_user_by_email(session, DEMO_OWNER)
    if renter is not None:
        company = Company(**DEMO_COMPANY, created_by=renter.id, credit_limit_minor=5_000_000)
        session.add(company)
        session.flush()
        session.add(CompanyMember(company_id=company.id, user_id=renter.id, role="admin"))
    if owner is None:
        return 0
    session.merge(OwnerFinance(owner_id=owner.id, **DEMO_BANK))
    space = session.scalars(select(Space).where(Space.owner_id == owner.id, Space.status == "published")
                            .order_by(Space.id)).first()
    resource = session.scalars(select(Resource).where(Resource.space_id == space.id, Resource.kind == "hot_desk")
                               .order_by(Resource.id)).first() if space else None
    guests = list(session.scalars(select(User).where(User.email.like("guest%@demo.cospace.ru")).order_by(User.id)))
    if resource is None or not guests:
        return 0
    zone = ZoneInfo(space.timezone)
    last_month = payouts.previous_month(now)
    rnd = random.Random("demo-finance")
    stays = 0
    for n in range(8):
        day = last_month + timedelta(days=2 + 3 * n)
        start = datetime.combine(day, time(rnd.choice([9, 10, 13])), tzinfo=zone)
        hours = rnd.choice([3, 4, 8])
        total = rnd.choice([45_000, 60_000, 90_000, 120_000])
        paid_at = start - timedelta(days=2)
        booking = Booking(user_id=rnd.choice(guests).id, space_id=space.id, resource_id=resource.id,
                          start_at=start, end_at=start + timedelta(hours=hours), seats=1, status="confirmed",
                          timezone=space.timezone, currency=space.currency, policy=space.cancellation_policy,
                          price={"total": total, "vat": 0, "vat_rate_bp": 0, "vat_included": True,
                                 "lines": [{"label": f"Рабочее место, {hours} ч", "amount": total}]},
                          total_minor=total, paid_minor=total, created_at=paid_at)
        session.add(booking)
        session.flush()
        session.add(Payment(booking_id=booking.id, provider="test", idempotency_key=f"demo-finance-{booking.id}",
                            amount_minor=total, currency=booking.currency, status="succeeded",
                            succeeded_at=paid_at, provider_payment_id=f"test_pi_demo_{booking.id}"))
        session.flush()
        ledger.do_post_booking(session, effects, booking, "payment", effective_at=paid_at)
        booking.status = "completed"
        ledger.do_post_booking(session, effects, booking, "completion", effective_at=booking.end_at)
        stays += 1
    payouts.do_run_owner_payout(session, effects, owner.id, space.currency, last_month, now=now)
    if renter is not None:
        _demo_invoice(session, effects, company, renter, resource, space, now)
    return stays


def _demo_invoice(session: Session, effects: Effects, company: Company, renter: User, resource: Resource,
                  space: Space, now: datetime) -> None:
    """Two of last week's days of the demo renter on the company's account, and the week's
    invoice, unpaid: /cabinet/company shows it with "Оплатить картой"."""
    zone = ZoneInfo(company.timezone)
    monday = invoices.week_before(company, now)[0]
    for offset, total in ((1, 120_000), (3, 90_000)):
        start = datetime.combine(monday + timedelta(days=offset), time(10), tzinfo=ZoneInfo(space.timezone))
        booking = Booking(user_id=renter.id, space_id=space.id, resource_id=resource.id, company_id=company.id,
                          start_at=start, end_at=start + timedelta(hours=6), seats=1, status="confirmed",
                          timezone=space.timezone, currency=space.currency, policy=space.cancellation_policy,
                          price={"total": total, "vat": 0, "vat_rate_bp": 0, "vat_included": True,
                                 "lines": [{"label": "Рабочее место, 6 ч", "amount": total}]},
                          total_minor=total, paid_minor=total, created_at=start - timedelta(days=1))
        session.add(booking)
        session.flush()
        session.add(Payment(booking_id=booking.id, provider=ledger.ON_ACCOUNT, idempotency_key=f"demo-account-{booking.id}",
                            amount_minor=total, currency=booking.currency, status="succeeded",
                            succeeded_at=booking.created_at))
        session.flush()
        ledger.do_post_booking(session, effects, booking, "payment", effective_at=booking.created_at)
        if booking.end_at < now:
            booking.status = "completed"
            ledger.do_post_booking(session, effects, booking, "completion", effective_at=booking.end_at)
    issue_at = datetime.combine(monday + timedelta(days=7), time(0, 30), tzinfo=zone)
    invoices.do_issue_invoice(session, effects, company.id, monday, now=issue_at.astimezone(timezone.utc))
