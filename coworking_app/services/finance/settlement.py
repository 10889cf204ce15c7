"""A company's invoice settled (docs/finance.md, "Paying an invoice"): by bank transfer,
which an admin records (invoices.do_record_invoice_payment), or by card online, when the
provider's money arrives (payments.do_payment_succeeded). Both go through `do_settle_invoice`:
the invoice is paid, the ledger moves the amount from the company's "to pay" account to the
cash it arrived in, and the company's admins are told.

A card payment is kept only when it pays exactly what the invoice asks and the invoice is
still unpaid; otherwise (paid meanwhile by transfer or by another card payment) it is
refunded in full by payments.py, and the ledger shows both the money in and the money back
(`do_post_unwanted`), so that the provider's cash still matches our payments row by row.

This module reads and writes no payment provider: payments.py calls it (and may, since it
imports nothing from payments)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.formatting import format_money
from coworking_app.services.finance import ledger
from coworking_app.services.messaging.notifications import do_notify
from coworking_app.services.payments.charge import RECEIPT_ITEMS_MAX, Charge, ReceiptItem
from models import (
    Booking,
    Channel,
    Company,
    CompanyMember,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    User,
)
from coworking_app.i18n import tr

CARD = "card"
BANK_TRANSFER = "bank_transfer"
COMPANY_PAGE = "/cabinet/company"


def tell_company_admins(session: Session, effects: Effects, company: Company, event: str, invoice: Invoice,
                        payload: dict) -> None:
    """In the company admins' notices, and one email to the company's billing address."""
    admins = list(session.scalars(select(User).join(CompanyMember, CompanyMember.user_id == User.id).where(
        CompanyMember.company_id == company.id, CompanyMember.role == "admin").order_by(User.id)))
    for admin in admins:
        do_notify(session, effects, admin, event, payload, dedupe=f"{event}:{invoice.id}:{invoice.reminded_at}",
                  channels=(Channel.in_app,))
    if admins:
        do_notify(session, effects, admins[0], event, {**payload, "mail_to": company.billing_email},
                  dedupe=f"{event}:{invoice.id}:{invoice.reminded_at}:billing", channels=(Channel.email,))


def do_settle_invoice(session: Session, effects: Effects, invoice: Invoice, *, method: str, reference: str,
                      cash: ledger.Acct, now: datetime, actor_id: int | None = None) -> None:
    """The (locked, unpaid) invoice is paid with money that arrived in `cash`."""
    company = session.get(Company, invoice.company_id)
    invoice.status, invoice.paid_at, invoice.paid_by = InvoiceStatus.paid.value, now, actor_id
    invoice.payment_method, invoice.payment_reference = method, reference[:120]
    ledger.do_post(session, effects, "invoice_paid", [
        (cash, invoice.amount_minor), (ledger.receivable(company.id, invoice.currency), -invoice.amount_minor)],
        effective_at=now, invoice_id=invoice.id, actor_id=actor_id, memo=reference)
    session.flush()
    tell_company_admins(session, effects, company, "invoice_paid", invoice, {
        "number": invoice.number, "amount": format_money(invoice.amount_minor, invoice.currency),
        "link": COMPANY_PAGE})


def do_settle_by_card(session: Session, effects: Effects, payment: Payment, *, now: datetime) -> bool:
    """The card payment of an invoice arrived: True when it settled the invoice; False when
    it is not wanted (the caller refunds it)."""
    invoice = session.get(Invoice, payment.invoice_id, with_for_update=True)
    if (invoice.status != InvoiceStatus.issued or payment.amount_minor != invoice.amount_minor
            or payment.currency != invoice.currency):
        return False
    do_settle_invoice(session, effects, invoice, method=CARD, reference=payment.provider_payment_id or str(payment.id),
                      cash=ledger.cash(payment.provider, payment.currency), now=now)
    return True


def do_post_unwanted(session: Session, effects: Effects, payment: Payment, *, now: datetime) -> None:
    """An invoice's card payment that settles nothing: in the ledger, the money came from the
    company (its "to pay" account goes below what it owes) and goes back to it with the
    refund that follows."""
    invoice = session.get(Invoice, payment.invoice_id)
    cash = ledger.cash(payment.provider, payment.currency)
    owed = ledger.receivable(invoice.company_id, payment.currency)
    memo = tr("счёт № {number}: оплата картой не нужна, возвращена", number=invoice.number)
    ledger.do_post(session, effects, "invoice_overpaid", [(cash, payment.amount_minor), (owed, -payment.amount_minor)],
                   effective_at=now, invoice_id=invoice.id, memo=memo)


def do_post_refund(session: Session, effects: Effects, payment: Payment, amount: int) -> None:
    """The refund of an invoice's card payment: the money leaves the provider's cash."""
    invoice = session.get(Invoice, payment.invoice_id)
    ledger.do_post(session, effects, "invoice_refund", [
        (ledger.cash(payment.provider, payment.currency), -amount),
        (ledger.receivable(invoice.company_id, payment.currency), amount)],
        invoice_id=invoice.id, memo=tr("счёт № {number}", number=invoice.number))


def invoice_charge(session: Session, payment: Payment) -> Charge:
    """What the provider's page and the 54-FZ receipt show for an invoice: one line per
    booking (at its VAT rate), or a single line when the invoice has refunds after an
    earlier one (negative lines) or more lines than a receipt may hold. The receipt goes to
    the company's billing address."""
    invoice = session.get(Invoice, payment.invoice_id)
    company = session.get(Company, invoice.company_id)
    rows = session.execute(
        select(InvoiceLine.booking_id, InvoiceLine.amount_minor, Booking.price)
        .outerjoin(Booking, Booking.id == InvoiceLine.booking_id)
        .where(InvoiceLine.invoice_id == invoice.id).order_by(InvoiceLine.id)).all()
    rates = [int((price or {}).get("vat_rate_bp") or 0) for _b, _a, price in rows]
    title = tr("Оплата счёта № {number} от {issued_at:%d.%m.%Y}", number=invoice.number, issued_at=invoice.issued_at)
    if rows and len(rows) <= RECEIPT_ITEMS_MAX and all(amount > 0 for _b, amount, _p in rows):
        items = tuple(ReceiptItem(tr("Аренда рабочего пространства, бронь № {booking_id}", booking_id=booking_id) if booking_id
                                  else tr("Аренда рабочего пространства"), amount, rate)
                      for (booking_id, amount, _p), rate in zip(rows, rates))
    else:
        items = (ReceiptItem(title, payment.amount_minor, max(rates, default=0)),)
    meta = {"invoice_id": str(invoice.id), "payment_id": str(payment.id)}
    return Charge(description=f"{title}, {company.name}", email=company.billing_email,
                  return_path=f"{COMPANY_PAGE}?paid_invoice={invoice.id}",
                  cancel_path=f"{COMPANY_PAGE}?cancelled_invoice={invoice.id}",
                  metadata=meta, items=items, refund_text=tr("Возврат оплаты счёта № {number}", number=invoice.number))
