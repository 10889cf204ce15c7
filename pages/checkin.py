"""Check-in's pieces (state/checkin.py): the guest's "Вход по QR" dialog in "Мои брони", and the
staff's page /checkin that a scanned QR code opens."""

from __future__ import annotations

import reflex as rx

from pages.components import empty_state
from pages.layout import page_frame
from state.checkin import CheckinPassState, StaffCheckinState
from state.lang import t

C = CheckinPassState
MUTED = rx.color("gray", 11)


def checkin_button(booking_id) -> rx.Component:
    return rx.button(rx.icon("qr-code", size=14), t("Вход по QR"), size="1", variant="soft",
                     on_click=C.show(booking_id), custom_attrs={"data-testid": "booking-checkin"})


def checkin_pass_dialog() -> rx.Component:
    return rx.dialog.root(rx.dialog.content(
        rx.dialog.title(t("Вход по QR-коду")),
        rx.dialog.description(t("Покажите код на ресепшене: администратор отметит ваш приход."), size="2"),
        rx.center(rx.image(src=C.qr, alt=t("QR-код для входа по брони № ") + C.booking_id.to_string(),
                           width="220px", height="220px", custom_attrs={"data-testid": "checkin-qr"}),
                  width="100%", padding_y="12px"),
        rx.text(t("Действует до "), C.valid_until, size="1", color=MUTED),
        rx.cond(C.arrived != "",
                rx.callout(C.arrived, icon="circle-check", color_scheme="green", high_contrast=True, size="1", width="100%",
                           margin_top="12px", custom_attrs={"data-testid": "checkin-arrived"}),
                rx.vstack(
                    rx.text(t("Уже на месте? Можно отметиться самому — по геопозиции, в пределах 300 м от входа."),
                            size="1", color=MUTED),
                    rx.button(rx.cond(C.locating, rx.spinner(size="2"), rx.icon("map-pin", size=16)),
                              t("Я на месте — отметиться"), variant="outline", disabled=C.locating,
                              on_click=C.locate, custom_attrs={"data-testid": "checkin-here"}),
                    spacing="2", margin_top="12px")),
        rx.cond(C.message != "", rx.callout(C.message, icon="triangle-alert", color_scheme="red", size="1",
                                            width="100%", margin_top="12px", role="alert",
                                            custom_attrs={"data-testid": "checkin-message"})),
        rx.flex(rx.dialog.close(rx.button(t("Закрыть"), variant="soft", color_scheme="gray")),
                justify="end", margin_top="16px"),
        max_width="400px",
    ), open=C.open, on_open_change=C.open_changed)


def _fact(label: str, value, test_id: str) -> rx.Component:
    return rx.flex(rx.text(label, size="2", color=MUTED, min_width="90px"),
                   rx.text(value, size="2", weight="medium", custom_attrs={"data-testid": test_id}),
                   spacing="3", width="100%")


def staff_checkin_page() -> rx.Component:
    s = StaffCheckinState
    return page_frame(rx.center(rx.card(rx.vstack(
        rx.heading(t("Отметка о приходе"), size="5"),
        rx.cond(
            s.signed_out,
            empty_state("log-in", t("Войдите как владелец пространства, чтобы отметить приход гостя"),
                        rx.link(rx.button(t("Войти")), href=s.login_href,
                                custom_attrs={"data-testid": "staff-checkin-signin"})),
            rx.vstack(
                rx.cond(s.error != "", rx.callout(s.error, icon="triangle-alert", color_scheme="red", width="100%",
                                                  role="alert", custom_attrs={"data-testid": "staff-checkin-error"})),
                rx.cond(s.found, rx.vstack(
                    _fact(t("Гость"), s.guest, "staff-checkin-guest"),
                    _fact(t("Где"), s.place, "staff-checkin-place"),
                    _fact(t("Когда"), s.when, "staff-checkin-when"),
                    _fact(t("Мест"), s.seats, "staff-checkin-seats"),
                    rx.cond(s.arrived != "",
                            rx.callout(s.arrived, icon="circle-check", color_scheme="green", high_contrast=True, width="100%",
                                       custom_attrs={"data-testid": "staff-checkin-arrived"}),
                            rx.button(rx.cond(s.busy, rx.spinner(size="2"), rx.icon("check", size=16)),
                                      t("Отметить приход"), size="3", width="100%", disabled=s.busy,
                                      on_click=s.check_in, custom_attrs={"data-testid": "staff-checkin-confirm"})),
                    spacing="2", width="100%")),
                rx.form(rx.vstack(
                    rx.text(t("Код с QR не открылся? Вставьте ссылку или код из него:"), size="1", color=MUTED,
                            as_="label", html_for="staff-checkin-token"),
                    rx.flex(rx.input(name="token", id="staff-checkin-token", placeholder="c1.…", width="100%",
                                     custom_attrs={"data-testid": "staff-checkin-token"}),
                            rx.button(t("Найти"), type="submit", variant="soft"), spacing="2", width="100%"),
                    spacing="1", width="100%"), on_submit=s.lookup, width="100%"),
                spacing="4", width="100%"),
        ),
        spacing="4", width="100%"), width="100%", max_width="480px"),
        width="100%", padding_y=rx.breakpoints(initial="8px", md="24px")))
