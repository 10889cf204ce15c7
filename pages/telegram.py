"""Telegram: the cabinet's card (link the bot, unlink it) and /telegram, where a chat that
asked the bot is linked to the account signed in."""

from __future__ import annotations

import reflex as rx

from pages.auth import auth_card
from pages.components import section
from state.telegram import NEW_CODE_HINT, TelegramLinkState, TelegramState
from state.lang import t, tc

WHAT_IT_GIVES = (t("Бот пришлёт уведомления о бронях, оплатах и сообщениях, а забронировать место или посмотреть свои брони можно прямо в чате."))


def _test_id(name: str) -> dict:
    return {"data-testid": name}


def _error(message: rx.Var, test_id: str) -> rx.Component:
    return rx.cond(message != "", rx.callout(message, icon="triangle_alert", color_scheme="red", size="1",
                                             role="alert", width="100%", custom_attrs=_test_id(test_id)))


def _linked() -> rx.Component:
    s = TelegramState
    return rx.vstack(
        rx.hstack(
            rx.icon("circle-check", size=18, color=rx.color("green", 11), flex_shrink="0"),
            rx.text(t("Подключён: "), rx.text.strong(s.name), rx.cond(s.since != "", rx.fragment(t(", с "), s.since)),
                    size="2", custom_attrs=_test_id("telegram-linked")),
            align="center", spacing="2",
        ),
        rx.text(t("Бот присылает сюда уведомления; какие именно — выберите в столбце «Telegram» карточки «Уведомления»."),
                size="1", color=rx.color("gray", 11)),
        rx.button(tc("telegram", "Отключить"), variant="outline", color_scheme="red", on_click=s.open_unlink(True),
                  custom_attrs=_test_id("telegram-unlink")),
        rx.alert_dialog.root(rx.alert_dialog.content(
            rx.alert_dialog.title(t("Отключить Telegram?")),
            rx.alert_dialog.description(
                t("Бот перестанет присылать уведомления в чат «"), s.name, t("». Подключить его снова можно в любой момент."), size="2"),
            _error(s.error, "telegram-unlink-error"),
            rx.flex(
                rx.alert_dialog.cancel(rx.button(t("Не отключать"), variant="soft", color_scheme="gray",
                                                 on_click=s.open_unlink(False))),
                rx.button(rx.cond(s.busy, rx.spinner(size="2"), tc("telegram", "Отключить")), color_scheme="red",
                          on_click=s.unlink, disabled=s.busy, custom_attrs=_test_id("telegram-unlink-confirm")),
                spacing="3", justify="end", margin_top="16px", wrap="wrap",
            ),
        ), open=s.unlink_open, on_open_change=s.open_unlink),
        spacing="3", width="100%", align="start",
    )


def _link_shown() -> rx.Component:
    """The bot's link: a button for this device, a QR code for the phone, its expiry."""
    s = TelegramState
    return rx.vstack(
        rx.cond(
            s.link_expired,
            rx.callout(t("Срок ссылки истёк: получите новую."), icon="clock", color_scheme="gray", size="1",
                       width="100%", custom_attrs=_test_id("telegram-link-expired")),
            rx.flex(
                rx.vstack(
                    rx.text(t("Откройте бота и нажмите «Старт» — чат подключится сам. Если Telegram на другом устройстве, наведите его камеру на QR-код."), size="2"),
                    rx.button(rx.el.a(rx.icon("send", size=16), t("Открыть бота"), href=s.link_url,
                                      target="_blank", rel="noopener noreferrer",
                                      custom_attrs=_test_id("telegram-open-bot")),
                              as_child=True),
                    rx.text(t("Ссылка действует до "), s.link_until, size="1", color=rx.color("gray", 11),
                            custom_attrs=_test_id("telegram-link-until")),
                    rx.hstack(rx.spinner(size="1"),
                              rx.text(t("Ждём, когда вы нажмёте «Старт» в боте"), size="1",
                                      color=rx.color("gray", 11)),
                              align="center", spacing="2"),
                    spacing="3", align="start", min_width="0", flex="1",
                ),
                # For a phone beside the computer; on the phone itself the button comes first.
                rx.image(src=s.link_qr, width="168px", height="168px", flex_shrink="0",
                         alt=t("QR-код ссылки на бота CoSpace в Telegram: наведите на него камеру телефона"),
                         background="white", border_radius="var(--radius-2)", padding="6px",
                         custom_attrs=_test_id("telegram-qr")),
                direction=rx.breakpoints(initial="column", sm="row"),
                gap="16px", align=rx.breakpoints(initial="start", sm="center"), width="100%",
            ),
        ),
        rx.button(t("Получить новую ссылку"), variant="soft", on_click=s.create_link, loading=s.busy,
                  custom_attrs=_test_id("telegram-new-link")),
        spacing="3", width="100%", align="start",
    )


def telegram_card() -> rx.Component:
    s = TelegramState
    return section(
        "Telegram",
        rx.cond(
            ~s.loaded,
            rx.hstack(rx.spinner(size="2"), rx.text(t("Загружаем…"), size="2", color=rx.color("gray", 11)),
                      align="center"),
            rx.cond(
                s.linked,
                _linked(),
                rx.vstack(
                    rx.hstack(rx.icon("send", size=18, color=rx.color("accent", 10), flex_shrink="0"),
                              rx.text(WHAT_IT_GIVES, size="2"), align="start", spacing="2"),
                    rx.cond(s.link_url != "", _link_shown(),
                            rx.button(t("Подключить Telegram"), on_click=s.create_link, loading=s.busy,
                                      custom_attrs=_test_id("telegram-connect"))),
                    spacing="3", width="100%", align="start",
                ),
            ),
        ),
        rx.cond(~s.unlink_open, _error(s.error, "telegram-error")),
        test_id="telegram",
    )


def telegram_page() -> rx.Component:
    """/telegram?code=…: "Подключить чат «…» к аккаунту …?", linked only on "Подключить"."""
    s = TelegramLinkState
    return auth_card(
        t("Подключение Telegram"),
        rx.cond(
            s.loading,
            rx.hstack(rx.spinner(size="2"), rx.text(t("Проверяем ссылку…"), size="2"), align="center"),
            rx.cond(
                s.done,
                rx.vstack(
                    rx.callout(t("Готово: чат подключён. Вернитесь в Telegram — бот уже знает вас."),
                               icon="check", color_scheme="green", width="100%",
                               custom_attrs=_test_id("telegram-done")),
                    rx.link(t("Настроить уведомления в кабинете"), href="/cabinet", size="2"),
                    spacing="3", width="100%",
                ),
                rx.cond(
                    s.error != "",
                    rx.vstack(
                        rx.callout(
                            rx.vstack(rx.text(s.error, weight="medium"), rx.text(t(NEW_CODE_HINT)), spacing="1"),
                            icon="triangle_alert", color_scheme="red", width="100%", role="alert",
                            custom_attrs=_test_id("telegram-refusal")),
                        rx.link(t("В личный кабинет"), href="/cabinet", size="2"),
                        spacing="3", width="100%",
                    ),
                    rx.cond(s.chat_name != "", _confirm_question()),
                ),
            ),
        ),
    )


def _confirm_question() -> rx.Component:
    s = TelegramLinkState
    return rx.vstack(
        rx.text(t("Подключить чат «"), rx.text.strong(s.chat_name), t("» к аккаунту "), rx.text.strong(s.email), "?",
                size="3", overflow_wrap="anywhere", custom_attrs=_test_id("telegram-question")),
        rx.text(WHAT_IT_GIVES, size="2", color=rx.color("gray", 11)),
        rx.text(t("Ссылка действует до "), s.until, t(". Если вы не просили бота о подключении, нажмите «Отмена»."),
                size="1", color=rx.color("gray", 11)),
        rx.flex(
            rx.button(rx.cond(s.busy, rx.spinner(size="2"), t("Подключить")), on_click=s.confirm, disabled=s.busy,
                      size="3", custom_attrs=_test_id("telegram-confirm")),
            rx.button(t("Отмена"), variant="soft", color_scheme="gray", on_click=s.cancel, size="3",
                      custom_attrs=_test_id("telegram-cancel")),
            spacing="3", wrap="wrap",
        ),
        spacing="3", width="100%",
    )
