"""The booking panel of a space page (state: state/booking.py)."""

from __future__ import annotations

import reflex as rx

from pages.series import repeat_choice, series_submit
from pages.waitlist import join_waitlist
from state.booking import BookingPanelState, DayCell, Line
from state.lang import t

B = BookingPanelState
WEEK = [t("Пн"), t("Вт"), t("Ср"), t("Чт"), t("Пт"), t("Сб"), t("Вс")]


def _label(text: str) -> rx.Component:
    return rx.text(text, size="2", weight="medium")


def _day(cell: DayCell) -> rx.Component:
    # A full day can be chosen too: its hours are offered for the waitlist.
    clickable = (cell.state == "free") | (cell.state == "selected") | (cell.state == "full")
    return rx.box(
        rx.text(cell.label, size="2", align="center",
                weight=rx.cond(cell.state == "selected", "bold", "regular")),
        padding_y="6px",
        border_radius="var(--radius-2)",
        cursor=rx.cond(clickable, "pointer", "default"),
        background=rx.match(cell.state, ("selected", rx.color("accent", 9)),
                            ("free", rx.color("accent", 3)), "transparent"),
        color=rx.match(cell.state, ("selected", "white"), ("free", rx.color("gray", 12)),
                       ("blank", "transparent"), rx.color("gray", 8)),
        text_decoration=rx.cond((cell.state == "full") | (cell.state == "closed"), "line-through", "none"),
        on_click=rx.cond(clickable, B.choose_day(cell.iso), rx.noop()),
        custom_attrs={"data-day": cell.iso, "data-state": cell.state},
    )


def calendar() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.icon_button(rx.icon("chevron-left", size=16), variant="ghost", size="1",
                           on_click=B.shift_month(-1), aria_label=t("Предыдущий месяц")),
            rx.text(B.month_label, size="2", weight="medium"),
            rx.icon_button(rx.icon("chevron-right", size=16), variant="ghost", size="1",
                           on_click=B.shift_month(1), aria_label=t("Следующий месяц")),
            justify="between", align="center", width="100%",
        ),
        rx.grid(
            *[rx.text(d, size="1", align="center", color=rx.color("gray", 10)) for d in WEEK],
            rx.foreach(B.cells, _day),
            columns="7", spacing="1", width="100%",
        ),
        rx.text(t("Зачёркнутые дни заняты или закрыты"), size="1", color=rx.color("gray", 10)),
        spacing="2", width="100%", custom_attrs={"data-testid": "booking-calendar"},
    )


def _stepper(value, on_minus, on_plus, test_id: str, disabled=False) -> rx.Component:
    return rx.hstack(
        rx.icon_button(rx.icon("minus", size=14), variant="soft", size="2", on_click=on_minus,
                       disabled=disabled, aria_label=t("Меньше"),
                       custom_attrs={"data-testid": f"{test_id}-minus"}),
        rx.text(value, size="3", weight="bold", min_width="28px", align="center",
                custom_attrs={"data-testid": test_id}),
        rx.icon_button(rx.icon("plus", size=14), variant="soft", size="2", on_click=on_plus,
                       disabled=disabled, aria_label=t("Больше"),
                       custom_attrs={"data-testid": f"{test_id}-plus"}),
        align="center", spacing="2",
    )


def _select(value, options, on_change, test_id: str, placeholder: str, label: str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(placeholder=placeholder, width="100%", aria_label=label,
                          custom_attrs={"data-testid": test_id}),
        rx.select.content(rx.foreach(options, lambda o: rx.select.item(o.label, value=o.value))),
        value=value, on_change=on_change,
    )


def _line(line: Line) -> rx.Component:
    return rx.hstack(rx.text(line.label, size="2", color=rx.color("gray", 11)), rx.spacer(),
                     rx.text(line.amount, size="2", white_space="nowrap"), width="100%",
                     align="start")


def _payer() -> rx.Component:
    """How to pay, for members of companies: by card or on a company's account."""
    return rx.cond(B.payers.length() > 0, rx.vstack(
        rx.text(t("Оплата"), size="2", weight="medium", id="book-payer-label"),
        rx.radio_group.root(
            rx.vstack(rx.foreach(B.payers, lambda p: rx.el.label(
                rx.flex(rx.radio_group.item(value=p.id), rx.text(p.label, size="2"), spacing="2", align="center"),
                custom_attrs={"data-payer": p.id})), spacing="2"),
            value=B.payer, on_change=B.set_payer,
            custom_attrs={"aria-labelledby": "book-payer-label", "data-testid": "book-payer"},
        ),
        spacing="1", width="100%",
    ))


def _plan() -> rx.Component:
    """The person's plans in this space: which pays (the first is chosen)."""
    return rx.cond(B.plan_options.length() > 0, rx.vstack(
        _label(t("Абонемент")),
        rx.select.root(
            rx.select.trigger(width="100%", aria_label=t("Абонемент"), custom_attrs={"data-testid": "book-plan"}),
            rx.select.content(rx.foreach(B.plan_options, lambda p: rx.select.item(p.label, value=p.id))),
            value=B.plan, on_change=B.set_plan,
        ),
        rx.cond(B.plan_note != "", rx.text(B.plan_note, size="1", color=rx.color("amber", 11),
                                           custom_attrs={"data-testid": "book-plan-note"})),
        spacing="1", width="100%"))


def booking_panel() -> rx.Component:
    return rx.cond(
        B.resources.length() > 0,
        rx.card(
            rx.vstack(
                rx.heading(t("Забронировать"), size="4"),
                rx.cond(B.resources.length() > 1, rx.vstack(
                    _label(t("Что бронируем")),
                    rx.select.root(
                        rx.select.trigger(width="100%", aria_label=t("Что бронируем"), custom_attrs={"data-testid": "book-resource"}),
                        rx.select.content(rx.foreach(
                            B.resources, lambda r: rx.select.item(r.label, value=r.id))),
                        value=B.resource_id, on_change=B.choose_resource,
                    ),
                    spacing="1", width="100%")),
                rx.cond(B.day_mode_allowed, rx.segmented_control.root(
                    rx.segmented_control.item(t("По часам"), value="hours"),
                    rx.segmented_control.item(t("На дни"), value="days"),
                    value=B.mode, on_change=B.set_mode, width="100%", size="1",
                )),
                calendar(),
                rx.cond(
                    B.mode == "hours",
                    rx.grid(
                        rx.vstack(_label(t("Начало")), _select(B.start, B.starts, B.set_start,
                                                            "book-start", "—", t("Начало")),
                                  spacing="1", width="100%"),
                        rx.vstack(_label(t("Конец")), _select(B.end, B.ends, B.set_end,
                                                           "book-end", "—", t("Конец")),
                                  spacing="1", width="100%"),
                        columns="2", spacing="2", width="100%",
                    ),
                    rx.hstack(_label(t("Дней")), rx.spacer(),
                              _stepper(B.days, B.change_days(-1), B.change_days(1), "book-days"),
                              width="100%", align="center"),
                ),
                rx.hstack(
                    _label(t("Мест")), rx.spacer(),
                    _stepper(B.seats, B.change_seats(-1), B.change_seats(1), "book-seats",
                             disabled=B.whole),
                    width="100%", align="center",
                ),
                repeat_choice(),
                rx.cond((B.mode == "hours") & ~B.full,
                        rx.button(rx.cond(B.show_taken, t("Показать только свободное время"),
                                          t("Нужное время занято? Показать всё и встать в лист ожидания")),
                                  size="1", variant="ghost", on_click=B.toggle_taken, white_space="normal",
                                  height="auto", text_align="left",
                                  custom_attrs={"data-testid": "book-show-taken"})),
                rx.cond(B.whole, rx.text(t("Бронируется целиком"), size="1", color=rx.color("gray", 10))),
                rx.text(B.free_note, size="1", color=rx.color("gray", 10),
                        custom_attrs={"data-testid": "book-free"}),
                _plan(),
                rx.cond(B.addons.length() > 0, rx.vstack(
                    _label(t("Дополнительно")),
                    rx.foreach(B.addons, lambda a: rx.checkbox(
                        a.label, checked=a.checked, size="2",
                        on_change=lambda v: B.toggle_addon(a.code, v),
                        custom_attrs={"data-addon": a.code})),
                    spacing="1", width="100%")),
                rx.vstack(
                    rx.hstack(
                        rx.input(placeholder=t("Промокод"), value=B.promo, on_change=B.set_promo,
                                 on_key_down=B.promo_key, width="100%", aria_label=t("Промокод"),
                                 color_scheme=rx.cond(B.promo_error != "", "red", "teal"),
                                 aria_invalid=rx.cond(B.promo_error != "", "true", "false"),
                                 aria_describedby=rx.cond(B.promo_error != "", "book-promo-error", ""),
                                 custom_attrs={"data-testid": "book-promo"}),
                        rx.button(t("Применить"), variant="soft", on_click=B.apply_promo,
                                  custom_attrs={"data-testid": "book-promo-apply"}),
                        width="100%",
                    ),
                    rx.cond(B.promo_error != "", rx.text(B.promo_error, size="1", color=rx.color("red", 11),
                                                         id="book-promo-error", role="alert",
                                                         custom_attrs={"data-testid": "book-promo-error"})),
                    rx.cond(B.promo_note != "", rx.text(B.promo_note, size="1", color=rx.color("green", 11),
                                                        custom_attrs={"data-testid": "book-promo-note"})),
                    spacing="1", width="100%",
                ),
                rx.cond(B.error != "", rx.callout(B.error, icon="triangle-alert", color_scheme="red",
                                                  size="1", width="100%",
                                                  custom_attrs={"data-testid": "book-error"})),
                join_waitlist(),
                rx.cond(B.total != "", rx.vstack(
                    rx.foreach(B.lines, _line),
                    rx.separator(size="4"),
                    rx.hstack(rx.text(t("Итого"), weight="bold"), rx.spacer(),
                              rx.text(B.total, weight="bold", size="4",
                                      custom_attrs={"data-testid": "book-total"}),
                              width="100%", align="center"),
                    rx.cond(B.vat_note != "", rx.text(B.vat_note, size="1", color=rx.color("gray", 10))),
                    spacing="1", width="100%", custom_attrs={"data-testid": "book-price"},
                )),
                rx.cond(~B.by_plan, _payer()),
                series_submit(rx.button(
                    rx.cond(B.busy, rx.spinner(size="2"),
                            rx.icon(rx.cond(B.by_plan, "ticket-check",
                                            rx.cond(B.payer == "card", "credit-card", "building-2")), size=16)),
                    rx.cond(B.by_plan, t("Забронировать по абонементу"),
                            rx.cond(B.payer == "card", t("Забронировать и оплатить"), t("Забронировать на счёт компании"))),
                    width="100%", size="3", on_click=B.book,
                    disabled=B.busy | (B.total == "") | (B.error != ""),
                    custom_attrs={"data-testid": "book-submit"},
                )),
                rx.cond(B.by_plan, rx.text(t("Оплачивать ничего не нужно: бронь сразу ваша"), size="1",
                                           color=rx.color("gray", 11), custom_attrs={"data-testid": "book-plan-free"}),
                rx.cond(
                    B.payer == "card",
                    rx.hstack(
                        rx.icon("timer", size=14, color=rx.color("gray", 10), flex_shrink="0"),
                        rx.text(t("После нажатия места держатся за вами "), B.hold_minutes,
                                t(" мин — за это время нужно оплатить"), size="1", color=rx.color("gray", 11)),
                        spacing="1", align="center", custom_attrs={"data-testid": "book-hold-note"},
                    ),
                    rx.hstack(
                        rx.icon("receipt-text", size=14, color=rx.color("gray", 10), flex_shrink="0"),
                        rx.text(t("Бронь оплачивается сразу, со счёта компании; сумма войдёт в её счёт за неделю"),
                                size="1", color=rx.color("gray", 11)),
                        spacing="1", align="center", custom_attrs={"data-testid": "book-account-note"},
                    ),
                )),
                rx.vstack(
                    rx.text(t("Условия отмены: "), B.policy_name, size="1", weight="medium"),
                    rx.foreach(B.policy_terms, lambda t: rx.text("• ", t, size="1",
                                                                 color=rx.color("gray", 11))),
                    rx.cond(B.approval_note != "", rx.text(B.approval_note, size="1",
                                                           color=rx.color("gray", 11))),
                    spacing="0", width="100%", custom_attrs={"data-testid": "book-policy"},
                ),
                spacing="3", width="100%",
            ),
            width="100%", id="booking-panel", scroll_margin_top="72px",
            custom_attrs={"data-testid": "booking-panel"},
        ),
    )
