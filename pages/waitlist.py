"""The waitlist's pieces (state/waitlist.py): the booking panel's offer to wait when the chosen
time has no seats, and "Лист ожидания" in "Мои брони"."""

from __future__ import annotations

import reflex as rx

from state.bookings import MyBookingsState
from state.waitlist import MyWaitlistState, WaitlistJoinState, WaitRow
from state.lang import t

W = WaitlistJoinState
MUTED = rx.color("gray", 11)


def join_waitlist() -> rx.Component:
    """Under the panel's "no seats" message: join the line for the same choice."""
    return rx.cond(
        W.error_field == "seats",
        rx.vstack(
            rx.cond(~W.in_line, rx.vstack(
                rx.text(t("Встаньте в лист ожидания: если место освободится, мы придержим его за вами и сразу сообщим."),
                        size="1", color=MUTED),
                rx.button(rx.cond(W.waiting_busy, rx.spinner(size="2"), rx.icon("list-plus", size=16)),
                          t("Встать в лист ожидания"), variant="outline", width="100%", size="3",
                          disabled=W.waiting_busy, on_click=W.join, custom_attrs={"data-testid": "waitlist-join"}),
                spacing="2", width="100%")),
            rx.cond(W.joined != "", rx.callout(W.joined, icon="info", size="1", width="100%", role="status",
                                               custom_attrs={"data-testid": "waitlist-joined"})),
            spacing="2", width="100%",
        ),
    )


def _row(r: WaitRow) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.link(r.title, href=r.space_href, size="2", weight="bold"),
            rx.text(r.when, size="2"),
            rx.text(r.note, size="1", color=rx.cond(r.booking_id != 0, rx.color("accent", 11), MUTED),
                    weight=rx.cond(r.booking_id != 0, "medium", "regular"),
                    custom_attrs={"data-testid": "waitlist-note"}),
            spacing="1", flex="1 1 240px", min_width="0",
        ),
        rx.cond(
            r.booking_id != 0,
            rx.button(rx.icon("credit-card", size=14), t("Оплатить"), size="2", on_click=MyBookingsState.pay(r.booking_id),
                      custom_attrs={"data-testid": "waitlist-pay"}),
            rx.cond(r.status == "waiting",
                    rx.button(t("Выйти из очереди"), size="2", variant="soft", color_scheme="gray",
                              on_click=MyWaitlistState.leave(r.id), custom_attrs={"data-testid": "waitlist-leave"})),
        ),
        spacing="3", align="center", wrap="wrap", width="100%", padding_y="10px",
        border_bottom=f"1px solid {rx.color('gray', 4)}", custom_attrs={"data-testid": "waitlist-entry"},
    )


def my_waitlist() -> rx.Component:
    """Shown when the person waits for something."""
    return rx.cond(
        MyWaitlistState.rows.length() > 0,
        rx.card(rx.vstack(
            rx.heading(t("Лист ожидания"), size="3"),
            rx.box(rx.foreach(MyWaitlistState.rows, _row), width="100%"),
            spacing="2", width="100%"), width="100%", custom_attrs={"data-testid": "my-waitlist"}),
    )
