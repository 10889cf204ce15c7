"""/admin/finance, tabs "Счета компаний" and "Сверка": companies' invoices (record a bank
transfer), companies' credit limits, and the latest reconciliation with each payment provider
(services/finance/invoices.py, companies.py, reconciliation.py; no queries here)."""

from __future__ import annotations

from dataclasses import dataclass, field

import reflex as rx

from coworking_app.formatting import format_day, format_moment, format_money
from coworking_app.services.finance import companies, invoices, reconciliation
from coworking_app.settings import get_settings
from models import Role
from state.inputs import parse_id, parse_roubles
from state.page import PageState
from coworking_app.i18n import N_, tr

INVOICE_FILTERS = [("all", N_("Все счета")), ("issued", N_("Ждут оплаты")), ("overdue", N_("Просроченные")), ("paid", N_("Оплаченные"))]


@dataclass
class InvoiceRow:
    id: int = 0
    number: str = ""
    company: str = ""
    period: str = ""
    amount: str = ""
    due: str = ""
    status_label: str = ""
    tone: str = "gray"
    payable: bool = False
    pdf_url: str = ""


@dataclass
class CompanyRow:
    id: int = 0
    name: str = ""
    inn: str = ""
    email: str = ""
    limit: str = ""


@dataclass
class ReconItem:
    kind: str = ""
    subject: str = ""
    reference: str = ""
    ledger: str = ""
    ours: str = ""
    provider: str = ""


@dataclass
class ReconRun:
    provider: str = ""
    status_label: str = ""
    tone: str = "gray"
    when: str = ""
    summary: str = ""
    error: str = ""
    rows: list[ReconItem] = field(default_factory=list)


def _invoice_row(i: invoices.InvoiceOut) -> InvoiceRow:
    tone = "red" if i.overdue else ("green" if i.status == "paid" else "blue")
    return InvoiceRow(i.id, f"№ {i.number}", i.company, f"{format_day(i.period_start)} — {format_day(i.period_end)}",
                      format_money(i.amount_minor, i.currency), format_day(i.due_date), i.status_label, tone,
                      i.status == "issued", i.pdf_url)


def _recon_run(r: reconciliation.RunView, zone: str) -> ReconRun:
    tone = {"ok": "green", "mismatches": "amber", "failed": "red"}.get(r.status, "gray")
    totals = "; ".join(
        tr("{currency}: в книге {format_money}, по платежам {format_money2}", currency=t.currency, format_money=format_money(t.ledger_minor, t.currency), format_money2=format_money(t.ours_minor, t.currency)) for t in r.totals)
    summary = tr("Проверено записей: {checked}", checked=r.checked) + (f". {totals}" if totals else "")
    money = lambda v, c: format_money(v, c) if v else "—"  # noqa: E731
    return ReconRun(r.provider_label, r.status_label, tone,
                    format_moment(r.created_at, zone, named=True) if r.created_at else "", summary, r.error or "",
                    [ReconItem(i.kind_label, i.subject_label, i.reference, money(i.ledger_minor, i.currency),
                               money(i.ours_minor, i.currency), money(i.provider_minor, i.currency))
                     for i in r.items[:100]])


class AdminInvoicesState(PageState):
    is_admin: bool = False
    invoice_filter: str = "all"
    invoice_rows: list[InvoiceRow] = []
    company_rows: list[CompanyRow] = []
    runs: list[ReconRun] = []
    recon_queued: bool = False

    paying_id: int = 0
    paying_title: str = ""
    paying_reference: str = ""
    paying_error: str = ""

    limit_company: int = 0
    limit_value: str = ""
    limit_error: str = ""

    @rx.event
    async def load(self):
        await self._reload()

    async def _reload(self) -> None:
        flt = invoices.InvoiceFilter(status=self.invoice_filter if self.invoice_filter in ("issued", "paid") else None,
                                     overdue=self.invoice_filter == "overdue")

        def view(session, _effects, user):
            return (invoices.list_invoices(session, user, flt), companies.list_companies(session, user),
                    reconciliation.access_reconciliation(session, user), user.has_role(Role.admin))

        done = await self._act(view)
        if not done.ok:
            self.invoice_rows, self.company_rows, self.runs = [], [], []
            return
        found, firms, runs, self.is_admin = done.value
        zone = get_settings().report_timezone
        self.invoice_rows = [_invoice_row(i) for i in found]
        self.company_rows = [CompanyRow(c.id, c.name, c.inn, c.billing_email,
                                        format_money(c.credit_limit_minor, c.currency)) for c in firms]
        self.runs = [_recon_run(r, zone) for r in runs]

    @rx.event
    async def set_invoice_filter(self, value: str):
        if value in dict(INVOICE_FILTERS):
            self.invoice_filter = value
            await self._reload()

    # --- a bank transfer received ---------------------------------------------------------

    @rx.event
    def ask_paid(self, invoice_id: int):
        row = next((r for r in self.invoice_rows if r.id == invoice_id), None)
        if row is not None:
            self.paying_id, self.paying_title = row.id, tr("Счёт {number}, {company}: {amount}", number=row.number, company=row.company, amount=row.amount)
            self.paying_reference, self.paying_error = "", ""

    @rx.event
    def close_paid(self):
        self.paying_id = 0

    @rx.event
    def set_paying_reference(self, value: str):
        self.paying_reference, self.paying_error = value, ""

    @rx.event
    async def confirm_paid(self, _form: dict | None = None):
        invoice_id, reference = self.paying_id, self.paying_reference
        done = await self._act(lambda s, fx, u: invoices.do_record_invoice_payment(s, fx, u, invoice_id, reference))
        if not done.ok:
            self.paying_error = done.message
            return
        self.paying_id = 0
        await self._reload()
        return rx.toast.success(tr("Оплата счёта записана"))

    # --- a company's credit limit ----------------------------------------------------------

    @rx.event
    def edit_limit(self, company_id: int):
        self.limit_company, self.limit_value, self.limit_error = company_id, "", ""

    @rx.event
    def set_limit_value(self, value: str):
        self.limit_value, self.limit_error = value, ""

    @rx.event
    def cancel_limit(self):
        self.limit_company = 0

    @rx.event
    async def save_limit(self, _form: dict | None = None):
        amount = parse_roubles(self.limit_value)
        if amount is None:
            self.limit_error = tr("Укажите лимит в рублях, например 50000")
            return
        company_id = parse_id(str(self.limit_company)) or 0
        done = await self._act(lambda s, _fx, u: companies.do_set_credit_limit(s, u, company_id, amount))
        if not done.ok:
            self.limit_error = done.message
            return
        self.limit_company = 0
        await self._reload()
        return rx.toast.success(tr("Кредитный лимит изменён"))

    # --- reconciliation ---------------------------------------------------------------------

    @rx.event
    async def run_reconciliation(self):
        done = await self._act(lambda s, fx, u: reconciliation.do_request_reconciliation(s, fx, u))
        if not done.ok:
            return done.toast()
        self.recon_queued = True
        return rx.toast.success(tr("Сверка запущена: результат появится здесь через минуту-другую"))
