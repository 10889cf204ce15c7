"""Payment page of the test provider, "My bookings" and the owner's "Bookings"."""

from __future__ import annotations

import reflex as rx

from pages.series import series_card
from pages.components import countdown, date_input, empty_state, offline_payment_card
from pages.layout import page_frame
from pages.reviews import review_form_dialog
from pages.checkin import checkin_button, checkin_pass_dialog
from pages.waitlist import my_waitlist
from state.inbox import InboxState
from state.reviews import ReviewFormState
from state.bookings import (
    BookingCard,
    CheckoutState,
    MyBookingsState,
    OccupancyRow,
    OwnerBookingsState,
    PriceLineView,
)
from state.lang import t

STATUS_CHOICES = [("all", t("Все статусы")), ("pending_payment", t("Ожидает оплаты")),
                  ("paid", t("Ждёт подтверждения")), ("confirmed", t("Подтверждено")),
                  ("cancelled", t("Отменено")), ("expired", t("Истекло")), ("completed", t("Завершено")),
                  ("no_show", t("Неявка"))]


def _checkout_line(line: PriceLineView) -> rx.Component:
    return rx.hstack(rx.text(line.label, size="2", color=rx.color("gray", 11)), rx.spacer(),
                     rx.text(line.amount, size="2", white_space="nowrap"),
                     width="100%", align="start", spacing="3", custom_attrs={"data-testid": "checkout-line"})


def _hold() -> rx.Component:
    """The hold's countdown, or (once it ran out) the way back to the same choice."""
    c = CheckoutState
    return rx.cond(
        c.lapsed,
        rx.callout.root(
            rx.callout.icon(rx.icon("timer-off", size=18)),
            rx.vstack(
                rx.text(t("Время на оплату вышло"), weight="bold", size="3"),
                rx.text(t("Бронь снята, места снова свободны для всех. Можно забронировать то же самое ещё раз — дата, время, места и опции уже выбраны."), size="2"),
                rx.link(rx.button(rx.icon("rotate-ccw", size=16), t("Забронировать снова"), size="3"),
                        href=c.rebook_href, custom_attrs={"data-testid": "checkout-rebook"}),
                spacing="2", align="start",
            ),
            color_scheme="red", width="100%", role="alert", custom_attrs={"data-testid": "checkout-expired"},
        ),
        rx.cond(
            c.holding & (c.status == "pending"),
            rx.callout.root(
                rx.callout.icon(rx.icon("timer", size=18)),
                rx.vstack(
                    rx.hstack(
                        rx.text(t("Места держатся за вами ещё"), size="2"),
                        rx.text(countdown(c.seconds_left, c.run, c.hold_ran_out, test_id="checkout-countdown",
                                          label=t("Осталось времени на оплату")),
                                size="6", weight="bold", style={"font_variant_numeric": "tabular-nums"}),
                        align="baseline", spacing="2", wrap="wrap",
                    ),
                    rx.text(t("Оплатите "), c.expires_label, t(", иначе бронь снимется и места освободятся."),
                            size="1"),
                    spacing="1",
                ),
                color_scheme="amber", width="100%", custom_attrs={"data-testid": "checkout-hold"},
            ),
        ),
    )


def _money_row(label, amount, *, strong: bool = False, test_id: str = "") -> rx.Component:
    return rx.hstack(
        rx.text(label, size="3" if strong else "2", weight="bold" if strong else "regular",
                color=None if strong else rx.color("gray", 11)),
        rx.spacer(),
        rx.text(amount, size="5" if strong else "2", weight="bold" if strong else "regular", white_space="nowrap",
                custom_attrs={"data-testid": test_id} if test_id else {}),
        width="100%", align="baseline",
    )


def _breakdown() -> rx.Component:
    c = CheckoutState
    return rx.vstack(
        rx.text(rx.cond(c.purpose == "change", t("Новая цена брони"), t("Из чего складывается цена")),
                size="2", weight="medium"),
        rx.foreach(c.lines, _checkout_line),
        rx.separator(size="4"),
        rx.cond(
            c.purpose == "change",
            rx.vstack(
                _money_row(t("Новая цена"), c.total, test_id="checkout-total"),
                _money_row(t("Уже оплачено"), "−" + c.paid_before),
                _money_row(t("К доплате"), c.amount, strong=True, test_id="checkout-amount"),
                spacing="1", width="100%",
            ),
            _money_row(t("Итого к оплате"), c.amount, strong=True, test_id="checkout-amount"),
        ),
        rx.cond(c.vat_note != "", rx.text(c.vat_note, size="1", color=rx.color("gray", 10))),
        spacing="2", width="100%", custom_attrs={"data-testid": "checkout-breakdown"},
    )


def _on_account() -> rx.Component:
    """"Оплатить на счёт компании" for members of companies, next to the card."""
    c = CheckoutState
    return rx.vstack(
        rx.separator(size="4"),
        rx.text(t("Или без карты — компания оплатит по недельному счёту:"), size="2", color=rx.color("gray", 11)),
        company_picker(c.account_company, c.companies, c.choose_company, "checkout-company"),
        rx.button(rx.cond(c.busy, rx.spinner(size="2"), rx.icon("building-2", size=16)),
                  t("Оплатить "), c.account_label, size="3", variant="outline", disabled=c.busy,
                  on_click=c.pay_on_account, white_space="normal", height="auto", min_height="40px",
                  custom_attrs={"data-testid": "checkout-pay-account"}),
        spacing="3", width="100%", align="start", custom_attrs={"data-testid": "checkout-on-account"},
    )


def checkout_page() -> rx.Component:
    c = CheckoutState
    return page_frame(offline_payment_card(
        c.found, rx.cond(c.purpose == "change", t("Доплата за изменение брони"), t("Оплата брони")),
        rx.vstack(
            rx.text(c.space, weight="bold", size="3"),
            rx.text(c.resource, size="2", color=rx.color("gray", 11)),
            rx.hstack(rx.text(c.when, size="2"), rx.text("·", size="2", color=rx.color("gray", 9)),
                      rx.text(c.seats, size="2"), spacing="2", wrap="wrap"),
            spacing="1", width="100%", custom_attrs={"data-testid": "checkout-booking"},
        ),
        _hold(),
        _breakdown(),
        rx.cond(c.policy_name != "", rx.text(t("Условия отмены: "), c.policy_name, size="1",
                                             color=rx.color("gray", 11))),
        rx.cond(c.message != "", rx.callout(c.message, icon="info", color_scheme="red", size="1",
                                            width="100%", role="alert")),
        rx.cond(
            (c.status == "pending") & ~c.lapsed,
            rx.flex(
                rx.button(rx.cond(c.busy, rx.spinner(size="2"), rx.icon("check", size=16)),
                          t("Оплатить"), size="3", disabled=c.busy,
                          on_click=c.complete("succeeded"),
                          custom_attrs={"data-testid": "checkout-pay"}),
                rx.button(t("Отклонить"), size="3", variant="soft", color_scheme="red",
                          disabled=c.busy, on_click=c.complete("declined"),
                          custom_attrs={"data-testid": "checkout-decline"}),
                spacing="3", wrap="wrap",
            ),
            rx.link(rx.button(t("К моим броням"), variant="soft"), href="/cabinet/bookings"),
        ),
        rx.cond((c.status == "pending") & ~c.lapsed & (c.companies.length() > 0), _on_account()),
        missing=empty_state("credit-card", t("Платёж не найден"),
                            rx.link(rx.button(t("К моим броням")), href="/cabinet/bookings")),
    ))


def _actions(b: BookingCard, owner: bool) -> rx.Component:
    s = OwnerBookingsState if owner else MyBookingsState
    if owner:
        buttons = [
            rx.cond(b.can_accept, rx.button(t("Принять"), size="1", color_scheme="green",
                                            on_click=s.accept(b.id),
                                            custom_attrs={"data-testid": "booking-accept"})),
            rx.cond(b.can_accept, rx.button(t("Отклонить"), size="1", variant="soft", color_scheme="red",
                                            on_click=s.open_dialog("reject", b),
                                            custom_attrs={"data-testid": "booking-reject"})),
            rx.cond(b.can_no_show, rx.button(t("Неявка"), size="1", variant="soft",
                                             on_click=s.open_dialog("no_show", b),
                                             custom_attrs={"data-testid": "booking-no-show"})),
        ]
    else:
        buttons = [
            rx.cond(b.can_pay, rx.button(t("Оплатить"), size="1", on_click=s.pay(b.id),
                                         custom_attrs={"data-testid": "booking-pay"})),
            rx.cond(b.can_pay & (s.companies.length() > 0), rx.button(
                rx.icon("building-2", size=14), t("На счёт компании"), size="1", variant="soft",
                on_click=s.open_dialog("account", b), custom_attrs={"data-testid": "booking-pay-account"})),
            rx.cond(b.can_modify, rx.button(t("Изменить"), size="1", variant="soft",
                                            on_click=s.open_dialog("modify", b),
                                            custom_attrs={"data-testid": "booking-modify"})),
        ]
    buttons.append(rx.cond(b.can_cancel, rx.button(
        t("Отменить"), size="1", variant="soft", color_scheme="red", on_click=s.open_dialog("cancel", b),
        custom_attrs={"data-testid": "booking-cancel"})))
    buttons.append(rx.cond(b.has_receipt, rx.button(
        rx.icon("file-text", size=14), t("Чек PDF"), size="1", variant="outline",
        on_click=s.download(b.id, "receipt"), custom_attrs={"data-testid": "booking-receipt"})))
    buttons.append(rx.foreach(b.credit_notes, lambda note_id: rx.button(
        rx.icon("file-minus", size=14), t("Возврат PDF"), size="1", variant="outline",
        on_click=s.download(b.id, "credit-note-" + note_id),
        custom_attrs={"data-testid": "booking-credit-note"})))
    if not owner:
        buttons.append(rx.cond(b.can_check_in, checkin_button(b.id)))
        buttons.append(rx.button(rx.icon("calendar-plus", size=14), t("В календарь"), size="1",
                                 variant="outline", on_click=s.download(b.id, "ics")))
        buttons.append(rx.cond(b.can_review, rx.button(
            rx.icon("star", size=14), t("Оставить отзыв"), size="1",
            on_click=ReviewFormState.start(b.id, b.space), custom_attrs={"data-testid": "booking-review"})))
        buttons.append(rx.cond(b.review_id > 0, rx.button(
            rx.icon("pencil", size=14), t("Изменить отзыв"), size="1", variant="soft",
            on_click=ReviewFormState.start_edit(b.review_id, b.space),
            custom_attrs={"data-testid": "booking-review-edit"})))
    buttons.append(rx.cond(b.can_message, rx.button(
        rx.icon("message-circle", size=14), t("Написать гостю") if owner else t("Написать владельцу"),
        size="1", variant="ghost", on_click=InboxState.open_booking(b.id),
        custom_attrs={"data-testid": "booking-message"})))
    return rx.flex(*buttons, spacing="2", wrap="wrap")


def booking_card(b: BookingCard, owner: bool = False) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.link(rx.text(b.space, weight="bold"), href=b.space_href),
                rx.spacer(),
                rx.badge(b.status_label, color_scheme=b.color, custom_attrs={"data-testid": "booking-status"}),
                width="100%", spacing="2", wrap="wrap", align="center",
            ),
            rx.text(b.resource, size="2", color=rx.color("gray", 11)),
            rx.flex(rx.text(b.when, size="2"), rx.text(b.seats, size="2"),
                    rx.text(b.total, size="2", weight="bold"), spacing="3", wrap="wrap"),
            rx.cond(b.renter != "", rx.text(t("Арендатор: "), b.renter, size="2")),
            rx.cond(b.on_account != "", rx.badge(rx.icon("building-2", size=12), b.on_account, variant="soft",
                                                 color_scheme="teal", white_space="normal",
                                                 custom_attrs={"data-testid": "booking-on-account"})),
            rx.cond(b.note != "", rx.text(b.note, size="1", color=rx.color("gray", 10))),
            rx.cond(b.series_href != "", rx.link(rx.icon("repeat", size=12, display="inline", margin_right="4px",
                                                         vertical_align="-1px"), t("Из серии: все даты"),
                                                 href=b.series_href, size="1",
                                                 custom_attrs={"data-testid": "booking-series"})),
            rx.foreach(b.penalties, lambda p: rx.text(rx.icon("receipt", size=12, display="inline", margin_right="4px",
                                                              vertical_align="-1px"), p,
                                                      size="1", color=rx.color("amber", 11),
                                                      custom_attrs={"data-testid": "booking-penalty"})),
            rx.cond(b.review_label != "", rx.badge(b.review_label, variant="soft", color_scheme="gray",
                                                   custom_attrs={"data-testid": "booking-review-status"})),
            _actions(b, owner),
            spacing="2", width="100%",
        ),
        width="100%", custom_attrs={"data-testid": "booking-card", "data-booking": b.id},
    )


def _owner_dialog(s) -> rx.Component:
    """The owner's "Отклонить" (with the reason the guest will read) and "Неявка": asked
    before they happen."""
    rejecting = s.dialog == "reject"
    return rx.alert_dialog.root(rx.alert_dialog.content(
        rx.alert_dialog.title(rx.cond(rejecting, t("Отклонить бронь № "), t("Отметить неявку по брони № ")),
                              s.target.id, "?"),
        rx.alert_dialog.description(rx.vstack(
            rx.text(s.target.space, " — ", s.target.when, size="2"),
            rx.text(s.target.renter, size="2"),
            rx.cond(rejecting,
                    rx.text(t("Гостю вернётся всё, что он заплатил: "), rx.text.strong(s.target.refund_now),
                            t(". Причину он увидит в уведомлении и в истории брони."), size="2",
                            custom_attrs={"data-testid": "reject-refund"}),
                    rx.text(t("Гость не пришёл: бронь закроется без возврата денег."), size="2")),
            spacing="1")),
        rx.cond(rejecting, rx.vstack(
            rx.el.label(t("Причина для гостя"), html_for="owner-reason",
                        style={"font_size": "var(--font-size-2)", "font_weight": "500"}),
            rx.text_area(id="owner-reason", value=s.reason, rows="3", width="100%",
                         placeholder=t("Например: в этот день зал закрыт на ремонт"),
                         on_change=lambda v: s.set_field("reason", v),
                         custom_attrs={"data-testid": "reject-reason"}),
            spacing="1", width="100%", margin_top="12px")),
        rx.cond(s.error != "", rx.text(s.error, color=rx.color("red", 11), size="2", role="alert",
                                       custom_attrs={"data-testid": "dialog-error"})),
        rx.flex(
            rx.alert_dialog.cancel(rx.button(t("Не надо"), variant="soft", color_scheme="gray", on_click=s.close_dialog)),
            rx.button(rx.cond(s.busy, rx.spinner(size="2"), rx.cond(rejecting, t("Отклонить бронь"), t("Отметить неявку"))),
                      color_scheme="red", on_click=s.confirm_owner_action,
                      disabled=s.busy | (rejecting & (s.reason.strip() == "")),
                      custom_attrs={"data-testid": "owner-confirm"}),
            spacing="3", justify="end", margin_top="16px", wrap="wrap",
        ),
    ), open=(s.dialog == "reject") | (s.dialog == "no_show"))


def _dialogs(s, owner: bool = False) -> rx.Component:
    return rx.fragment(
        _owner_dialog(s) if owner else rx.fragment(),
        rx.alert_dialog.root(rx.alert_dialog.content(
            rx.alert_dialog.title(t("Отменить бронь № "), s.target.id, "?"),
            rx.alert_dialog.description(
                rx.vstack(
                    rx.text(s.target.space, " — ", s.target.when, size="2"),
                    rx.text(t("Гостю вернётся: ") if owner else t("Вернём: "), rx.text.strong(s.target.refund_now),
                            t(" (отмена владельцем — полный возврат)") if owner
                            else t(" (по условиям отмены пространства)"), size="2",
                            custom_attrs={"data-testid": "cancel-refund"}),
                    spacing="1"),
            ),
            rx.input(placeholder=t("Причина для гостя (обязательно)") if owner else t("Причина (необязательно)"),
                     value=s.reason, aria_label=t("Причина отмены"),
                     on_change=lambda v: s.set_field("reason", v), margin_top="12px",
                     custom_attrs={"data-testid": "cancel-reason"}),
            rx.cond(s.error != "", rx.text(s.error, color=rx.color("red", 11), size="2", role="alert")),
            rx.flex(
                rx.alert_dialog.cancel(rx.button(t("Не отменять"), variant="soft", color_scheme="gray",
                                                 on_click=s.close_dialog)),
                rx.button(rx.cond(s.busy, rx.spinner(size="2"), t("Отменить бронь")), color_scheme="red",
                          on_click=s.confirm_cancel, disabled=s.busy,
                          custom_attrs={"data-testid": "cancel-confirm"}),
                spacing="3", justify="end", margin_top="16px",
            ),
        ), open=s.dialog == "cancel"),
        _modify_dialog(s) if not owner else rx.fragment(),
        _account_dialog(s) if not owner else rx.fragment(),
    )


def company_picker(value, companies, on_change, test_id: str) -> rx.Component:
    """Which company pays: a select when the person belongs to several."""
    return rx.cond(
        companies.length() > 1,
        rx.select.root(
            rx.select.trigger(aria_label=t("Компания"), width="100%", custom_attrs={"data-testid": test_id}),
            rx.select.content(rx.foreach(companies, lambda o: rx.select.item(o.label, value=o.value))),
            value=value, on_change=on_change,
        ),
    )


def _account_dialog(s) -> rx.Component:
    """"На счёт компании" from a booking card: the company (if several) and the confirmation."""
    return rx.alert_dialog.root(rx.alert_dialog.content(
        rx.alert_dialog.title(t("Оплатить бронь № "), s.target.id, t(" на счёт компании")),
        rx.alert_dialog.description(rx.vstack(
            rx.text(s.target.space, " — ", s.target.when, size="2"),
            rx.text(t("Сумма: "), rx.text.strong(s.target.total), t(". Картой платить не нужно: компания оплатит бронь по недельному счёту."), size="2"),
            spacing="1")),
        rx.box(company_picker(s.account_company, s.companies, s.choose_company, "account-company"),
               margin_top="12px", width="100%"),
        rx.cond(s.error != "", rx.callout(s.error, icon="circle-alert", color_scheme="red", size="1", role="alert",
                                          margin_top="12px", custom_attrs={"data-testid": "account-error"})),
        rx.flex(
            rx.alert_dialog.cancel(rx.button(t("Отмена"), variant="soft", color_scheme="gray", on_click=s.close_dialog)),
            rx.button(rx.cond(s.busy, rx.spinner(size="2"), rx.icon("building-2", size=16)),
                      t("Оплатить на счёт компании"), on_click=s.confirm_pay_on_account, disabled=s.busy,
                      custom_attrs={"data-testid": "account-confirm"}),
            spacing="3", justify="end", margin_top="16px", wrap="wrap",
        ),
    ), open=s.dialog == "account", on_open_change=s.dialog_open_changed)


# The 30-minute grid of local times a booking starts and ends on (24-hour).
TIMES = [f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 30)]


def _time_select(value, on_change, label: str, test_id: str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label=label, width="100%", custom_attrs={"data-testid": test_id}),
        rx.select.content(*[rx.select.item(t, value=t) for t in TIMES]),
        value=value, on_change=on_change,
    )


def _labelled(label: str, child: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="2", weight="medium"), child, spacing="1", width="100%", min_width="0")


def _preview_line(line: PriceLineView) -> rx.Component:
    return rx.hstack(rx.text(line.label, size="1", color=rx.color("gray", 11)), rx.spacer(),
                     rx.text(line.amount, size="1", white_space="nowrap"), width="100%", align="start")


def _change_preview(s) -> rx.Component:
    """The new price and the difference, before "Сохранить" (bookings.quote_change)."""
    p = s.preview
    return rx.vstack(
        rx.cond(p.error != "", rx.callout(p.error, icon="triangle-alert", color_scheme="red", size="1",
                                          width="100%", role="alert",
                                          custom_attrs={"data-testid": "change-error"})),
        rx.cond(p.ready, rx.box(rx.vstack(
            rx.foreach(p.lines, _preview_line),
            rx.separator(size="4"),
            rx.hstack(rx.text(t("Новая цена"), size="2", weight="bold"), rx.spacer(),
                      rx.text(p.total, size="2", weight="bold", custom_attrs={"data-testid": "change-total"}),
                      width="100%"),
            rx.hstack(rx.text(t("Было"), size="2", color=rx.color("gray", 11)), rx.spacer(),
                      rx.text(p.old_total, size="2", color=rx.color("gray", 11)), width="100%"),
            rx.hstack(rx.text(t("Разница"), size="2"), rx.spacer(),
                      rx.text(p.difference, size="2", weight="bold",
                              custom_attrs={"data-testid": "change-difference"}), width="100%"),
            rx.callout(p.money, icon="wallet", color_scheme=p.tone, size="1", width="100%",
                       custom_attrs={"data-testid": "change-money"}),
            rx.cond(p.approval != "", rx.text(p.approval, size="1", color=rx.color("gray", 11))),
            spacing="1", width="100%"),
            padding="10px", border_radius="var(--radius-3)", background=rx.color("gray", 2),
            border=f"1px solid {rx.color('gray', 5)}", width="100%",
            custom_attrs={"data-testid": "change-preview"})),
        spacing="2", width="100%", aria_live="polite",
    )


def _modify_dialog(s) -> rx.Component:
    return rx.dialog.root(rx.dialog.content(
        rx.dialog.title(t("Изменить бронь № "), s.target.id),
        rx.dialog.description(s.target.space, " — ", s.target.when, size="2", color=rx.color("gray", 11)),
        rx.vstack(
            rx.grid(
                _labelled(t("Дата начала"), date_input(s.new_day, lambda v: s.set_field("new_day", v),
                                                    label=t("Дата начала"), test_id="change-day", width="100%")),
                _labelled(t("Время начала"), _time_select(s.new_from, lambda v: s.set_field("new_from", v),
                                                       t("Время начала"), "change-from")),
                _labelled(t("Дата окончания"), date_input(s.new_end_day, lambda v: s.set_field("new_end_day", v),
                                                       label=t("Дата окончания"), test_id="change-end-day",
                                                       width="100%")),
                _labelled(t("Время окончания"), _time_select(s.new_to, lambda v: s.set_field("new_to", v),
                                                          t("Время окончания"), "change-to")),
                columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%",
            ),
            rx.cond(~s.target.whole, _labelled(t("Мест"), rx.input(
                type="number", min="1", value=s.new_seats, aria_label=t("Мест"), width="8rem",
                on_change=lambda v: s.set_field("new_seats", v), debounce_timeout=400,
                custom_attrs={"data-testid": "change-seats"}))),
            rx.text(t("Время — по часовому поясу пространства. Добавки и промокод остаются прежними."),
                    size="1", color=rx.color("gray", 10)),
            _change_preview(s),
            rx.cond(s.error != "", rx.text(s.error, color=rx.color("red", 11), size="2", role="alert")),
            spacing="3", width="100%", margin_top="12px",
        ),
        rx.flex(
            rx.dialog.close(rx.button(t("Закрыть"), variant="soft", color_scheme="gray",
                                      on_click=s.close_dialog)),
            rx.button(rx.cond(s.busy, rx.spinner(size="2"), t("Сохранить изменение")), on_click=s.confirm_modify,
                      disabled=s.busy | ~s.preview.ready | (s.preview.error != ""),
                      custom_attrs={"data-testid": "change-confirm"}),
            spacing="3", justify="end", margin_top="16px", wrap="wrap",
        ),
        max_width="520px",
    ), open=s.dialog == "modify")


def _list(s, owner: bool, empty_text: str) -> rx.Component:
    return rx.cond(
        s.loading,
        rx.vstack(rx.skeleton(height="110px"), rx.skeleton(height="110px"), width="100%"),
        rx.cond(
            s.cards.length() > 0,
            rx.vstack(rx.foreach(s.cards, lambda b: booking_card(b, owner)), spacing="3", width="100%"),
            empty_state("calendar-x", empty_text,
                        rx.link(rx.button(t("Найти пространство")), href="/search") if not owner else rx.fragment()),
        ),
    )


def my_bookings_page() -> rx.Component:
    s = MyBookingsState
    return page_frame(rx.vstack(
        rx.flex(rx.heading(t("Мои брони"), size="6"), rx.spacer(),
                rx.link(t("Профиль и безопасность"), href="/cabinet", size="2"),
                width="100%", align="center", wrap="wrap", spacing="2"),
        rx.cond(s.message != "", rx.callout(s.message, icon="circle-check", color_scheme="green", high_contrast=True,
                                            width="100%", custom_attrs={"data-testid": "bookings-message"})),
        rx.cond((s.error != "") & (s.dialog == ""), rx.callout(s.error, icon="triangle-alert",
                                                               color_scheme="red", width="100%")),
        series_card(),
        rx.tabs.root(
            # The tabs filter one list: every tab controls it (Radix would point each tab at
            # a panel of its own, which does not exist here).
            rx.tabs.list(*[rx.tabs.trigger(label, value=value, custom_attrs={"aria-controls": "bookings-list"})
                           for value, label in (("upcoming", t("Предстоящие")), ("past", t("Прошедшие")),
                                                ("cancelled", t("Отменённые")))]),
            value=s.tab, on_change=s.set_tab, width="100%",
        ),
        rx.box(_list(s, False, t("Здесь пока пусто")), id="bookings-list", role="tabpanel", width="100%"),
        my_waitlist(),
        checkin_pass_dialog(),
        rx.card(rx.vstack(
            rx.text(t("Календарь броней"), weight="bold", size="2"),
            rx.text(t("Добавьте эту ссылку в Google, Outlook или Apple Календарь как подписку — брони появятся там сами. Ссылка личная, не публикуйте её."), size="1", color=rx.color("gray", 11)),
            rx.code(s.feed_url, size="1", word_break="break-all"),
            spacing="1"), width="100%"),
        _dialogs(s),
        review_form_dialog(),
        spacing="3", width="100%",
    ))


def _occupancy(row: OccupancyRow) -> rx.Component:
    return rx.hstack(
        rx.text(row.time, size="1", width="44px", color=rx.color("gray", 11)),
        rx.box(rx.box(width=row.percent.to_string() + "%", height="100%",
                      background=rx.color("accent", 9), border_radius="var(--radius-1)"),
               width="100%", height="14px", background=rx.color("gray", 4), border_radius="var(--radius-1)"),
        rx.text(row.booked, "/", row.capacity, size="1", width="48px", align="right"),
        width="100%", align="center", spacing="2",
    )


def _select(value, options, on_change, placeholder: str = "", label: str = "") -> rx.Component:
    return rx.select.root(
        rx.select.trigger(placeholder=placeholder, min_width="160px", max_width="100%",
                          width=rx.breakpoints(initial="100%", sm="auto"),
                          aria_label=label if isinstance(label, rx.Var) or label else placeholder),
        rx.select.content(*options) if isinstance(options, list) else rx.select.content(
            rx.foreach(options, lambda o: rx.select.item(o.label, value=o.value))),
        value=value, on_change=on_change,
    )


def owner_bookings_page() -> rx.Component:
    s = OwnerBookingsState
    return page_frame(rx.vstack(
        rx.flex(rx.heading(t("Брони моих пространств"), size="6"), rx.spacer(),
                rx.link(t("Мои пространства"), href="/owner", size="2"),
                width="100%", align="center", wrap="wrap", spacing="2"),
        rx.cond(s.message != "", rx.callout(s.message, icon="circle-check", color_scheme="green", high_contrast=True, width="100%")),
        rx.cond((s.error != "") & (s.dialog == ""), rx.callout(s.error, icon="triangle-alert",
                                                               color_scheme="red", width="100%")),
        rx.flex(
            _select(s.space_filter, [rx.select.item(t("Все пространства"), value="all"),
                                     rx.foreach(s.spaces, lambda o: rx.select.item(o.label, value=o.value))],
                    lambda v: s.set_filter("space_filter", v), label=t("Пространство")),
            _select(s.resource_filter, [rx.select.item(t("Все ресурсы"), value="all"),
                                        rx.foreach(s.resources, lambda o: rx.select.item(o.label, value=o.value))],
                    lambda v: s.set_filter("resource_filter", v), label=t("Ресурс")),
            _select(s.status_filter, [rx.select.item(label, value=value) for value, label in STATUS_CHOICES],
                    lambda v: s.set_filter("status_filter", v), label=t("Статус")),
            date_input(s.date_from, lambda v: s.set_filter("date_from", v), label=t("С даты"),
                       test_id="owner-date-from", width="9.5rem"),
            date_input(s.date_to, lambda v: s.set_filter("date_to", v), label=t("По дату"),
                       test_id="owner-date-to", width="9.5rem"),
            spacing="2", wrap="wrap", width="100%",
        ),
        _list(s, True, t("Броней по этим условиям нет")),
        rx.card(rx.vstack(
            rx.heading(t("Загрузка ресурса за день"), size="3"),
            rx.flex(
                _select(s.day_resource, s.resources, lambda v: s.set_day_view("day_resource", v), t("Ресурс")),
                date_input(s.day, lambda v: s.set_day_view("day", v), label=t("День"), test_id="day-view-day",
                           width="9.5rem"),
                spacing="2", wrap="wrap", width="100%"),
            rx.cond(s.occupancy.length() > 0,
                    rx.vstack(rx.foreach(s.occupancy, _occupancy), spacing="1", width="100%"),
                    rx.text(t("В этот день пространство закрыто"), size="2", color=rx.color("gray", 10))),
            rx.cond(s.waiting.length() > 0, rx.vstack(
                rx.text(t("Лист ожидания"), weight="bold", size="2"),
                rx.foreach(s.waiting, lambda w: rx.flex(
                    rx.text(w.when, size="2", min_width="100px"), rx.text(w.seats, size="2", color=rx.color("gray", 11)),
                    rx.text(w.status, size="2", color=rx.color("gray", 11)),
                    spacing="3", wrap="wrap", custom_attrs={"data-testid": "day-waitlist-row"})),
                spacing="1", width="100%")),
            spacing="3", width="100%"), width="100%", custom_attrs={"data-testid": "day-view"}),
        _dialogs(s, owner=True),
        spacing="3", width="100%",
    ))
