"""/signup (and /signup/confirm, the link in its mail), /login, /verify-email, /reset-password."""

from __future__ import annotations

import reflex as rx

from pages.components import NOT_LIVE, private_form
from pages.layout import page_frame
from state.account_forms import (
    LoginState,
    ResetState,
    SignupConfirmState,
    SignupState,
    VerifyEmailState,
)
from state.lang import t


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
        rx.text(message, size="1", color=rx.color("red", 11), id=f"error-{field}",
                custom_attrs={"data-testid": f"error-{field}"}),
    )


def _label(text: str, field_id: str) -> rx.Component:
    return rx.el.label(text, html_for=field_id,
                       style={"font_size": "var(--font-size-2)", "font_weight": "500"})


def _signup_input(label: str, field: str, type_: str = "text", placeholder: str = "",
                  autocomplete: str = "") -> rx.Component:
    s = SignupState
    return rx.vstack(
        _label(label, f"signup-{field}"),
        rx.input(
            value=getattr(s, field), type=type_, placeholder=placeholder, width="100%",
            auto_complete=autocomplete or "off", size="3", id=f"signup-{field}", name=field,
            on_change=lambda v: s.set_field(field, v), on_blur=lambda _v: s.blur(field),
            color_scheme=rx.cond(s.errors.contains(field), "red", "teal"),
            custom_attrs={"data-testid": f"signup-{field}",
                          "aria-invalid": rx.cond(s.errors.contains(field), "true", "false"),
                          "aria-describedby": f"error-{field}"},
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


def _signup_form() -> rx.Component:
    s = SignupState
    return private_form(
        rx.vstack(
            rx.segmented_control.root(
                rx.segmented_control.item(t("Ищу место"), value="renter"),
                rx.segmented_control.item(t("Сдаю место"), value="owner"),
                value=s.role, on_change=s.set_role, width="100%",
                custom_attrs={"data-testid": "signup-role", "aria-label": t("Кто вы")},
            ),
            _signup_input(t("Имя и фамилия"), "full_name", autocomplete="name"),
            _signup_input("Email", "email", "email", "you@example.com", "email"),
            _signup_input(t("Телефон"), "phone", "tel", "+7 912 345-67-89", "tel"),
            _signup_input(t("Пароль"), "password", "password", t("Не короче 10 символов"),
                          "new-password"),
            _strength_meter(),
            rx.checkbox(t("Принимаю условия сервиса и политику конфиденциальности"),
                        checked=s.accepted_terms, on_change=s.set_terms, size="2",
                        custom_attrs={"data-testid": "signup-terms"}),
            field_error(s.errors.get("accepted_terms", ""), "accepted_terms"),
            rx.cond(s.errors.contains("form"),
                    rx.callout(s.errors.get("form", ""), icon="triangle_alert", color_scheme="red",
                               width="100%", custom_attrs={"data-testid": "signup-error"})),
            rx.button(rx.cond(s.submitting, rx.spinner(size="2")), t("Создать аккаунт"),
                      type="submit", size="3", width="100%", disabled=s.submitting | NOT_LIVE,
                      custom_attrs={"data-testid": "signup-submit"}),
            rx.text(t("Уже есть аккаунт? "), rx.link(t("Войти"), href=s.login_href, underline="always"), size="2"),
            spacing="3", width="100%",
        ),
        on_submit=s.submit, width="100%",
    )


def _signup_code_step() -> rx.Component:
    s = SignupState
    return private_form(
        rx.vstack(
            rx.callout(
                rx.text(t("Мы отправили письмо на "), rx.text.strong(s.sent_to, word_break="break-all"),
                        t(". Откройте ссылку из письма или введите код из него.")),
                icon="mail", width="100%", custom_attrs={"data-testid": "signup-sent"},
            ),
            rx.vstack(
                _label(t("Код из письма"), "signup-code"),
                rx.input(value=s.code, on_change=s.set_code, placeholder=t("6 цифр"), size="3",
                         width="100%", id="signup-code", name="code", auto_complete="one-time-code",
                         input_mode="numeric", max_length=12,
                         custom_attrs={"data-testid": "signup-code", "aria-describedby": "error-code"}),
                field_error(s.code_error, "code"),
                spacing="1", width="100%",
            ),
            rx.button(rx.cond(s.submitting, rx.spinner(size="2")), t("Подтвердить"), type="submit",
                      size="3", width="100%", disabled=s.submitting | NOT_LIVE,
                      custom_attrs={"data-testid": "signup-confirm"}),
            rx.text(t("Письма нет? Проверьте папку «Спам», адрес и, если нужно, отправьте снова."),
                    size="2", color=rx.color("gray", 11)),
            rx.button(t("Изменить адрес или отправить снова"), type="button", variant="ghost",
                      size="2", on_click=s.change_email,
                      custom_attrs={"data-testid": "signup-change-email"}),
            rx.cond(
                s.outbox_hint != "",
                rx.callout(
                    rx.text(t("Режим разработки: письма не отправляются, а сохраняются файлами .eml в "),
                            rx.code(s.outbox_hint, word_break="break-all"),
                            t(". Последние письма с кодом покажет команда "),
                            rx.code("make outbox"), "."),
                    icon="info", color_scheme="gray", size="1", width="100%",
                    custom_attrs={"data-testid": "signup-outbox-hint"},
                ),
            ),
            spacing="3", width="100%",
        ),
        on_submit=s.confirm_code, width="100%",
    )


def signup_page() -> rx.Component:
    return auth_card(
        t("Регистрация"),
        rx.match(
            SignupState.step,
            ("code", _signup_code_step()),
            ("done", rx.hstack(rx.spinner(), rx.text(t("Входим…")), align="center")),
            _signup_form(),
        ),
    )


def signup_confirm_page() -> rx.Component:
    s = SignupConfirmState
    return auth_card(
        t("Регистрация"),
        rx.cond(
            s.error != "",
            rx.vstack(
                rx.callout(s.error, icon="triangle_alert", color_scheme="red", width="100%",
                           custom_attrs={"data-testid": "signup-confirm-error"}),
                rx.link(t("Зарегистрироваться снова"), href="/signup"),
                spacing="3", width="100%",
            ),
            rx.hstack(rx.spinner(), rx.text(t("Подтверждаем адрес и входим…")), align="center"),
        ),
    )


def login_page() -> rx.Component:
    s = LoginState
    return auth_card(
        t("Вход"),
        private_form(
            rx.vstack(
                rx.vstack(
                    _label("Email", "login-email"),
                    rx.input(value=s.email, on_change=s.set_email, type="email",
                             placeholder="you@example.com", size="3", width="100%",
                             auto_complete="email", id="login-email", name="email",
                             custom_attrs={"data-testid": "login-email"}),
                    spacing="1", width="100%",
                ),
                rx.vstack(
                    _label(t("Пароль"), "login-password"),
                    rx.input(value=s.password, on_change=s.set_password, type="password",
                             size="3", width="100%", auto_complete="current-password",
                             id="login-password", name="password", custom_attrs={"data-testid": "login-password"}),
                    spacing="1", width="100%",
                ),
                rx.cond(
                    s.need_code,
                    rx.vstack(
                        _label(t("Код 2FA"), "login-code"),
                        rx.input(value=s.totp_code, on_change=s.set_totp_code, size="3",
                                 width="100%", auto_complete="one-time-code", input_mode="numeric",
                                 id="login-code", name="code", custom_attrs={"data-testid": "login-code"}),
                        spacing="1", width="100%",
                    ),
                ),
                rx.cond(s.error != "", rx.callout(s.error, icon="triangle_alert", color_scheme="red",
                                                  width="100%", custom_attrs={"data-testid": "login-error"})),
                rx.button(rx.cond(s.submitting, rx.spinner(size="2")), t("Войти"), type="submit",
                          size="3", width="100%", disabled=s.submitting | NOT_LIVE,
                          custom_attrs={"data-testid": "login-submit"}),
                rx.hstack(
                    rx.link(t("Забыли пароль?"), href="/reset-password", size="2"),
                    rx.spacer(),
                    rx.link(t("Регистрация"), href=s.signup_href, size="2",
                            custom_attrs={"data-testid": "login-signup-link"}),
                    width="100%",
                ),
                spacing="3", width="100%",
            ),
            on_submit=s.submit, width="100%",
        ),
    )


def verify_email_page() -> rx.Component:
    s = VerifyEmailState
    return auth_card(
        t("Подтверждение email"),
        rx.cond(
            s.done,
            rx.callout(t("Email подтверждён. Спасибо!"), icon="check", color_scheme="green", high_contrast=True),
            rx.cond(s.error != "", rx.callout(s.error, icon="triangle_alert", color_scheme="red"),
                    rx.spinner()),
        ),
        rx.link(t("Перейти в кабинет"), href="/cabinet"),
    )


def reset_password_page() -> rx.Component:
    s = ResetState
    has_token = rx.State.router.url.query_parameters.contains("token")
    request_form = rx.cond(
        s.sent,
        rx.callout(t("Если этот email зарегистрирован, мы отправили на него ссылку для сброса."),
                   icon="mail", custom_attrs={"data-testid": "reset-sent"}),
        private_form(
            rx.vstack(
                _label("Email", "reset-email"),
                rx.input(value=s.email, on_change=s.set_email, type="email",
                         placeholder="you@example.com", size="3", width="100%", id="reset-email", name="email",
                         auto_complete="email", custom_attrs={"data-testid": "reset-email"}),
                rx.cond(s.error != "", rx.text(s.error, size="2", color=rx.color("red", 11),
                                               custom_attrs={"data-testid": "reset-error"})),
                rx.button(t("Отправить ссылку"), type="submit", size="3", width="100%", disabled=NOT_LIVE,
                          custom_attrs={"data-testid": "reset-submit"}),
                width="100%",
            ),
            on_submit=s.request, width="100%",
        ),
    )
    confirm_form = rx.cond(
        s.done,
        rx.callout(rx.text(t("Пароль изменён, все устройства вышли из аккаунта. "),
                           rx.link(t("Войти"), href="/login", underline="always")), icon="check", color_scheme="green"),
        private_form(
            rx.vstack(
                _label(t("Новый пароль"), "reset-new-password"),
                rx.input(value=s.new_password, on_change=s.set_new_password, type="password",
                         placeholder=t("Не короче 10 символов"), size="3", width="100%",
                         auto_complete="new-password", id="reset-new-password", name="new-password",
                         custom_attrs={"data-testid": "reset-new-password"}),
                rx.cond(s.error != "", rx.text(s.error, size="2", color=rx.color("red", 11))),
                rx.button(t("Сохранить пароль"), type="submit", size="3", width="100%", disabled=NOT_LIVE),
                width="100%",
            ),
            on_submit=s.confirm, width="100%",
        ),
    )
    return auth_card(t("Сброс пароля"), rx.cond(has_token, confirm_form, request_form))
