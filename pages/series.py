"""Recurring bookings' pieces (state/series.py): "Повторять" in the booking panel, the test
provider's page for a series and the series card in "Мои брони"."""

from __future__ import annotations

import reflex as rx

from pages.components import date_input, test_payment_card, time_input
from pages.layout import page_frame
from state.series import REPEATS, ConflictRow, LineRow, MySeriesState, OccurrenceRow, SeriesCheckoutState, SeriesPanelState
from state.lang import t

P = SeriesPanelState
MUTED = rx.color("gray", 11)


def repeat_choice() -> rx.Component:
    """Under the time: the same booking every week or day, N times."""
    return rx.vstack(
        rx.text(t("Повторять"), size="2", weight="medium"),
        rx.flex(
            rx.select.root(
                rx.select.trigger(aria_label=t("Повторять"), custom_attrs={"data-testid": "book-repeat"}),
                rx.select.content(*[rx.select.item(t(label), value=key) for key, label in REPEATS.source().items()]),
                value=P.repeat, on_change=P.set_repeat,
            ),
            rx.cond(P.repeat != "none", rx.hstack(
                rx.icon_button(rx.icon("minus", size=14), size="1", variant="soft", aria_label=t("Реже"),
                               on_click=P.change_repeat_count(-1)),
                rx.text(P.repeat_times, size="2", custom_attrs={"data-testid": "book-repeat-count"}),
                rx.icon_button(rx.icon("plus", size=14), size="1", variant="soft", aria_label=t("Чаще"),
                               on_click=P.change_repeat_count(1), custom_attrs={"data-testid": "book-repeat-more"}),
                align="center", spacing="2")),
            spacing="3", align="center", wrap="wrap",
        ),
        rx.cond(P.repeat != "none", rx.text(
            t("Каждая дата бронируется отдельно: если какая-то занята, остальные всё равно будут ваши. Цена ниже — за одну дату, оплата — сразу за все."), size="1", color=MUTED)),
        spacing="1", width="100%",
    )


def series_submit(book_one) -> rx.Component:
    """The panel's button: one booking, or the whole series."""
    return rx.cond(
        P.repeat != "none",
        rx.button(rx.cond(P.busy, rx.spinner(size="2"), rx.icon("repeat", size=16)),
                  t("Забронировать серию"), width="100%", size="3", on_click=P.book_series,
                  disabled=P.busy | (P.total == "") | ((P.error != "") & (P.error_field != "company_id")),
                  custom_attrs={"data-testid": "book-series-submit"}),
        book_one,
    )


# --- the test provider's page -------------------------------------------------------------


def _line(row: LineRow) -> rx.Component:
    return rx.flex(rx.text(row.when, size="2"), rx.spacer(), rx.text(row.amount, size="2", white_space="nowrap"),
                   width="100%", spacing="3", custom_attrs={"data-testid": "series-checkout-line"})


def series_checkout_page() -> rx.Component:
    c = SeriesCheckoutState
    return page_frame(test_payment_card(
        c, rx.fragment(t("Оплата серии: "), c.count),
        [(t("Пространство"), c.space, "series-checkout-space"), (t("Что"), c.resource, "series-checkout-resource")],
        prefix="series-checkout", payable=c.status == "pending",
        after=rx.link(rx.button(t("К моим броням"), variant="soft"), href="/cabinet/bookings"),
        back=(t("К моим броням"), "/cabinet/bookings"),
        extra=rx.vstack(
            rx.foreach(c.lines, _line),
            rx.cond(c.conflicts != "", rx.text(c.conflicts, size="1", color=rx.color("amber", 11),
                                               custom_attrs={"data-testid": "series-checkout-conflicts"})),
            spacing="1", width="100%"),
    ))


# --- the series in "Мои брони" ------------------------------------------------------------


def _occurrence(row: OccurrenceRow) -> rx.Component:
    return rx.flex(
        rx.text(row.when, size="2"), rx.spacer(),
        rx.badge(row.status_label, color_scheme=rx.match(row.status, ("confirmed", "green"), ("paid", "green"),
                                                         ("pending_payment", "amber"), "gray"), high_contrast=True),
        rx.text(row.amount, size="2", white_space="nowrap", min_width="72px", text_align="right"),
        width="100%", spacing="3", align="center", wrap="wrap", padding_y="4px",
        border_bottom=f"1px solid {rx.color('gray', 4)}", custom_attrs={"data-testid": "series-occurrence"},
    )


def _conflict(row: ConflictRow) -> rx.Component:
    return rx.text(row.when, ": ", row.reason, size="1", color=rx.color("amber", 11),
                   custom_attrs={"data-testid": "series-conflict"})


def series_card() -> rx.Component:
    m = MySeriesState
    return rx.cond(m.series_id != 0, rx.card(rx.vstack(
        rx.flex(
            rx.vstack(rx.heading(t("Серия броней"), size="4"), rx.text(m.title, size="2"),
                      rx.text(m.rule_text, size="1", color=MUTED), spacing="0", min_width="0"),
            rx.spacer(),
            rx.cond(m.payable, rx.button(rx.cond(m.busy, rx.spinner(size="2"), rx.icon("credit-card", size=16)),
                                         t("Оплатить всё: "), m.to_pay, on_click=m.pay, disabled=m.busy,
                                         custom_attrs={"data-testid": "series-pay"})),
            width="100%", spacing="3", wrap="wrap", align="start",
        ),
        rx.cond(m.note != "", rx.callout(m.note, icon="info", color_scheme=m.note_color, high_contrast=True,
                                         width="100%", role="status",
                                         custom_attrs={"data-testid": "series-note"})),
        rx.box(rx.foreach(m.rows, _occurrence), width="100%"),
        rx.cond(m.conflicts.length() > 0, rx.vstack(
            rx.text(t("Не подошли"), size="2", weight="medium"), rx.foreach(m.conflicts, _conflict),
            spacing="1", width="100%")),
        rx.cond(m.future > 0, rx.vstack(
            rx.separator(size="4"),
            rx.text(t("Изменить все будущие"), size="2", weight="medium"),
            rx.flex(
                time_input(m.new_start, lambda v: m.set_time("start", v), label=t("Новое начало"), test_id="series-start"),
                time_input(m.new_end, lambda v: m.set_time("end", v), label=t("Новый конец"), test_id="series-end"),
                rx.button(t("Перенести"), variant="soft", on_click=m.reschedule,
                          custom_attrs={"data-testid": "series-reschedule"}),
                spacing="2", align="end", wrap="wrap",
            ),
            rx.text(t("Отменить"), size="2", weight="medium"),
            rx.flex(
                date_input(m.range_from, lambda v: m.set_range("from", v), label=t("С"), test_id="series-from"),
                date_input(m.range_to, lambda v: m.set_range("to", v), label=t("По"), test_id="series-to"),
                rx.button(t("Отменить в эти дни"), variant="soft", color_scheme="gray", on_click=m.cancel(False),
                          custom_attrs={"data-testid": "series-cancel-range"}),
                spacing="2", align="end", wrap="wrap",
            ),
            rx.alert_dialog.root(
                rx.alert_dialog.trigger(rx.button(t("Отменить все будущие"), variant="soft", color_scheme="red",
                                                  custom_attrs={"data-testid": "series-cancel-all"})),
                rx.alert_dialog.content(
                    rx.alert_dialog.title(t("Отменить все будущие брони серии?")),
                    rx.alert_dialog.description(t("Каждая отменяется по правилам отмены пространства: возврат зависит от того, сколько времени осталось до её начала."), size="2"),
                    rx.flex(
                        rx.alert_dialog.cancel(rx.button(t("Оставить"), variant="soft", color_scheme="gray")),
                        rx.alert_dialog.action(rx.button(t("Отменить все"), color_scheme="red", on_click=m.cancel(True),
                                                         custom_attrs={"data-testid": "series-cancel-confirm"})),
                        spacing="3", justify="end", margin_top="16px",
                    ),
                ),
            ),
            spacing="2", width="100%",
        )),
        spacing="3", width="100%",
    ), width="100%", custom_attrs={"data-testid": "series-card"}))
