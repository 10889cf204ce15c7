"""/checkout/invoice/<payment id>: the test provider's payment page for a company's invoice
(state/invoice_payment.py). Stripe and ЮKassa show their own pages instead."""

from __future__ import annotations

import reflex as rx

from pages.components import test_payment_card
from pages.layout import page_frame
from state.invoice_payment import InvoiceCheckoutState


def invoice_checkout_page() -> rx.Component:
    c = InvoiceCheckoutState
    return page_frame(test_payment_card(
        c, rx.fragment("Оплата счёта № ", c.number),
        [("Плательщик", c.company, "invoice-checkout-company"), ("Период", c.period, "invoice-checkout-period")],
        prefix="invoice-checkout", payable=(c.status == "pending") & (c.invoice_status == "issued"),
        after=rx.vstack(
            rx.cond(c.invoice_status == "paid",
                    rx.callout("Этот счёт уже оплачен.", icon="circle-check", color_scheme="green", width="100%")),
            rx.link(rx.button("К странице компании", variant="soft"), href=c.company_href),
            spacing="3", width="100%",
        ),
        back=("К странице компании", "/cabinet/company"),
    ))
