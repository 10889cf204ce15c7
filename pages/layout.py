"""Header, footer and the page frame shared by every page."""

from __future__ import annotations

import reflex as rx

from coworking_app import maps
from coworking_app.i18n import NATIVE_NAMES
from pages.session import session_sync
from state.auth import AuthState
from state.inbox import InboxBadgeState
from state.notifications import NoticeView, NotificationState, TextPart
from state.lang import LanguageState, t

BRAND = "CoSpace"
CONTENT_WIDTH = "1240px"
# Every section of the operator panel: the header menu and the panel's own tabs list them all.
ADMIN_LINKS = [("/admin", t("Дашборд"), "layout-dashboard"), ("/admin/tables", t("Таблицы"), "table"),
               ("/admin/moderation", t("Модерация"), "shield-check"), ("/admin/promos", t("Промокоды"), "ticket-percent"),
               ("/admin/market", t("Рынок"), "chart-candlestick"),
               ("/admin/finance", t("Финансы"), "banknote"), ("/admin/reports", t("Отчёты"), "file-spreadsheet"),
               ("/admin/audit", t("Журнал аудита"), "history")]


def header() -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.link(
                rx.hstack(
                    rx.icon("building-2", size=24, color=rx.color("accent", 9)),
                    rx.text(BRAND, weight="bold", size="5", color=rx.color("gray", 12)),
                    align="center",
                    spacing="2",
                ),
                href="/",
                underline="none",
            ),
            rx.spacer(),
            rx.link(
                rx.hstack(rx.icon("search", size=16),
                          rx.text(t("Найти пространство"), display=rx.breakpoints(initial="none", sm="block")),
                          align="center", spacing="1"),
                href="/search",
                size="2",
                weight="medium",
            ),
            _language_switch(),
            _inbox(),
            _bell(),
            _account_menu(),
            align="center",
            spacing=rx.breakpoints(initial="3", sm="4"),
            width="100%",
            max_width=CONTENT_WIDTH,
            margin_x="auto",
            padding_x=rx.breakpoints(initial="12px", md="24px"),
            height="56px",
        ),
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 1),
        position="sticky",
        top="0",
        z_index="1000",
        width="100%",
    )


def _language_switch() -> rx.Component:
    """RU / EN: the other language, at once (state/lang.py); its name in that language."""
    english = LanguageState.lang == "en"
    return rx.button(
        rx.cond(english, "RU", "EN"),
        variant="ghost", color_scheme="gray", size="1", margin="0",
        on_click=AuthState.switch_language(rx.cond(english, "ru", "en")),
        aria_label=rx.cond(english, f"RU, {NATIVE_NAMES['ru']}", f"EN, {NATIVE_NAMES['en']}"),
        custom_attrs={"data-testid": "language-switch", "lang": rx.cond(english, "ru", "en")},
    )


def _counter_link(icon: str, count, href: str, label: str, test_id: str, count_test_id: str,
                  **attrs) -> rx.Component:
    """A header icon with a red count badge (hidden at zero), shown to signed-in people."""
    return rx.cond(
        AuthState.signed_in,
        rx.link(
            rx.box(
                rx.icon(icon, size=20),
                rx.cond(count > 0, rx.badge(
                    count, color_scheme="red", variant="solid", radius="full", size="1",
                    position="absolute", top="-6px", right="-10px",
                    custom_attrs={"data-testid": count_test_id})),
                position="relative", padding="6px", display="flex",
            ),
            # The badge's number is part of the name screen readers announce (and must be:
            # its visible text has to be in the accessible name).
            href=href, color_scheme="gray",
            aria_label=rx.cond(count > 0, label + ": " + count.to_string() + t(" непрочитанных"), label),
            custom_attrs={"data-testid": test_id, **attrs},
        ),
    )


def _inbox() -> rx.Component:
    return _counter_link("message-circle", InboxBadgeState.messages_unread, "/inbox", t("Сообщения"), "inbox-link", "inbox-count")


def _bell_part(part: TextPart) -> rx.Component:
    """Plain text, or a link to one of our own pages (never HTML from the notice)."""
    return rx.cond(part.href != "",
                   rx.popover.close(rx.link(part.text, href=part.href, weight="medium")),
                   rx.text.span(part.text))


def _bell_notice(n: NoticeView) -> rx.Component:
    return rx.hstack(
        rx.box(width="8px", height="8px", border_radius="50%", flex_shrink="0", margin_top="7px",
               background=rx.cond(n.read, "transparent", rx.color("accent", 9)),
               aria_hidden="true"),
        rx.vstack(
            rx.text(n.title, size="2", weight=rx.cond(n.read, "regular", "bold")),
            rx.text(rx.foreach(n.parts, _bell_part), size="1", color=rx.color("gray", 11),
                    white_space="pre-line", word_break="break-word",
                    style={"display": "-webkit-box", "-webkit-line-clamp": "3",
                           "-webkit-box-orient": "vertical", "overflow": "hidden"}),
            rx.text(n.when, size="1", color=rx.color("gray", 10)),
            spacing="1", min_width="0", width="100%",
        ),
        padding="8px 4px", width="100%", align="start",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        custom_attrs={"data-testid": "bell-notice"},
    )


def _bell() -> rx.Component:
    """The bell: the unread count, and a dropdown with the latest notices and "Показать все"
    (the full list at /cabinet/notifications). On a phone the dropdown spans the screen."""
    n = NotificationState
    return rx.cond(
        AuthState.signed_in,
        rx.popover.root(
            rx.popover.trigger(
                rx.button(
                    rx.icon("bell", size=20),
                    rx.cond(n.unread > 0, rx.badge(
                        n.unread, color_scheme="red", variant="solid", radius="full", size="1",
                        position="absolute", top="-4px", right="-8px",
                        custom_attrs={"data-testid": "bell-count"})),
                    variant="ghost", color_scheme="gray", size="2", position="relative",
                    padding="6px", margin="0",
                    aria_label=rx.cond(n.unread > 0, t("Уведомления: ") + n.unread.to_string() + t(" непрочитанных"),
                                       t("Уведомления")),
                    custom_attrs={"data-testid": "bell", "data-last-delay-ms": n.last_delay_ms},
                ),
            ),
            rx.popover.content(
                rx.vstack(
                    rx.hstack(
                        rx.text(t("Уведомления"), weight="bold", size="3"),
                        rx.spacer(),
                        rx.cond(n.unread > 0, rx.button(t("Прочитать все"), size="1", variant="ghost",
                                                        on_click=n.mark_all_read,
                                                        custom_attrs={"data-testid": "bell-read-all"})),
                        width="100%", align="center",
                    ),
                    rx.cond(
                        n.latest.length() > 0,
                        rx.box(rx.foreach(n.latest, _bell_notice), width="100%",
                               max_height="min(60vh, 420px)", overflow_y="auto"),
                        rx.cond(n.bell_loaded,
                                rx.text(t("Пока ничего нового"), size="2", color=rx.color("gray", 10),
                                        padding_y="12px"),
                                rx.vstack(rx.skeleton(height="44px", width="100%"),
                                          rx.skeleton(height="44px", width="100%"), width="100%")),
                    ),
                    rx.popover.close(rx.link(
                        rx.button(t("Показать все"), variant="soft", width="100%"),
                        href="/cabinet/notifications", width="100%",
                        custom_attrs={"data-testid": "bell-all"})),
                    spacing="2", width="100%",
                ),
                align="end", side="bottom", size="1", collision_padding=8,
                width="380px", max_width="calc(100vw - 16px)",
                aria_label=t("Последние уведомления"),
                custom_attrs={"data-testid": "bell-dropdown"},
            ),
            on_open_change=n.bell_opened,
        ),
    )


def _account_menu() -> rx.Component:
    a = AuthState
    return rx.cond(
        a.signed_in,
        rx.menu.root(
            rx.menu.trigger(
                rx.button(rx.icon("circle-user", size=18),
                          rx.text(a.user_name, display=rx.breakpoints(initial="none", md="block"),
                                  max_width="160px", overflow="hidden", text_overflow="ellipsis",
                                  white_space="nowrap"),
                          variant="soft", size="2", custom_attrs={"data-testid": "account-menu"}),
            ),
            rx.menu.content(
                rx.menu.item(t("Мои брони"), on_click=rx.redirect("/cabinet/bookings")),
                rx.menu.item(t("Абонементы"), on_click=rx.redirect("/cabinet/plans"),
                             custom_attrs={"data-testid": "menu-plans"}),
                rx.menu.item(t("Платежи"), on_click=rx.redirect("/cabinet/payments"),
                             custom_attrs={"data-testid": "menu-payments"}),
                rx.menu.item(t("Компания"), on_click=rx.redirect("/cabinet/company"),
                             custom_attrs={"data-testid": "menu-company"}),
                rx.menu.item(t("Избранное"), on_click=rx.redirect("/cabinet/favourites"),
                             custom_attrs={"data-testid": "menu-favourites"}),
                rx.menu.item(t("Сообщения"), on_click=rx.redirect("/inbox")),
                rx.menu.item(t("Уведомления"), on_click=rx.redirect("/cabinet/notifications")),
                rx.menu.item(t("Личный кабинет"), on_click=rx.redirect("/cabinet")),
                rx.cond(a.is_owner,
                        rx.menu.item(t("Мои пространства"), on_click=rx.redirect("/owner"))),
                rx.cond(a.is_owner,
                        rx.menu.item(t("Брони гостей"), on_click=rx.redirect("/owner/bookings"))),
                rx.cond(a.is_owner,
                        rx.menu.item(t("Аналитика"), on_click=rx.redirect("/owner/analytics"))),
                rx.cond(a.is_owner,
                        rx.menu.item(t("Финансы"), on_click=rx.redirect("/owner/finance"),
                                     custom_attrs={"data-testid": "menu-owner-finance"})),
                rx.cond(a.is_staff, rx.fragment(
                    rx.menu.separator(),
                    rx.text(t("Панель оператора"), size="1", weight="medium", color=rx.color("gray", 10),
                            padding="4px 12px"),
                    *[rx.menu.item(rx.icon(icon, size=14), label, on_click=rx.redirect(href),
                                   custom_attrs={"data-testid": "menu-admin", "data-href": href})
                      for href, label, icon in ADMIN_LINKS],
                )),
                rx.menu.separator(),
                rx.menu.item(t("Выйти"), color="red", on_click=a.sign_out,
                             custom_attrs={"data-testid": "sign-out"}),
            ),
        ),
        rx.link(rx.button(t("Войти"), variant="soft", size="2"), href=a.login_href,
                custom_attrs={"data-testid": "sign-in-link"}),
    )


def verify_banner() -> rx.Component:
    # Not on /verify-email itself: that page says whether the link worked.
    on_verify_page = rx.State.router.url.path.startswith("/verify-email")
    return rx.cond(
        AuthState.signed_in & ~AuthState.email_verified & ~on_verify_page,
        rx.callout(
            t("Подтвердите email: мы отправили ссылку на ") + AuthState.user_email + ".",
            icon="mail", color_scheme="amber", size="1", width="100%", margin_bottom="12px",
            custom_attrs={"data-testid": "verify-banner"},
        ),
    )


def footer() -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.text(f"© 2026 {BRAND} — ", t("коворкинги Москвы, Петербурга и Новосибирска"),
                    size="1", color=rx.color("gray", 10)),
            rx.spacer(),
            rx.link("API", href="/api/v1/docs", size="1", color_scheme="gray"),
            max_width=CONTENT_WIDTH,
            margin_x="auto",
            padding=rx.breakpoints(initial="12px", md="24px"),
            width="100%",
            wrap="wrap",
        ),
        border_top=f"1px solid {rx.color('gray', 5)}",
        margin_top="32px",
        width="100%",
    )


def page_frame(*children: rx.Component, wide: bool = False) -> rx.Component:
    return rx.box(
        session_sync(),
        header(),
        rx.box(
            verify_banner(),
            *children,
            max_width="1440px" if wide else CONTENT_WIDTH,
            margin_x="auto",
            padding_x=rx.breakpoints(initial="12px", md="24px"),
            padding_y="16px",
            width="100%",
            min_height="70vh",
        ),
        footer(),
        background=rx.color("gray", 2),
        min_height="100vh",
    )


def map_frame(url: rx.Var, height: str | dict, test_id: str) -> rx.Component:
    """A map document (`/maps/...`, coworking_app/maps.py `publish`) in a sandboxed frame:
    an opaque origin, see maps.SANDBOX."""
    return rx.el.iframe(
        src=url,
        title=t("Карта"),
        sandbox=maps.SANDBOX,
        custom_attrs={"data-testid": test_id},
        style={
            "width": "100%",
            "height": height,
            "border": f"1px solid {rx.color('gray', 5)}",
            "border_radius": "var(--radius-4)",
            "background": rx.color("gray", 3),
            "display": "block",
        },
    )
