"""/inbox (conversations of the signed-in person, renter or owner) and /inbox/[id]."""

from __future__ import annotations

import reflex as rx

from pages.components import empty_state, named_upload
from pages.layout import page_frame
from state.inbox import ConversationRow, InboxState, MessageRow
from state.lang import t

UPLOAD_ID = "message-image"


def _row(c: ConversationRow) -> rx.Component:
    return rx.link(
        rx.card(
            rx.flex(
                rx.avatar(fallback=c.other.to(str)[:1], size="3", radius="full", color_scheme="teal"),
                rx.vstack(
                    rx.flex(
                        rx.text(c.other, weight="bold", size="2"),
                        rx.text(c.space, " · ", c.about, size="1", color=rx.color("gray", 10)),
                        spacing="2", wrap="wrap", align="baseline",
                    ),
                    rx.text(c.last, size="2", color=rx.color("gray", 11), overflow="hidden",
                            text_overflow="ellipsis", white_space="nowrap", width="100%"),
                    spacing="1", min_width="0", flex="1",
                ),
                rx.vstack(
                    rx.text(c.when, size="1", color=rx.color("gray", 10), white_space="nowrap"),
                    rx.cond(c.unread > 0, rx.badge(c.unread, color_scheme="red", variant="solid",
                                                   radius="full", custom_attrs={"data-testid": "conversation-unread"})),
                    align="end", spacing="1",
                ),
                spacing="3", align="center", width="100%",
            ),
            width="100%",
        ),
        href=c.href, underline="none", color="inherit", width="100%",
        custom_attrs={"data-testid": "conversation", "data-conversation": c.id},
    )


def inbox_page() -> rx.Component:
    s = InboxState
    return page_frame(rx.vstack(
        rx.heading(t("Сообщения"), size="6"),
        rx.input(rx.input.slot(rx.icon("search", size=16)), placeholder=t("Поиск по пространству или человеку"),
                 value=s.q, on_change=s.search.debounce(300), width="100%", max_width="480px",
                 aria_label=t("Поиск по переписке"),
                 custom_attrs={"data-testid": "inbox-search"}),
        rx.cond(
            s.loading,
            rx.vstack(rx.skeleton(height="72px"), rx.skeleton(height="72px"), width="100%"),
            rx.cond(
                s.rows.length() > 0,
                rx.vstack(rx.foreach(s.rows, _row), spacing="2", width="100%"),
                empty_state("messages-square", rx.cond(s.q != "", t("Ничего не найдено"), t("Сообщений пока нет")),
                            rx.text(t("Задайте вопрос владельцу на странице пространства или напишите по брони из раздела «Мои брони»."), size="2",
                                    color=rx.color("gray", 11), text_align="center")),
            ),
        ),
        spacing="3", width="100%", max_width="820px",
    ))


def _bubble(m: MessageRow) -> rx.Component:
    return rx.flex(
        rx.box(
            rx.cond(m.image != "", rx.link(
                rx.image(src=m.image, alt=t("Изображение"), max_width="240px", max_height="240px",
                         border_radius="var(--radius-2)", loading="lazy"),
                href=m.full, is_external=True)),
            # Plain text: React escapes it, markup in a message shows as typed.
            rx.cond(m.text != "", rx.text(m.text, size="2", white_space="pre-wrap", word_break="break-word",
                                          custom_attrs={"data-testid": "message-text"})),
            rx.text(m.when, size="1", color=rx.color("gray", 10), text_align="right"),
            background=rx.cond(m.mine, rx.color("accent", 4), rx.color("gray", 3)),
            padding="8px 12px", border_radius="var(--radius-4)", max_width="80%",
            custom_attrs={"data-testid": "message", "data-mine": m.mine.to_string()},
        ),
        justify=rx.cond(m.mine, "end", "start"), width="100%",
    )


def _composer() -> rx.Component:
    s = InboxState
    return rx.vstack(
        rx.cond(s.error != "", rx.callout(s.error, icon="triangle-alert", color_scheme="red", size="1",
                                          custom_attrs={"data-testid": "message-error"})),
        rx.flex(
            rx.text_area(value=s.draft, on_change=s.set_draft, placeholder=t("Сообщение…"), rows="2",
                         aria_label=t("Текст сообщения"),
                         width="100%", custom_attrs={"data-testid": "message-input"}),
            rx.vstack(
                rx.button(rx.cond(s.sending, rx.spinner(size="2"), rx.icon("send", size=16)), t("Отправить"),
                          on_click=s.send, disabled=s.sending, custom_attrs={"data-testid": "message-send"}),
                named_upload(t("Прикрепить фото"), rx.upload(
                    rx.button(rx.icon("image-plus", size=16), t("Фото"), variant="soft", size="1",
                              disabled=s.sending, width="100%"),
                    id=UPLOAD_ID, max_files=1, multiple=False, no_drag=True, border="none", padding="0",
                    accept={"image/jpeg": [".jpg", ".jpeg"], "image/png": [".png"]},
                    on_drop=s.send_image(rx.upload_files(upload_id=UPLOAD_ID)),
                )),
                spacing="2",
            ),
            spacing="2", width="100%", align="start",
        ),
        rx.text(t("Только текст: ссылки и разметка показываются как написаны. Фото — JPEG или PNG до 5 МБ."),
                size="1", color=rx.color("gray", 10)),
        width="100%", spacing="2",
    )


def thread_page() -> rx.Component:
    s = InboxState
    return page_frame(rx.vstack(
        rx.link(rx.hstack(rx.icon("chevron-left", size=16), t("Все сообщения"), align="center", spacing="1"),
                href="/inbox", size="2"),
        rx.cond(
            s.loading,
            rx.vstack(rx.skeleton(height="32px", width="50%"), rx.skeleton(height="240px"), width="100%"),
            rx.cond(
                s.found,
                rx.vstack(
                    rx.vstack(
                        rx.heading(s.title, size="5", custom_attrs={"data-testid": "thread-title"}),
                        rx.link(s.subtitle, href=s.space_href, size="2", color_scheme="gray"),
                        spacing="1",
                    ),
                    rx.card(
                        rx.vstack(
                            rx.cond(s.messages.length() == 0,
                                    rx.text(t("Сообщений пока нет — напишите первым."), size="2",
                                            color=rx.color("gray", 11))),
                            rx.foreach(s.messages, _bubble),
                            spacing="2", width="100%",
                        ),
                        width="100%", max_height="60vh", overflow_y="auto",
                        custom_attrs={"data-testid": "thread"},
                    ),
                    rx.cond(s.read_only,
                            rx.callout(t("Вы читаете переписку по жалобе; писать в неё нельзя."), icon="shield",
                                       size="1"),
                            _composer()),
                    spacing="3", width="100%",
                ),
                empty_state("message-square-x", t("Переписка не найдена"),
                            rx.link(rx.button(t("Ко всем сообщениям")), href="/inbox")),
            ),
        ),
        spacing="3", width="100%", max_width="820px",
    ))
