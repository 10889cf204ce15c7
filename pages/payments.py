"""/cabinet/payments ("Платежи"): the person's payments, refunds and penalties (state:
state/payments.py)."""

from __future__ import annotations

import reflex as rx

from pages.components import date_range, empty_state
from pages.layout import page_frame
from state.payments import KINDS, OperationView, PaymentsState
from state.lang import t

P = PaymentsState
MUTED = rx.color("gray", 11)


def _operation(o: OperationView) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.text(o.kind_label, size="2", weight="bold"),
                rx.text(o.space, size="2", word_break="break-word"),
                spacing="0", min_width="0",
            ),
            rx.spacer(),
            rx.vstack(
                rx.text(o.amount, size="3", weight="bold", white_space="nowrap",
                        color=rx.match(o.tone, ("green", rx.color("green", 11)), ("amber", rx.color("amber", 11)),
                                       rx.color("gray", 12)),
                        custom_attrs={"data-testid": "operation-amount"}),
                rx.text(o.at, size="1", color=MUTED, white_space="nowrap"),
                spacing="0", align="end", flex_shrink="0",
            ),
            width="100%", align="start", spacing="3",
        ),
        rx.flex(rx.link(t("Бронь "), o.booking, href=o.booking_href, size="1", underline="always"),
                rx.cond(o.method != "", rx.text("· ", o.method, size="1", color=MUTED)),
                spacing="1", wrap="wrap", align="baseline"),
        rx.cond(o.note != "", rx.text(o.note, size="1", color=MUTED)),
        spacing="1", width="100%", padding="12px 4px", border_bottom=f"1px solid {rx.color('gray', 4)}",
        custom_attrs={"data-testid": "operation", "data-kind": o.kind},
    )


def payments_page() -> rx.Component:
    return page_frame(rx.vstack(
        rx.flex(
            rx.heading(t("Платежи"), size="6"), rx.spacer(),
            rx.link(t("Мои брони"), href="/cabinet/bookings", size="2"),
            width="100%", align="center", wrap="wrap", spacing="4",
        ),
        rx.text(t("Оплаты, возвраты и штрафы по вашим броням. Брони на счёт компании оплачивает компания по счёту — они здесь тоже, с её названием."), size="2", color=MUTED),
        rx.card(rx.flex(
            rx.vstack(rx.text(t("Период"), size="1", color=MUTED),
                      date_range(P.date_from, P.date_to, lambda v: P.set_filter("date_from", v),
                                 lambda v: P.set_filter("date_to", v)),
                      spacing="1"),
            rx.vstack(rx.text(t("Операции"), size="1", color=MUTED),
                      rx.select.root(
                          rx.select.trigger(aria_label=t("Какие операции"), min_width="170px",
                                            custom_attrs={"data-testid": "payments-kind"}),
                          rx.select.content(*[rx.select.item(t(label), value=value) for value, label in KINDS]),
                          value=P.kind, on_change=lambda v: P.set_filter("kind", v),
                      ),
                      spacing="1"),
            rx.spacer(),
            rx.flex(
                rx.cond((P.date_from != "") | (P.date_to != "") | (P.kind != "all"),
                        rx.button(t("Сбросить"), variant="ghost", on_click=P.clear_filters)),
                rx.button(rx.icon("file-spreadsheet", size=16), t("Скачать Excel"), variant="soft",
                          on_click=P.export, disabled=P.rows.length() == 0,
                          custom_attrs={"data-testid": "payments-export"}),
                spacing="3", align="center",
            ),
            spacing="4", wrap="wrap", align="end", width="100%",
        ), width="100%"),
        rx.cond(P.error != "", rx.callout(P.error, icon="triangle-alert", color_scheme="red", width="100%",
                                          role="alert")),
        rx.cond(
            P.loading,
            rx.vstack(rx.skeleton(height="56px"), rx.skeleton(height="56px"), rx.skeleton(height="56px"),
                      width="100%"),
            rx.cond(
                P.rows.length() > 0,
                rx.card(rx.vstack(
                    rx.box(rx.foreach(P.rows, _operation), width="100%",
                           custom_attrs={"data-testid": "payments-list"}),
                    rx.text(P.summary, size="2", weight="medium", custom_attrs={"data-testid": "payments-summary"}),
                    rx.cond(P.has_penalties, rx.text(
                        t("Штраф удерживается из уже оплаченной суммы и в итог не входит."), size="1", color=MUTED)),
                    spacing="3", width="100%",
                ), width="100%"),
                empty_state("receipt", rx.cond((P.date_from != "") | (P.date_to != "") | (P.kind != "all"),
                                               t("За этот период операций нет"), t("Платежей пока нет")),
                            rx.link(rx.button(t("Найти пространство")), href="/search")),
            ),
        ),
        spacing="4", width="100%",
    ))
