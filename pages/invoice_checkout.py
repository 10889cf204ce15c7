"""/checkout/invoice/<payment id>: the test provider's payment page for a company's invoice
(state/invoice_payment.py). Stripe and ЮKassa show their own pages instead."""

from __future__ import annotations

import reflex as rx

from pages.components import empty_state, offline_payment_card
from pages.layout import page_frame
from state.invoice_payment import InvoiceCheckoutState

MUTED = rx.color("gray", 11)


def _row(label: str, value, test_id: str) -> rx.Component:
    return rx.flex(rx.text(label, size="2", color=MUTED), rx.spacer(),
                   rx.text(value, size="2", weight="medium", text_align="right", custom_attrs={"data-testid": test_id}),
                   width="100%", spacing="3")


def invoice_checkout_page() -> rx.Component:
    c = InvoiceCheckoutState
    return page_frame(offline_payment_card(
        c.found, rx.fragment("Оплата счёта № ", c.number),
        rx.vstack(
            _row("Плательщик", c.company, "invoice-checkout-company"),
            _row("Период", c.period, "invoice-checkout-period"),
            rx.separator(size="4"),
            rx.flex(rx.text("Итого к оплате", size="3", weight="bold"), rx.spacer(),
                    rx.text(c.amount, size="3", weight="bold", custom_attrs={"data-testid": "invoice-checkout-amount"}),
                    width="100%"),
            spacing="2", width="100%",
        ),
        rx.cond(c.message != "", rx.callout(c.message, icon="info", color_scheme="red", size="1",
                                            width="100%", role="alert")),
        rx.cond(
            (c.status == "pending") & (c.invoice_status == "issued"),
            rx.flex(
                rx.button(rx.cond(c.busy, rx.spinner(size="2"), rx.icon("check", size=16)),
                          "Оплатить", size="3", disabled=c.busy, on_click=c.complete("succeeded"),
                          custom_attrs={"data-testid": "invoice-checkout-pay"}),
                rx.button("Отклонить", size="3", variant="soft", color_scheme="red", disabled=c.busy,
                          on_click=c.complete("declined"), custom_attrs={"data-testid": "invoice-checkout-decline"}),
                spacing="3", wrap="wrap",
            ),
            rx.vstack(
                rx.cond(c.invoice_status == "paid",
                        rx.callout("Этот счёт уже оплачен.", icon="circle-check", color_scheme="green", width="100%")),
                rx.link(rx.button("К странице компании", variant="soft"), href=c.company_href),
                spacing="3", width="100%",
            ),
        ),
        missing=empty_state("credit-card", "Платёж не найден",
                            rx.link(rx.button("К странице компании"), href="/cabinet/company")),
        max_width="520px",
    ))
