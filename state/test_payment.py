"""The test provider's own payment pages for what is not a booking: a company's invoice
(/checkout/invoice/<payment id>) and a plan (/checkout/plan/<payment id>). What both do:
the payment's id from the address, "Оплатить" / "Отклонить" (payments/checkout.py), back to
where the payer came from, or the refusal on the page."""

from __future__ import annotations

import reflex as rx

from coworking_app.services.payments import checkout
from models import Payment
from state.inputs import parse_id
from state.page import PageState


class TestPaymentPage(PageState, mixin=True):
    found: bool = False
    status: str = ""  # of the payment
    busy: bool = False
    message: str = ""

    def _payment_id(self) -> int:
        return parse_id(str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1]) or 0

    def _paid_url(self, payment: Payment) -> str:
        """Where the payer goes once paid (each page's own)."""
        raise NotImplementedError

    def _declined_text(self) -> str:
        raise NotImplementedError

    @rx.event
    async def complete(self, outcome: str):
        payment_id = self._payment_id()
        if outcome not in ("succeeded", "declined") or self.busy:
            return
        self.busy, self.message = True, ""
        yield
        done = await self._act(lambda s, fx, u: self._paid_url(checkout.do_complete_test_payment(
            s, fx, u, payment_id, str(outcome))))
        self.busy = False
        if not done.ok:
            self.message = done.message
        elif outcome == "succeeded":
            yield rx.redirect(done.value)
        else:
            self.status = "failed"
            self.message = self._declined_text()
