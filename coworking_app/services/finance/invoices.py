"""Companies' weekly invoices (счёт на оплату), docs/finance.md.

Every Monday at 00:30 in the company's time zone (`rq cron` runs `jobs.finance.issue_invoices`
hourly and each company is invoiced once its Monday 00:30 has come) the company gets one
invoice for what its members charged to its account during the week before: per booking,
what the ledger put on the company's unbilled account before Monday 00:00, less what earlier
invoices already asked for (a refund after an invoice is a negative line on the next one).
Numbers are gap-free across all invoices. The PDF has what a Russian accountant expects
(services/finance/pdfs.py); the company's admins get a notice and the billing address the
PDF. An admin records a bank transfer; INVOICE_DUE_DAYS after issue the invoice is overdue:
booking on account stops (companies.check_can_charge) and the company is reminded.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select, text
from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.formatting import INVOICE_STATUS_LABELS, JOURNAL_KIND_LABELS, format_money, local_moment
from coworking_app.services.accounts.permissions import check_role
from coworking_app.services.booking.pricing import div_round
from coworking_app.services.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from coworking_app.services.common.numbering import next_number
from coworking_app.services.common.text import check_chars
from coworking_app.services.finance import ledger
from coworking_app.services.finance.companies import access_company, company_today
from coworking_app.services.finance.exports import OperationRow, PeriodFilter, write_operations_xlsx
from coworking_app.services.finance.settlement import BANK_TRANSFER, do_settle_invoice, tell_company_admins
from coworking_app.services.finance.pdfs import BankDetails, InvoiceDoc, InvoiceLine as PdfLine, Party, render_invoice
from coworking_app.services.payments import payments
from coworking_app.settings import get_settings
from models import (
    Booking,
    Company,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LedgerAccount,
    Payment,
    PaymentStatus,
    Resource,
    Role,
    Space,
    User,
)
from coworking_app.i18n import tr

ISSUE_AFTER = time(0, 30)  # Monday 00:30, local


def week_before(company: Company, now: datetime) -> tuple[date, date, datetime]:
    """(Monday, Sunday) of the last whole week in the company's zone, and the moment the
    week ended (this Monday 00:00 there, as UTC)."""
    zone = ZoneInfo(company.timezone)
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    start = monday - timedelta(days=7)
    return start, monday - timedelta(days=1), datetime.combine(monday, time.min, tzinfo=zone).astimezone(timezone.utc)


def is_due(company: Company, now: datetime) -> bool:
    """This week's invoice may go out: it is past Monday 00:30 in the company's zone."""
    _, _, cutoff = week_before(company, now)
    local_cutoff = cutoff.astimezone(ZoneInfo(company.timezone))
    return now >= datetime.combine(local_cutoff.date(), ISSUE_AFTER, tzinfo=ZoneInfo(company.timezone))


_CHARGED = text("""
SELECT e.booking_id, sum(l.amount_minor)
  FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id
 WHERE l.account_id = (SELECT id FROM ledger_account WHERE code = :code)
   AND e.booking_id IS NOT NULL AND e.effective_at < :cutoff
 GROUP BY e.booking_id
""")
_INVOICED = text("""
SELECT il.booking_id, sum(il.amount_minor) FROM invoice_line il JOIN invoice i ON i.id = il.invoice_id
 WHERE i.company_id = :company_id AND il.booking_id IS NOT NULL GROUP BY il.booking_id
""")


def uninvoiced(session: Session, company: Company, cutoff: datetime) -> dict[int, int]:
    """Per booking: what the ledger charged to the company's account before `cutoff`, less
    what invoices already asked for; only the bookings where that is not zero."""
    charged = dict(session.execute(_CHARGED, {"code": ledger.unbilled(company.id, company.currency).code,
                                              "cutoff": cutoff}).all())
    invoiced = dict(session.execute(_INVOICED, {"company_id": company.id}).all())
    out = {}
    for booking_id in set(charged) | set(invoiced):
        amount = int(charged.get(booking_id, 0)) - int(invoiced.get(booking_id, 0))
        if amount:
            out[booking_id] = amount
    return out


def invoice_candidates(session: Session, now: datetime) -> list[tuple[int, date]]:
    """(company, week's Monday) of companies with an account whose invoice is due and not issued."""
    out = []
    for company in session.scalars(select(Company).where(Company.id.in_(
            select(LedgerAccount.company_id).where(LedgerAccount.code.like("unbilled:%")))).order_by(Company.id)):
        start, _, _ = week_before(company, now)
        if is_due(company, now) and not session.scalar(select(Invoice.id).where(
                Invoice.company_id == company.id, Invoice.period_start == start)):
            out.append((company.id, start))
    return out


def _vat_inside(amount: int, rate_bp: int) -> int:
    return amount - div_round(amount * 10_000, 10_000 + rate_bp) if rate_bp else 0


def _line_name(booking: Booking, space: str, resource: str) -> str:
    when = local_moment(booking.start_at, ZoneInfo(booking.timezone)).strftime("%d.%m.%Y")
    return tr("Аренда рабочего пространства: {space}, {resource}, бронь № {id} от {when}", space=space, resource=resource, id=booking.id, when=when)


def do_issue_invoice(session: Session, effects: Effects, company_id: int, period_start: date, *,
                     now: datetime | None = None) -> Invoice | None:
    """The company's invoice for the week starting `period_start` (a Monday); None when there
    is nothing to ask for (or the week already has its invoice)."""
    now = now or datetime.now(timezone.utc)
    company = session.get(Company, company_id, with_for_update=True)
    if company is None or session.scalar(select(Invoice.id).where(
            Invoice.company_id == company_id, Invoice.period_start == period_start)):
        return None
    zone = ZoneInfo(company.timezone)
    cutoff = datetime.combine(period_start + timedelta(days=7), time.min, tzinfo=zone).astimezone(timezone.utc)
    amounts = uninvoiced(session, company, cutoff)
    total = sum(amounts.values())
    if total <= 0:
        return None
    rows = session.execute(select(Booking, Space.name, Resource.name).join(Space, Space.id == Booking.space_id)
                           .join(Resource, Resource.id == Booking.resource_id)
                           .where(Booking.id.in_(list(amounts))).order_by(Booking.start_at, Booking.id)).all()
    lines, rates = [], set()
    for booking, space, resource in rows:
        rate = int((booking.price or {}).get("vat_rate_bp") or 0)
        rates.add(rate)
        amount = amounts[booking.id]
        lines.append(InvoiceLine(booking_id=booking.id, description=_line_name(booking, space, resource)[:300],
                                 amount_minor=amount, vat_minor=_vat_inside(amount, rate)))
    issued_on = now.astimezone(zone).date()
    invoice = Invoice(company_id=company.id, number=next_number(session, "invoice"), period_start=period_start,
                      period_end=period_start + timedelta(days=6), issued_at=now,
                      due_date=issued_on + timedelta(days=get_settings().invoice_due_days),
                      amount_minor=total, vat_minor=sum(line.vat_minor for line in lines), currency=company.currency)
    session.add(invoice)
    session.flush()
    for line in lines:
        line.invoice_id = invoice.id
    session.add_all(lines)
    ledger.do_post(session, effects, "invoice", [
        (ledger.receivable(company.id, company.currency), total),
        (ledger.unbilled(company.id, company.currency), -total)],
        effective_at=now, invoice_id=invoice.id, memo=tr("счёт № {number}", number=invoice.number))
    invoice.pdf = render_invoice(invoice_doc(company, invoice, lines, max(rates) if rates else 0))
    session.flush()
    tell_company_admins(session, effects, company, "invoice_issued", invoice, {
        "company": company.name, "number": invoice.number, "amount": format_money(total, invoice.currency),
        "period": tr("{period_start:%d.%m.%Y} по {period_end:%d.%m.%Y}", period_start=invoice.period_start, period_end=invoice.period_end),
        "due": f"{invoice.due_date:%d.%m.%Y}", "invoice_id": invoice.id, "link": "/cabinet/company"})
    return invoice


def invoice_doc(company: Company, invoice: Invoice, lines: list[InvoiceLine], rate_bp: int) -> InvoiceDoc:
    s = get_settings()
    return InvoiceDoc(
        number=str(invoice.number), issued_on=invoice.issued_at.astimezone(ZoneInfo(company.timezone)).date(),
        supplier=Party(s.supplier_name, s.supplier_inn, s.supplier_kpp, s.supplier_address),
        supplier_bank=BankDetails(s.supplier_bank, s.supplier_bik, s.supplier_account, s.supplier_corr_account),
        buyer=Party(company.name, company.inn, company.kpp, company.address),
        lines=tuple(PdfLine(name=line.description, quantity=1, unit=tr("усл."), price_minor=line.amount_minor,
                            amount_minor=line.amount_minor) for line in lines),
        period_from=invoice.period_start, period_to=invoice.period_end, due_on=invoice.due_date,
        currency=invoice.currency, vat_rate_bp=rate_bp if invoice.vat_minor else 0, vat_minor=invoice.vat_minor)


# --- payment and overdue -----------------------------------------------------------------


def _access_invoice_for_admin(session: Session, user: User | None, invoice_id: int) -> tuple[User, Invoice]:
    admin = check_role(user, Role.admin)
    invoice = session.get(Invoice, invoice_id, with_for_update=True) if 0 < invoice_id < 2**31 else None
    if invoice is None:
        raise NotFound(tr("Счёт не найден"))
    return admin, invoice


def do_record_invoice_payment(session: Session, effects: Effects, user: User | None, invoice_id: int,
                              reference: str, *, now: datetime | None = None) -> Invoice:
    """An admin records the company's bank transfer: the invoice is paid, the company may
    book on account again if this was what was overdue."""
    admin, invoice = _access_invoice_for_admin(session, user, invoice_id)
    reference = check_chars("payment_reference", (reference or "").strip()[:120])
    if not reference:
        raise InvalidInput("payment_reference", tr("Укажите номер платёжного поручения"))
    if invoice.status != InvoiceStatus.issued:
        raise Conflict("status", tr("счёт уже оплачен"))
    do_settle_invoice(session, effects, invoice, method=BANK_TRANSFER, reference=reference,
                      cash=ledger.cash("bank", invoice.currency), now=now or datetime.now(timezone.utc),
                      actor_id=admin.id)
    do_cancel_invoice_checkouts(session, invoice)
    return invoice


def access_invoice_to_pay(session: Session, user: User | None, invoice_id: int) -> Invoice:
    """The (locked) invoice for one of its company's own admins, who pay it; 404 for anyone
    outside the company, 403 for its other members and for the network's staff."""
    invoice = session.get(Invoice, invoice_id) if 0 < invoice_id < 2**31 else None
    if invoice is None:
        raise NotFound(tr("Счёт не найден"))
    try:
        _company, member = access_company(session, user, invoice.company_id, admin=True)
    except NotFound as exc:
        raise NotFound(tr("Счёт не найден")) from exc
    if member is None or member.role != "admin":
        raise PermissionDenied(tr("Оплатить счёт картой может администратор компании"))
    session.refresh(invoice, with_for_update=True)
    return invoice


def do_start_invoice_payment(session: Session, user: User | None, invoice_id: int, *,
                             now: datetime | None = None) -> Payment:
    """A card payment for the whole of an unpaid invoice (the provider's page is at
    `payment_url`), or the one already open for it. The invoice is settled when the
    provider's money arrives (payments.do_payment_succeeded, settlement.do_settle_by_card)."""
    now = now or datetime.now(timezone.utc)
    invoice = access_invoice_to_pay(session, user, invoice_id)
    if invoice.status != InvoiceStatus.issued:
        raise Conflict("status", tr("счёт уже оплачен"))
    pending = list(session.scalars(select(Payment).where(
        Payment.invoice_id == invoice.id, Payment.status == PaymentStatus.pending.value)))
    existing = payments.reusable_checkout(session, pending, invoice.amount_minor, now=now)
    if existing is not None:
        return existing
    provider = payments.get_provider(currency=invoice.currency)
    if provider.name == ledger.ON_ACCOUNT:
        raise Conflict("provider", tr("счёт нельзя оплатить со счёта компании"))
    attempt = session.scalar(select(func.count()).select_from(Payment).where(Payment.invoice_id == invoice.id)) or 0
    return payments.do_open_checkout(session, Payment(
        invoice_id=invoice.id, provider=provider.name, purpose="invoice",
        idempotency_key=f"invoice-{invoice.id}-{attempt + 1}-{secrets.token_hex(4)}",
        amount_minor=invoice.amount_minor, currency=invoice.currency), provider)


def do_cancel_invoice_checkouts(session: Session, invoice: Invoice) -> None:
    """The invoice was paid another way: its open card checkouts are closed."""
    for payment in session.scalars(select(Payment).where(
            Payment.invoice_id == invoice.id, Payment.status == PaymentStatus.pending.value)):
        payments.do_close_checkout(session, payment)


def do_remind_overdue(session: Session, effects: Effects, *, now: datetime | None = None) -> int:
    """Overdue invoices not reminded in the last 3 days: the company's admins and billing
    address are told (booking on account is closed meanwhile)."""
    now = now or datetime.now(timezone.utc)
    count = 0
    for invoice, company in session.execute(
            select(Invoice, Company).join(Company, Company.id == Invoice.company_id)
            .where(Invoice.status == InvoiceStatus.issued.value, Invoice.due_date < now.date() + timedelta(days=1))
            .with_for_update(of=Invoice, skip_locked=True)):
        if invoice.due_date >= company_today(company, now):
            continue
        if invoice.reminded_at is not None and invoice.reminded_at > now - timedelta(days=3):
            continue
        invoice.reminded_at = now
        tell_company_admins(session, effects, company, "invoice_overdue", invoice, {
            "company": company.name, "number": invoice.number,
            "amount": format_money(invoice.amount_minor, invoice.currency), "due": f"{invoice.due_date:%d.%m.%Y}",
            "link": "/cabinet/company"})
        count += 1
    session.flush()
    return count


# --- reading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceOut:
    id: int
    number: int
    company_id: int
    company: str
    period_start: date
    period_end: date
    issued_at: datetime
    due_date: date
    amount_minor: int
    vat_minor: int
    currency: str
    status: str
    status_label: str
    overdue: bool
    paid_at: datetime | None
    payment_reference: str | None
    pdf_url: str


def invoice_out(invoice: Invoice, company: Company, now: datetime | None = None) -> InvoiceOut:
    overdue = invoice.status == InvoiceStatus.issued and invoice.due_date < company_today(company, now)
    return InvoiceOut(invoice.id, invoice.number, company.id, company.name, invoice.period_start,
                      invoice.period_end, invoice.issued_at, invoice.due_date, invoice.amount_minor,
                      invoice.vat_minor, invoice.currency, invoice.status,
                      tr("Просрочен") if overdue else INVOICE_STATUS_LABELS[invoice.status], overdue,
                      invoice.paid_at, invoice.payment_reference, f"/api/v1/invoices/{invoice.id}.pdf")


def company_of(session: Session, invoice: Invoice) -> Company:
    return session.get(Company, invoice.company_id)


def company_invoices(session: Session, user: User | None, company_id: int) -> list[InvoiceOut]:
    company, _ = access_company(session, user, company_id, admin=True)
    return [invoice_out(i, company) for i in session.scalars(
        select(Invoice).where(Invoice.company_id == company.id).order_by(Invoice.number.desc()))]


def access_invoice_pdf(session: Session, user: User | None, invoice_id: int) -> Invoice:
    """The PDF for the company's admins and the network's staff; 404 for everyone else."""
    user = check_role(user, Role.renter, Role.owner, Role.operator, Role.admin)
    invoice = session.get(Invoice, invoice_id) if 0 < invoice_id < 2**31 else None
    if invoice is None:
        raise NotFound(tr("Счёт не найден"))
    try:
        access_company(session, user, invoice.company_id, admin=True)
    except PermissionDenied as exc:
        raise NotFound(tr("Счёт не найден")) from exc
    return invoice


class InvoiceFilter(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: InvoiceStatus | None = None
    overdue: bool = False
    company_id: int | None = None


def list_invoices(session: Session, user: User | None, flt: InvoiceFilter, *,
                  now: datetime | None = None) -> list[InvoiceOut]:
    check_role(user, Role.admin, Role.operator)
    query = (select(Invoice, Company).join(Company, Company.id == Invoice.company_id)
             .order_by(Invoice.number.desc()).limit(500))
    if flt.status is not None:
        query = query.where(Invoice.status == flt.status.value)
    if flt.company_id is not None:
        query = query.where(Invoice.company_id == flt.company_id)
    found = [invoice_out(i, c, now) for i, c in session.execute(query)]
    return [i for i in found if i.overdue] if flt.overdue else found


def lines_of(session: Session, invoice_ids: list[int]) -> dict[int, list[InvoiceLine]]:
    out: dict[int, list[InvoiceLine]] = defaultdict(list)
    for line in session.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id.in_(invoice_ids))
                                .order_by(InvoiceLine.id)):
        out[line.invoice_id].append(line)
    return out


# --- the company's history of operations ------------------------------------------------

_COMPANY_LINES = text("""
SELECT e.effective_at, e.kind, e.booking_id, e.invoice_id, a.code, l.amount_minor, coalesce(s.name, ''),
       i.number
  FROM journal_line l
  JOIN ledger_account a ON a.id = l.account_id
  JOIN journal_entry e ON e.id = l.entry_id
  LEFT JOIN booking b ON b.id = e.booking_id
  LEFT JOIN space s ON s.id = b.space_id
  LEFT JOIN invoice i ON i.id = e.invoice_id
 WHERE a.code = ANY(:codes) AND e.effective_at >= :start AND e.effective_at < :end
 ORDER BY e.effective_at DESC, e.id DESC
 LIMIT :limit
""")


@dataclass(frozen=True)
class CompanyOperation:
    at: datetime
    kind: str
    label: str
    description: str
    booking_id: int | None
    invoice_number: int | None
    amount_minor: int  # + the company owes more, - it owes less
    currency: str


def company_operations(session: Session, user: User | None, company_id: int, flt: PeriodFilter, *,
                       limit: int = 5000) -> list[CompanyOperation]:
    """Every money event of the company's account, newest first: bookings charged to it,
    refunds, invoices issued (moving the amount from "not invoiced" to "to pay") and paid."""
    company, _ = access_company(session, user, company_id, admin=True)
    start, end = flt.bounds(company.timezone)
    unbilled = ledger.unbilled(company.id, company.currency).code
    receivable = ledger.receivable(company.id, company.currency).code
    out = []
    for at, kind, booking_id, invoice_id, code, amount, space, number in session.execute(_COMPANY_LINES, {
            "codes": [unbilled, receivable], "start": start, "end": end, "limit": limit}):
        if kind == "invoice" and code == unbilled:
            continue  # an invoice moves the amount between the two: shown once, on "to pay"
        label = JOURNAL_KIND_LABELS.get(kind, kind)
        description = (tr("Счёт № {number}", number=number) if number else
                       tr("{space}, бронь № {booking_id}", space=space, booking_id=booking_id) if booking_id else "")
        out.append(CompanyOperation(at, kind, label, description, booking_id, number,
                                    0 if kind == "invoice" else int(amount), company.currency))
    return out


def company_operations_xlsx(session: Session, user: User | None, company_id: int, flt: PeriodFilter) -> bytes:
    company, _ = access_company(session, user, company_id, admin=True)
    rows = [OperationRow(at=op.at, kind=op.label, description=op.description, booking_id=op.booking_id,
                         amount_minor=op.amount_minor, currency=op.currency)
            for op in reversed(company_operations(session, user, company_id, flt))]
    return write_operations_xlsx(rows, tr("Операции по счёту компании {name}", name=company.name), zone=company.timezone)
