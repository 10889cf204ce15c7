"""/checkout/invoice/<payment id>: the test provider's payment page for a company's invoice
(state/invoice_payment.py). Stripe and ЮKassa show their own pages instead."""

from __future__ import annotations

import reflex as rx

from pages.components import test_payment_card
from pages.layout import page_frame
from state.invoice_payment import InvoiceCheckoutState
from state.lang import t


def invoice_checkout_page() -> rx.Component:
    c = InvoiceCheckoutState
    return page_frame(test_payment_card(
        c, rx.fragment(t("Оплата счёта № "), c.number),
        [(t("Плательщик"), c.company, "invoice-checkout-company"), (t("Период"), c.period, "invoice-checkout-period")],
        prefix="invoice-checkout", payable=(c.status == "pending") & (c.invoice_status == "issued"),
        after=rx.vstack(
            rx.cond(c.invoice_status == "paid",
                    rx.callout(t("Этот счёт уже оплачен."), icon="circle-check", color_scheme="green", high_contrast=True, width="100%")),
            rx.link(rx.button(t("К странице компании"), variant="soft"), href=c.company_href),
            spacing="3", width="100%",
        ),
        back=(t("К странице компании"), "/cabinet/company"),
    ))
