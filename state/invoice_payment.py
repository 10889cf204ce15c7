"""Paying a company's invoice by card: "Оплатить картой" on /cabinet/company (to the
provider's page and back, with what became of it) and the test provider's own page
(/checkout/invoice/<payment id>). Rules: services/finance/invoices.py, settlement.py."""

from __future__ import annotations

import reflex as rx

from coworking_app.formatting import format_day, format_money
from coworking_app.services.finance import invoices
from coworking_app.services.payments import checkout
from state.inputs import parse_id
from state.page import PageState
from state.test_payment import TestPaymentPage
from coworking_app.i18n import N_, tr

PAID = N_("Спасибо! Счёт № {number} оплачен картой.")
PROCESSING = (N_("Платёж по счёту № {number} обрабатывается: счёт отметится оплаченным, как только платёжная система подтвердит оплату. Обычно это минута."))
CANCELLED = N_("Оплата счёта № {number} не завершена. Можно попробовать ещё раз.")


class InvoicePayState(PageState):
    """The invoices' "Оплатить картой" and the note after coming back from the payment page."""

    paying_id: int = 0
    note: str = ""
    note_color: str = "green"

    @rx.event
    async def pay(self, invoice_id: int):
        invoice_id = parse_id(invoice_id)
        if invoice_id is None or self.paying_id:
            return
        self.paying_id, self.note = invoice_id, ""
        yield
        done = await self._act(lambda s, _fx, u: invoices.do_start_invoice_payment(s, u, invoice_id).payment_url)
        self.paying_id = 0
        if not done.ok:
            self.note, self.note_color = done.sentence, "red"
            return
        yield rx.redirect(done.value)

    @rx.event
    async def came_back(self):
        """/cabinet/company?paid_invoice=<id> (or cancelled_invoice): what became of the payment."""
        query = self.router.url.query_parameters
        paid, cancelled = parse_id(query.get("paid_invoice", "")), parse_id(query.get("cancelled_invoice", ""))
        self.note, self.paying_id = "", 0
        invoice_id = paid or cancelled
        if invoice_id is None:
            return
        done = await self._act(lambda s, _fx, u: invoices.access_invoice_to_pay(s, u, invoice_id))
        if not done.ok:
            return
        invoice = done.value
        if invoice.status == "paid":
            self.note, self.note_color = tr(PAID).format(number=invoice.number), "green"
        elif paid:
            self.note, self.note_color = tr(PROCESSING).format(number=invoice.number), "blue"
        else:
            self.note, self.note_color = tr(CANCELLED).format(number=invoice.number), "amber"


class InvoiceCheckoutState(TestPaymentPage, PageState):
    """/checkout/invoice/<payment id>: the test provider's page for an invoice ("Оплатить" /
    "Отклонить"), shown to the company's admins only."""

    number: int = 0
    company: str = ""
    period: str = ""
    amount: str = ""
    invoice_status: str = ""
    company_href: str = "/cabinet/company"

    @rx.event
    async def load(self):
        payment_id = self._payment_id()
        self.found, self.message = False, ""
        done = await self._act(lambda s, _fx, u: checkout.invoice_checkout_view(s, u, payment_id))
        if not done.ok or done.value.provider != "test":
            return
        v = done.value
        self.number, self.company = v.number, v.company
        self.period = f"{format_day(v.period_start)} – {format_day(v.period_end)}"
        self.amount = format_money(v.amount, v.currency)
        self.status, self.invoice_status = v.status, v.invoice_status
        self.company_href = f"/cabinet/company?company={v.company_id}"
        self.found = True

    def _paid_url(self, payment) -> str:
        return f"{self.company_href}&paid_invoice={payment.invoice_id}"

    def _declined_text(self) -> str:
        return tr("Платёж отклонён. Счёт не оплачен — можно попробовать ещё раз со страницы компании.")
