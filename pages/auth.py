"""/signup, /login, /verify-email, /reset-password."""

from __future__ import annotations

import reflex as rx

from pages.layout import page_frame
from state.account_forms import LoginState, ResetState, SignupState, VerifyEmailState


def auth_card(title: str, *children: rx.Component) -> rx.Component:
    return page_frame(
        rx.center(
            rx.card(
                rx.vstack(rx.heading(title, size="6"), *children, spacing="4", width="100%"),
                width="100%", max_width="440px", size="3",
            ),
            width="100%", padding_y="24px",
        )
    )


def field_error(message: rx.Var, field: str) -> rx.Component:
    return rx.cond(
        message != "",
        rx.text(message, size="1", color=rx.color("red", 11),
                custom_attrs={"data-testid": f"error-{field}"}),
    )


def _signup_input(label: str, field: str, type_: str = "text", placeholder: str = "",
                  autocomplete: str = "") -> rx.Component:
    s = SignupState
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        rx.input(
            value=getattr(s, field), type=type_, placeholder=placeholder, width="100%",
            auto_complete=autocomplete or "off", size="3",
            on_change=lambda v: s.set_field(field, v), on_blur=lambda _v: s.blur(field),
            color_scheme=rx.cond(s.errors.contains(field), "red", "teal"),
            custom_attrs={"data-testid": f"signup-{field}"},
        ),
        field_error(s.errors.get(field, ""), field),
        spacing="1", width="100%",
    )


def _strength_meter() -> rx.Component:
    s = SignupState
    colors = ["red", "red", "amber", "teal", "green"]
    return rx.cond(
        s.password != "",
        rx.hstack(
            rx.progress(value=s.strength * 25, max=100, width="100%", size="1",
                        color_scheme=rx.match(s.strength, *[(i, c) for i, c in enumerate(colors)], "red")),
            rx.text(s.strength_label, size="1", color=rx.color("gray", 11), white_space="nowrap",
                    custom_attrs={"data-testid": "strength"}),
            align="center", width="100%",
        ),
    )


def signup_page() -> rx.Component:
    s = SignupState
    return auth_card(
        "Регистрация",
        rx.form(
            rx.vstack(
                rx.segmented_control.root(
                    rx.segmented_control.item("Ищу место", value="renter"),
                    rx.segmented_control.item("Сдаю место", value="owner"),
                    value=s.role, on_change=s.set_role, width="100%",
                    custom_attrs={"data-testid": "signup-role"},
                ),
                _signup_input("Имя и фамилия", "full_name", autocomplete="name"),
                _signup_input("Email", "email", "email", "you@example.com", "email"),
                _signup_input("Телефон", "phone", "tel", "+7 912 345-67-89", "tel"),
                _signup_input("Пароль", "password", "password", "Не короче 10 символов",
                              "new-password"),
                _strength_meter(),
                rx.checkbox("Принимаю условия сервиса и политику конфиденциальности",
                            checked=s.accepted_terms, on_change=s.set_terms, size="2",
                            custom_attrs={"data-testid": "signup-terms"}),
                field_error(s.errors.get("accepted_terms", ""), "accepted_terms"),
                rx.button(rx.cond(s.submitting, rx.spinner(size="2")), "Создать аккаунт",
                          type="submit", size="3", width="100%", disabled=s.submitting,
                          custom_attrs={"data-testid": "signup-submit"}),
                rx.text("Уже есть аккаунт? ", rx.link("Войти", href="/login"), size="2"),
                spacing="3", width="100%",
            ),
            on_submit=s.submit, reset_on_submit=False, width="100%",
        ),
    )


def login_page() -> rx.Component:
    s = LoginState
    return auth_card(
        "Вход",
        rx.form(
            rx.vstack(
                rx.input(value=s.email, on_change=s.set_email, type="email", placeholder="Email",
                         size="3", width="100%", auto_complete="email",
                         custom_attrs={"data-testid": "login-email"}),
                rx.input(value=s.password, on_change=s.set_password, type="password",
                         placeholder="Пароль", size="3", width="100%",
                         auto_complete="current-password",
                         custom_attrs={"data-testid": "login-password"}),
                rx.cond(
                    s.need_code,
                    rx.input(value=s.totp_code, on_change=s.set_totp_code, placeholder="Код 2FA",
                             size="3", width="100%", auto_complete="one-time-code",
                             input_mode="numeric", custom_attrs={"data-testid": "login-code"}),
                ),
                rx.cond(s.error != "", rx.callout(s.error, icon="triangle_alert", color_scheme="red",
                                                  width="100%", custom_attrs={"data-testid": "login-error"})),
                rx.button(rx.cond(s.submitting, rx.spinner(size="2")), "Войти", type="submit",
                          size="3", width="100%", disabled=s.submitting,
                          custom_attrs={"data-testid": "login-submit"}),
                rx.hstack(
                    rx.link("Забыли пароль?", href="/reset-password", size="2"),
                    rx.spacer(),
                    rx.link("Регистрация", href="/signup", size="2"),
                    width="100%",
                ),
                spacing="3", width="100%",
            ),
            on_submit=s.submit, reset_on_submit=False, width="100%",
        ),
    )


def verify_email_page() -> rx.Component:
    s = VerifyEmailState
    return auth_card(
        "Подтверждение email",
        rx.cond(
            s.done,
            rx.callout("Email подтверждён. Спасибо!", icon="check", color_scheme="green"),
            rx.cond(s.error != "", rx.callout(s.error, icon="triangle_alert", color_scheme="red"),
                    rx.spinner()),
        ),
        rx.link("Перейти в кабинет", href="/cabinet"),
    )


def reset_password_page() -> rx.Component:
    s = ResetState
    has_token = rx.State.router.url.query_parameters.contains("token")
    request_form = rx.cond(
        s.sent,
        rx.callout("Если этот email зарегистрирован, мы отправили на него ссылку для сброса.",
                   icon="mail", custom_attrs={"data-testid": "reset-sent"}),
        rx.form(
            rx.vstack(
                rx.input(value=s.email, on_change=s.set_email, type="email", placeholder="Email",
                         size="3", width="100%"),
                rx.button("Отправить ссылку", type="submit", size="3", width="100%"),
                width="100%",
            ),
            on_submit=s.request, reset_on_submit=False, width="100%",
        ),
    )
    confirm_form = rx.cond(
        s.done,
        rx.callout(rx.text("Пароль изменён, все устройства вышли из аккаунта. ",
                           rx.link("Войти", href="/login")), icon="check", color_scheme="green"),
        rx.form(
            rx.vstack(
                rx.input(value=s.new_password, on_change=s.set_new_password, type="password",
                         placeholder="Новый пароль", size="3", width="100%",
                         auto_complete="new-password"),
                rx.cond(s.error != "", rx.text(s.error, size="2", color=rx.color("red", 11))),
                rx.button("Сохранить пароль", type="submit", size="3", width="100%"),
                width="100%",
            ),
            on_submit=s.confirm, reset_on_submit=False, width="100%",
        ),
    )
    return auth_card("Сброс пароля", rx.cond(has_token, confirm_form, request_form))
