"""/cabinet: the signed-in person's profile, security and (soon) bookings."""

from __future__ import annotations

import reflex as rx

from pages.auth import field_error
from pages.components import NOT_LIVE, private_form, section
from pages.layout import page_frame
from pages.telegram import telegram_card
from state.cabinet import CabinetState, DeviceView
from state.notifications import NotificationPrefsState
from state.lang import t


def _labelled(label: str, child: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="2", weight="medium"), child, spacing="1", width="100%")


def _profile() -> rx.Component:
    s = CabinetState
    return section(
        t("Профиль"),
        private_form(
            rx.vstack(
                _labelled(t("Имя"), rx.input(value=s.full_name, width="100%", aria_label=t("Имя"), auto_complete="name",
                                          on_change=lambda v: s.set_form("full_name", v))),
                field_error(s.errors.get("full_name", ""), "full_name"),
                _labelled(t("Телефон"), rx.input(value=s.phone, type="tel", width="100%", aria_label=t("Телефон"), auto_complete="tel",
                                              on_change=lambda v: s.set_form("phone", v),
                                              custom_attrs={"data-testid": "profile-phone"})),
                field_error(s.errors.get("phone", ""), "phone"),
                _labelled(t("Язык писем и интерфейса"), rx.select.root(
                    rx.select.trigger(aria_label=t("Язык писем и интерфейса")),
                    rx.select.content(rx.select.item(t("Русский"), value="ru"),
                                      rx.select.item("English", value="en")),
                    value=s.language, on_change=s.set_language,
                )),
                rx.hstack(rx.button(t("Сохранить"), type="submit", disabled=NOT_LIVE),
                          rx.text(s.profile_message, size="2", color=rx.color("green", 11)),
                          align="center"),
                spacing="2", width="100%",
            ),
            on_submit=s.save_profile, width="100%",
        ),
        test_id="profile",
    )


def _device(device: DeviceView) -> rx.Component:
    return rx.hstack(
        rx.icon("monitor-smartphone", size=18, color=rx.color("gray", 10)),
        rx.vstack(
            rx.text(device.label, size="2", weight="medium"),
            rx.text(t("Активность: "), device.seen, size="1", color=rx.color("gray", 10)),
            spacing="0",
        ),
        rx.spacer(),
        rx.cond(device.current, rx.badge(t("это устройство"), color_scheme="green"),
                rx.button(t("Выйти"), size="1", variant="soft", color_scheme="red",
                          on_click=CabinetState.revoke(device.id))),
        width="100%", align="center", custom_attrs={"data-testid": "device"},
    )


def _security() -> rx.Component:
    s = CabinetState
    return section(
        t("Безопасность"),
        private_form(
            rx.vstack(
                rx.text(t("Смена пароля"), weight="medium", size="2"),
                rx.input(value=s.current_password, type="password", placeholder=t("Текущий пароль"), aria_label=t("Текущий пароль"),
                         auto_complete="current-password",
                         width="100%", on_change=lambda v: s.set_form("current_password", v)),
                rx.input(value=s.new_password, type="password", placeholder=t("Новый пароль"), aria_label=t("Новый пароль"),
                         auto_complete="new-password",
                         width="100%", on_change=lambda v: s.set_form("new_password", v)),
                rx.hstack(rx.button(t("Изменить пароль"), type="submit", variant="soft", disabled=NOT_LIVE),
                          rx.text(s.password_message, size="2"), align="center", wrap="wrap"),
                spacing="2", width="100%",
            ),
            on_submit=s.change_password, width="100%",
        ),
        rx.divider(),
        rx.text(t("Двухфакторная защита"), weight="medium", size="2"),
        rx.cond(s.totp_message != "", rx.text(s.totp_message, size="2", color=rx.color("green", 11),
                                               custom_attrs={"data-testid": "totp-message"})),
        rx.cond(
            s.totp_enabled,
            rx.vstack(
                rx.badge(t("Включена"), color_scheme="green", custom_attrs={"data-testid": "totp-on"}),
                rx.cond(s.recovery_codes.length() > 0, rx.vstack(
                    rx.text(t("Резервные коды (каждый срабатывает один раз; сохраните их):"), size="2"),
                    rx.code_block(rx.Var.create(s.recovery_codes).join("\n"), width="100%"),
                    width="100%",
                )),
                _totp_off(),
                width="100%",
            ),
            rx.cond(
                s.totp_qr != "",
                private_form(
                    rx.vstack(
                        rx.text(t("Отсканируйте код приложением-аутентификатором и введите 6 цифр."),
                                size="2"),
                        rx.image(src=s.totp_qr, width="180px", height="180px", alt=t("QR-код 2FA")),
                        rx.text(t("Ключ вручную: "), rx.code(s.totp_secret_shown, custom_attrs={"data-testid": "totp-secret"}),
                                size="1"),
                        rx.input(value=s.totp_code, placeholder="123456", input_mode="numeric",
                                 on_change=lambda v: s.set_form("totp_code", v),
                                 custom_attrs={"data-testid": "totp-code"}),
                        field_error(s.errors.get("totp_code", ""), "totp_code"),
                        rx.button(t("Подтвердить"), type="submit", disabled=NOT_LIVE,
                                  custom_attrs={"data-testid": "totp-confirm"}),
                        spacing="2",
                    ),
                    on_submit=s.confirm_totp,
                ),
                rx.button(t("Включить 2FA"), variant="soft", on_click=s.start_totp,
                          custom_attrs={"data-testid": "totp-start"}),
            ),
        ),
        rx.divider(),
        rx.text(t("Устройства"), weight="medium", size="2"),
        rx.vstack(rx.foreach(s.devices, _device), width="100%", spacing="2"),
        rx.button(t("Выйти на всех устройствах"), color_scheme="red", variant="outline",
                  on_click=s.sign_out_everywhere,
                  custom_attrs={"data-testid": "sign-out-everywhere"}),
        test_id="security",
    )


def _totp_off() -> rx.Component:
    """"Выключить 2FA": asks for the password and a current code (or a recovery code)."""
    s = CabinetState
    return rx.cond(
        s.totp_off_refusal != "",
        rx.text(s.totp_off_refusal, size="1", color=rx.color("gray", 11)),
        rx.cond(
            s.totp_off_open,
            private_form(
                rx.vstack(
                    rx.text(t("Чтобы выключить защиту, введите пароль и код из приложения (или один из резервных кодов)."), size="2"),
                    rx.input(name="off_password", value=s.off_password, type="password",
                             placeholder=t("Текущий пароль"), aria_label=t("Текущий пароль"),
                             auto_complete="current-password", width="100%",
                             on_change=lambda v: s.set_form("off_password", v),
                             custom_attrs={"data-testid": "totp-off-password"}),
                    field_error(s.errors.get("current_password", ""), "current_password"),
                    rx.input(name="off_code", value=s.off_code, placeholder=t("Код, например 123456"),
                             aria_label=t("Код из приложения или резервный код"), auto_complete="one-time-code",
                             width="100%", on_change=lambda v: s.set_form("off_code", v),
                             custom_attrs={"data-testid": "totp-off-code"}),
                    field_error(s.errors.get("totp_code", ""), "totp_code"),
                    field_error(s.errors.get("totp_off", ""), "totp_off"),
                    rx.hstack(
                        rx.button(t("Выключить"), type="submit", color_scheme="red", disabled=NOT_LIVE,
                                  custom_attrs={"data-testid": "totp-off-submit"}),
                        rx.button(t("Отмена"), type="button", variant="soft", on_click=s.open_totp_off(False)),
                        spacing="2", wrap="wrap",
                    ),
                    spacing="2", width="100%",
                ),
                on_submit=s.disable_totp, width="100%",
            ),
            rx.button(t("Выключить 2FA"), variant="outline", color_scheme="red", on_click=s.open_totp_off(True),
                      custom_attrs={"data-testid": "totp-off"}),
        ),
    )


def _placeholder(title: str, icon: str, text: str) -> rx.Component:
    return section(title, rx.hstack(rx.icon(icon, size=18, color=rx.color("gray", 9)),
                                    rx.text(text, size="2", color=rx.color("gray", 11)),
                                    align="center"))


def cabinet_page() -> rx.Component:
    return page_frame(
        rx.heading(t("Личный кабинет"), size="6", margin_bottom="16px",
                   custom_attrs={"data-testid": "cabinet-title"}),
        rx.grid(
            rx.vstack(
                section(t("Бронирования"), rx.hstack(
                    rx.icon("calendar", size=18, color=rx.color("accent", 10)),
                    rx.link(t("Мои брони, чеки и отмены"), href="/cabinet/bookings", size="2"),
                    rx.spacer(),
                    rx.link(t("Абонементы"), href="/cabinet/plans", size="2", custom_attrs={"data-testid": "cabinet-plans"}),
                    rx.link(t("Уведомления"), href="/cabinet/notifications", size="2"),
                    align="center", width="100%"),
                    rx.hstack(
                        rx.icon("wallet", size=18, color=rx.color("accent", 10)),
                        rx.link(t("Платежи и возвраты"), href="/cabinet/payments", size="2",
                                custom_attrs={"data-testid": "cabinet-payments"}),
                        rx.spacer(),
                        rx.icon("building-2", size=18, color=rx.color("accent", 10)),
                        rx.link(t("Компания"), href="/cabinet/company", size="2",
                                custom_attrs={"data-testid": "cabinet-company"}),
                        align="center", width="100%")),
                notification_preferences(),
                telegram_card(),
                _placeholder(t("Сообщения"), "message-circle", t("Переписка с владельцами пространств.")),
                _profile(),
                spacing="4", width="100%",
            ),
            _security(),
            columns=rx.breakpoints(initial="1", md="2"),
            gap="16px", width="100%",
        ),
    )


def _column(title: str) -> rx.Component:
    return rx.text(title, size="1", weight="medium", text_align="center")


def notification_preferences() -> rx.Component:
    p = NotificationPrefsState
    off = ~p.telegram_linked

    return section(
        t("Уведомления"),
        rx.grid(
            rx.text(""), _column("Email"), _column(t("В кабинете")), _column("Telegram"),
            rx.foreach(p.rows, lambda r: rx.fragment(
                rx.text(r.label, size="2", min_width="0"),
                rx.center(rx.switch(checked=r.email, on_change=lambda v: p.toggle(r.group, "email", v),
                                    aria_label=r.label + t(": по email"))),
                rx.center(rx.switch(checked=r.in_app, on_change=lambda v: p.toggle(r.group, "in_app", v),
                                    aria_label=r.label + t(": в кабинете"))),
                rx.center(rx.switch(checked=r.telegram & p.telegram_linked, disabled=off,
                                    on_change=lambda v: p.toggle(r.group, "telegram", v),
                                    aria_label=r.label + t(": в Telegram"),
                                    custom_attrs={"data-testid": "pref-telegram"})),
            )),
            grid_template_columns="minmax(0, 1fr) repeat(3, auto)", column_gap="12px", row_gap="12px",
            align_items="center", width="100%",
        ),
        rx.cond(off, rx.text(t("Подключите Telegram, чтобы получать уведомления в чат"), size="1",
                             color=rx.color("gray", 11), custom_attrs={"data-testid": "pref-telegram-hint"})),
        rx.hstack(rx.switch(checked=p.offers, on_change=p.set_offers, aria_label=t("Получать специальные предложения")),
                  rx.vstack(rx.text(t("Получать специальные предложения"), size="2"),
                            rx.text(t("От пространств, где вы уже бывали (не чаще раза в неделю от каждого), и от CoSpace. Отписаться можно здесь или ссылкой в письме."),
                                    size="1", color=rx.color("gray", 10)),
                            spacing="0"),
                  align="center"),
        rx.text(p.message, size="1", color=rx.color("green", 11)),
        test_id="notification-preferences",
    )
