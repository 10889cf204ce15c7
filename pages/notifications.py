"""/cabinet/notifications: the person's notices (state: state/notifications.py)."""

from __future__ import annotations

import reflex as rx

from pages.components import empty_state
from pages.layout import page_frame
from state.notifications import NoticeView, NotificationState, TextPart
from state.lang import t


def _part(part: TextPart) -> rx.Component:
    """Plain text, or a link to one of our own pages (never HTML from the notice)."""
    return rx.cond(part.href != "",
                   rx.link(part.text, href=part.href, weight="medium",
                           custom_attrs={"data-testid": "notice-link"}),
                   rx.text.span(part.text))


def _notice(n: NoticeView) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.box(width="8px", height="8px", border_radius="50%", flex_shrink="0", margin_top="8px",
                   background=rx.cond(n.read, "transparent", rx.color("accent", 9))),
            rx.vstack(
                rx.text(n.title, weight=rx.cond(n.read, "regular", "bold")),
                rx.text(rx.foreach(n.parts, _part), size="2", color=rx.color("gray", 11),
                        white_space="pre-line", word_break="break-word"),
                rx.flex(
                    rx.text(n.when, size="1", color=rx.color("gray", 9),
                            custom_attrs={"data-testid": "notice-when"}),
                    rx.spacer(),
                    rx.cond(~n.read, rx.button(t("Прочитано"), size="1", variant="soft",
                                               on_click=NotificationState.mark_read(n.id),
                                               custom_attrs={"data-testid": "notice-read"})),
                    align="center", spacing="2", wrap="wrap", width="100%",
                ),
                spacing="1", width="100%", min_width="0",
            ),
            width="100%", align="start",
        ),
        width="100%", custom_attrs={"data-testid": "notice"},
    )


def notifications_page() -> rx.Component:
    s = NotificationState
    return page_frame(rx.vstack(
        rx.flex(
            rx.heading(t("Уведомления"), size="6"), rx.spacer(),
            rx.button(t("Прочитать все"), variant="soft", on_click=s.mark_all_read,
                      disabled=s.unread == 0, custom_attrs={"data-testid": "notices-read-all"}),
            width="100%", align="center", spacing="2", wrap="wrap",
        ),
        rx.cond(
            s.items.length() > 0,
            rx.vstack(rx.foreach(s.items, _notice), spacing="2", width="100%"),
            empty_state("bell-off", t("Уведомлений пока нет"),
                        rx.text(t("Здесь появятся подтверждения, изменения и отмены броней."),
                                size="2", color=rx.color("gray", 11))),
        ),
        spacing="3", width="100%",
    ))
