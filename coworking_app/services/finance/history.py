"""A renter's money history ("Платежи" in the cabinet): every payment and refund of the
person's bookings, and the penalties those bookings kept, filterable by period and kind and
exportable as xlsx (services/finance/exports.py).

Amounts are signed from the renter's side: a payment is money out (−), a refund money back
(+). A penalty moves no money by itself: it is the part of a payment the booking kept under
the space's policy, so it is listed (with the amount kept) but counts 0 in the totals.
Payments on a company's account are the renter's bookings too: they are listed with the
company as the method, though the company pays them by invoice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy import select
from sqlmodel import Session

from coworking_app.formatting import (
    DEFAULT_ZONE,
    PAYMENT_METHOD_LABELS,
    PAYMENT_PURPOSE_LABELS,
    PENALTY_KIND_LABELS,
    PENALTY_STATUS_LABELS,
    format_day,
    format_money,
    on_account_of,
)
from coworking_app.services.accounts.permissions import check_role
from coworking_app.services.finance.exports import OperationRow, PeriodFilter, write_operations_xlsx
from coworking_app.services.finance.ledger import ON_ACCOUNT
from models import Booking, Company, Payment, PaymentStatus, Penalty, Refund, Role, Space, User
from coworking_app.i18n import tr

LIMIT = 2000  # rows in one answer: years of a busy person's bookings


class OperationFilter(PeriodFilter):
    """What "Платежи" shows: a period of local days (both ends included) and a kind."""

    kind: Literal["payment", "refund", "penalty"] | None = None


@dataclass(frozen=True)
class RenterOperation:
    at: datetime
    kind: str  # payment | refund | penalty
    kind_label: str  # "Оплата брони", "Доплата за изменение", "Возврат", "Штраф за неявку"
    booking_id: int
    space: str
    amount_minor: int  # what the row is about, > 0
    signed_minor: int  # the money it moved for the renter: − paid, + refunded, 0 a penalty
    currency: str
    method: str  # "Банковская карта (Stripe)", "На счёт компании «Ромашка»", ...
    note: str  # a refund's reason, a penalty's status


def _method(provider: str, company: str | None) -> str:
    if provider == ON_ACCOUNT:
        return _sentence(on_account_of(company))
    return PAYMENT_METHOD_LABELS.get(provider, provider)


def renter_operations(session: Session, user: User | None, flt: OperationFilter, *,
                      zone: str = DEFAULT_ZONE) -> list[RenterOperation]:
    """The person's own operations, newest first (the period in `zone`'s local days)."""
    user = check_role(user, Role.renter, Role.owner, Role.operator, Role.admin)
    start, end = flt.bounds(zone)
    mine = (Booking.user_id == user.id,)
    out: list[RenterOperation] = []
    if flt.kind in (None, "payment"):
        for p, space, company in session.execute(
                select(Payment, Space.name, Company.name).join(Booking, Booking.id == Payment.booking_id)
                .join(Space, Space.id == Booking.space_id).outerjoin(Company, Company.id == Booking.company_id)
                .where(*mine, Payment.status == PaymentStatus.succeeded.value,
                       Payment.succeeded_at >= start, Payment.succeeded_at < end)
                .order_by(Payment.succeeded_at.desc()).limit(LIMIT)):
            out.append(RenterOperation(
                p.succeeded_at, "payment", PAYMENT_PURPOSE_LABELS.get(p.purpose, tr("Оплата брони")), p.booking_id,
                space, p.amount_minor, -p.amount_minor, p.currency, _method(p.provider, company), ""))
    if flt.kind in (None, "refund"):
        for r, provider, space, company in session.execute(
                select(Refund, Payment.provider, Space.name, Company.name)
                .join(Payment, Payment.id == Refund.payment_id).join(Booking, Booking.id == Refund.booking_id)
                .join(Space, Space.id == Booking.space_id).outerjoin(Company, Company.id == Booking.company_id)
                .where(*mine, Refund.status != "failed", Refund.created_at >= start, Refund.created_at < end)
                .order_by(Refund.created_at.desc()).limit(LIMIT)):
            out.append(RenterOperation(
                r.created_at, "refund", tr("Возврат"), r.booking_id, space, r.amount_minor, r.amount_minor,
                r.currency, _method(provider, company), _sentence(r.reason)))
    if flt.kind in (None, "penalty"):
        for f, space in session.execute(
                select(Penalty, Space.name).join(Booking, Booking.id == Penalty.booking_id)
                .join(Space, Space.id == Booking.space_id)
                .where(*mine, Penalty.created_at >= start, Penalty.created_at < end)
                .order_by(Penalty.created_at.desc()).limit(LIMIT)):
            note = tr("Удержан из оплаты") if f.status == "charged" else (
                f"{PENALTY_STATUS_LABELS[f.status]}: {f.waive_reason}" if f.waive_reason
                else PENALTY_STATUS_LABELS[f.status])
            out.append(RenterOperation(
                f.created_at, "penalty", PENALTY_KIND_LABELS[f.kind], f.booking_id, space, f.amount_minor, 0,
                f.currency, "", note))
    out.sort(key=lambda o: (o.at, o.booking_id), reverse=True)
    return out[:LIMIT]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else ""


def totals(operations: list[RenterOperation]) -> dict[str, tuple[int, int]]:
    """Per currency: (paid, refunded) in the list, both ≥ 0."""
    out: dict[str, tuple[int, int]] = {}
    for o in operations:
        paid, back = out.get(o.currency, (0, 0))
        if o.kind == "payment":
            paid += o.amount_minor
        elif o.kind == "refund":
            back += o.amount_minor
        out[o.currency] = (paid, back)
    return out


def renter_operations_xlsx(session: Session, user: User | None, flt: OperationFilter, *,
                           zone: str = DEFAULT_ZONE) -> bytes:
    """The same list as an Excel file (oldest first, as a statement reads)."""
    operations = renter_operations(session, user, flt, zone=zone)
    rows = []
    for o in reversed(operations):
        parts = [o.space, o.method, o.note]
        if o.kind == "penalty":
            parts.append(tr("сумма штрафа {format_money}", format_money=format_money(o.amount_minor, o.currency)))
        rows.append(OperationRow(at=o.at, kind=o.kind_label, description=" · ".join(p for p in parts if p),
                                 booking_id=o.booking_id, amount_minor=o.signed_minor, currency=o.currency))
    return write_operations_xlsx(rows, tr("Платежи и возвраты"), zone=zone, subtitle=_subtitle(flt, len(rows), zone))


def _subtitle(flt: OperationFilter, count: int, zone: str) -> str:
    period = (tr("за всё время") if not (flt.date_from or flt.date_to) else
              tr("с {day} по {day2}", day=_day(flt.date_from), day2=_day(flt.date_to)) if flt.date_from and flt.date_to else
              tr("с {day}", day=_day(flt.date_from)) if flt.date_from else tr("по {day}", day=_day(flt.date_to)))
    return (tr("Операций: {count}, {period}. Оплата — со знаком минус, возврат — плюс; штраф удержан из оплаты и в сумму не входит. Время — по часовому поясу {zone}.", count=count, period=period, zone=zone))


def _day(value: date | None) -> str:
    return format_day(value) if value else ""
