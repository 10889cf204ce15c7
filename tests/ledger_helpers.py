"""Bookings made and paid through the services, and the ledger read back, for the finance
tests (tests/services/finance): what the journal says about a booking, counted from its
lines, next to what its payments hold."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select, text
from sqlmodel import Session

from coworking_app.services.booking import bookings as svc
from coworking_app.services.payments.checkout import do_complete_test_payment
from coworking_app.services.payments.payments import do_start_payment
from coworking_app.uow import run_use_case
from models import OwnerFinance, Payment, PaymentStatus, Space, User
from tests.uow_helpers import transaction


def book(renter_id: int, resource_id: int, start: datetime, end: datetime, seats: int = 1) -> int:
    """A new hold, made by the renter through the booking service."""
    request = svc.BookingRequest(resource_id=resource_id, start=start, end=end, seats=seats)
    return run_use_case(lambda s, fx: svc.do_create_booking(s, fx, s.get(User, renter_id), request).id)


def pay(renter_id: int, booking_id: int, *, now: datetime | None = None) -> int:
    """Pays what the booking owes now (the booking, or a change's balance) with the test
    provider: the payment's id."""
    payment = run_use_case(lambda s, _fx: do_start_payment(s, s.get(User, renter_id), booking_id, now=now))
    run_use_case(lambda s, fx: do_complete_test_payment(s, fx, s.get(User, renter_id), payment.id,
                                                        "succeeded", now=now))
    return payment.id


def set_space(space_id: int, **values) -> None:
    with transaction() as s:
        space = s.get(Space, space_id)
        for name, value in values.items():
            setattr(space, name, value)


def set_commission(owner_id: int, commission_bp: int | None) -> None:
    """What an admin would set for the owner (none: the settings' default)."""
    with transaction() as s:
        row = s.get(OwnerFinance, owner_id) or OwnerFinance(owner_id=owner_id)
        row.commission_bp = commission_bp
        s.add(row)


def booking_lines(session: Session, booking_id: int) -> dict[str, int]:
    """The sum of the lines of the booking's entries, by account code (zeros left out)."""
    rows = session.execute(text(
        "SELECT a.code, sum(l.amount_minor) FROM journal_line l "
        "JOIN journal_entry e ON e.id = l.entry_id JOIN ledger_account a ON a.id = l.account_id "
        "WHERE e.booking_id = :b GROUP BY a.code"), {"b": booking_id})
    return {code: int(total) for code, total in rows if total}


def line(lines: dict[str, int], prefix: str) -> int:
    """The booking's lines on accounts whose code starts with `prefix` (e.g. "cash:")."""
    return sum(amount for code, amount in lines.items() if code.startswith(prefix))


def held_by_payments(session: Session, booking_id: int) -> int:
    """What the booking's successful payments still hold: paid minus refunded."""
    return int(session.scalar(
        select(func.coalesce(func.sum(Payment.amount_minor - Payment.refunded_minor), 0))
        .where(Payment.booking_id == booking_id, Payment.status == PaymentStatus.succeeded.value)))


def kept_and_counted(session: Session, where: str = "true", params: dict | None = None) -> dict[str, tuple[int, int]]:
    """Accounts (filtered by `where` on ledger_account a) -> (kept balance, sum of lines)."""
    rows = session.execute(text(
        "SELECT a.code, a.balance_minor, coalesce((SELECT sum(l.amount_minor) FROM journal_line l "
        f"WHERE l.account_id = a.id), 0) FROM ledger_account a WHERE {where}"), params or {})
    return {code: (int(kept), int(counted)) for code, kept, counted in rows}


def totals_by_currency(session: Session) -> tuple[dict[str, int], dict[str, int]]:
    """(kept balances, journal lines) summed per currency over the whole ledger."""
    kept: dict[str, int] = defaultdict(int)
    for currency, total in session.execute(text(
            "SELECT currency, sum(balance_minor) FROM ledger_account GROUP BY currency")):
        kept[currency] = int(total)
    lines: dict[str, int] = defaultdict(int)
    for currency, total in session.execute(text(
            "SELECT currency, sum(amount_minor) FROM journal_line GROUP BY currency")):
        lines[currency] = int(total)
    return dict(kept), dict(lines)
