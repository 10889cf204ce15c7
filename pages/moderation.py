"""/admin/moderation: reviews waiting for a decision, reported reviews, decided ones."""

from __future__ import annotations

import reflex as rx

from pages.components import empty_state
from pages.layout import page_frame
from pages.admin import admin_nav
from state.moderation import ModerationState, QueueItem, ReportedThread, SpaceItem
from state.lang import t

VIEWS = [("spaces", t("Пространства")), ("pending", t("Отзывы")), ("reported", t("Жалобы")), ("approved", t("Одобренные")),
         ("rejected", t("Отклонённые")), ("conversations", t("Переписки"))]


def _item(r: QueueItem) -> rx.Component:
    s = ModerationState
    busy = s.busy_id == r.id
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.link(rx.text(r.space, weight="bold"), href=r.space_href),
                rx.text(r.stars, color="#f5a524"),
                rx.spacer(),
                rx.text(r.author, " · ", r.when, size="1", color=rx.color("gray", 10)),
                spacing="2", wrap="wrap", width="100%", align="center",
            ),
            rx.cond(r.subratings != "", rx.text(r.subratings, size="1", color=rx.color("gray", 10))),
            rx.text(r.text, size="2", white_space="pre-line", custom_attrs={"data-testid": "moderation-text"}),
            rx.cond(r.flags.length() > 0, rx.flex(
                rx.text(t("Автопроверка:"), size="1", color=rx.color("gray", 10)),
                rx.foreach(r.flags, lambda f: rx.badge(f, color_scheme="amber", variant="soft")),
                spacing="2", wrap="wrap", align="center")),
            rx.foreach(r.reports, lambda why: rx.callout(t("Жалоба: ") + why, icon="flag", color_scheme="red",
                                                         size="1")),
            rx.cond(r.reason != "", rx.text(t("Причина отклонения: "), r.reason, size="1",
                                            color=rx.color("gray", 10))),
            rx.flex(
                rx.cond(r.status != "approved", rx.button(
                    rx.cond(busy, rx.spinner(size="2"), rx.icon("check", size=14)), t("Одобрить"), size="1",
                    color_scheme="green", disabled=busy, on_click=s.decide("approve", r.id),
                    custom_attrs={"data-testid": "moderation-approve"})),
                rx.cond(r.status != "rejected", rx.button(
                    rx.icon("x", size=14), rx.cond(r.status == "approved", t("Скрыть"), t("Отклонить")), size="1",
                    variant="soft", color_scheme="red", disabled=busy, on_click=s.start_reject(r.id),
                    custom_attrs={"data-testid": "moderation-reject"})),
                rx.cond(r.reports.length() > 0, rx.button(
                    t("Оставить как есть"), size="1", variant="soft", color_scheme="gray", disabled=busy,
                    on_click=s.decide("dismiss", r.id))),
                spacing="2", wrap="wrap",
            ),
            spacing="2", width="100%",
        ),
        width="100%", custom_attrs={"data-testid": "moderation-item", "data-review": r.id},
    )


def _space(item: SpaceItem) -> rx.Component:
    s = ModerationState
    busy = s.busy_id == item.id
    return rx.card(
        rx.flex(
            rx.cond(item.thumb != "", rx.image(src=item.thumb, alt=item.name, width=rx.breakpoints(initial="100%", sm="160px"),
                                               height="110px", object_fit="cover", border_radius="var(--radius-3)",
                                               flex_shrink="0"),
                    rx.center(rx.icon("image-off", size=28, color=rx.color("gray", 8)),
                              width=rx.breakpoints(initial="100%", sm="160px"), height="110px",
                              background=rx.color("gray", 3), border_radius="var(--radius-3)", flex_shrink="0")),
            rx.vstack(
                rx.flex(
                    rx.text(item.name, weight="bold"),
                    rx.badge(rx.cond(item.kind == "new", t("Новое"), t("Изменения")),
                             color_scheme=rx.cond(item.kind == "new", "blue", "amber"), variant="soft"),
                    rx.spacer(),
                    rx.text(item.owner, " · ", item.when, size="1", color=rx.color("gray", 10)),
                    spacing="2", wrap="wrap", width="100%", align="center",
                ),
                rx.text(item.place, " · ", item.photos, size="1", color=rx.color("gray", 11)),
                rx.text(item.description, size="2", white_space="pre-line"),
                rx.flex(
                    rx.button(rx.cond(busy, rx.spinner(size="2"), rx.icon("check", size=14)), t("Опубликовать"),
                              size="1", color_scheme="green", disabled=busy, on_click=s.decide("approve_space", item.id),
                              custom_attrs={"data-testid": "space-approve"}),
                    rx.button(rx.icon("x", size=14), t("Отклонить"), size="1", variant="soft", color_scheme="red",
                              disabled=busy, on_click=s.start_reject(item.id),
                              custom_attrs={"data-testid": "space-reject"}),
                    rx.link(rx.button(rx.icon("pencil", size=14), t("Открыть в редакторе"), size="1", variant="soft",
                                      color_scheme="gray"), href=item.editor_href),
                    rx.cond(item.kind == "changed", rx.link(rx.button(rx.icon("external-link", size=14), t("Страница"),
                                                                      size="1", variant="soft", color_scheme="gray"),
                                                            href=item.href)),
                    spacing="2", wrap="wrap",
                ),
                spacing="2", width="100%", min_width="0",
            ),
            direction=rx.breakpoints(initial="column", sm="row"), spacing="3", width="100%",
        ),
        width="100%", custom_attrs={"data-testid": "moderation-space", "data-space": item.id},
    )


def _thread(th: ReportedThread) -> rx.Component:
    s = ModerationState
    return rx.card(
        rx.vstack(
            rx.flex(rx.text(th.title, weight="bold", size="2"), rx.spacer(),
                    rx.text(th.when, size="1", color=rx.color("gray", 10)), spacing="2", wrap="wrap", width="100%"),
            rx.foreach(th.reasons, lambda why: rx.callout(t("Жалоба: ") + why, icon="flag", color_scheme="red",
                                                         size="1")),
            rx.flex(
                rx.link(rx.button(rx.icon("messages-square", size=14), t("Читать переписку"), size="1",
                                  variant="soft"), href=th.href),
                rx.button(t("Закрыть жалобу"), size="1", variant="soft", color_scheme="gray",
                          disabled=s.busy_id == th.id, on_click=s.decide("resolve", th.id)),
                spacing="2", wrap="wrap",
            ),
            spacing="2", width="100%",
        ),
        width="100%", custom_attrs={"data-testid": "reported-thread"},
    )


def _reject_dialog() -> rx.Component:
    s = ModerationState
    return rx.dialog.root(rx.dialog.content(
        rx.dialog.title(rx.cond(s.view == "spaces", t("Отклонить пространство"), t("Отклонить отзыв"))),
        rx.dialog.description(rx.cond(s.view == "spaces", t("Владелец увидит причину в уведомлении и в редакторе."),
                                      t("Автор увидит причину в уведомлении.")), size="2", color=rx.color("gray", 11)),
        rx.text_area(value=s.reason, on_change=s.set_reason, rows="3", width="100%", margin_top="12px",
                     placeholder=rx.cond(s.view == "spaces", t("Например: на фото нет рабочих мест"),
                                    t("Например: отзыв содержит контактные данные")),
                     custom_attrs={"data-testid": "moderation-reason"}),
        rx.cond(s.error != "", rx.text(s.error, color=rx.color("red", 11), size="2")),
        rx.flex(
            rx.button(t("Отмена"), variant="soft", color_scheme="gray", on_click=s.cancel_reject),
            rx.button(t("Отклонить"), color_scheme="red", on_click=s.confirm_reject,
                      custom_attrs={"data-testid": "moderation-reject-confirm"}),
            spacing="3", justify="end", margin_top="16px",
        ),
    ), open=s.rejecting > 0, on_open_change=lambda _open: s.cancel_reject())


def moderation_page() -> rx.Component:
    s = ModerationState
    return page_frame(rx.vstack(
        admin_nav("/admin/moderation"),
        rx.heading(t("Модерация"), size="6"),
        rx.cond(
            s.allowed,
            rx.vstack(
                rx.box(rx.segmented_control.root(
                    *[rx.segmented_control.item(label, value=value) for value, label in VIEWS],
                    value=s.view, on_change=s.set_view, custom_attrs={"data-testid": "moderation-view"}),
                    max_width="100%", overflow_x="auto"),
                rx.text(t("Найдено: "), s.total, size="2", color=rx.color("gray", 11)),
                rx.cond(
                    s.loading,
                    rx.skeleton(height="120px", width="100%"),
                    rx.cond(s.items.length() + s.threads.length() + s.spaces.length() > 0,
                            rx.vstack(rx.foreach(s.spaces, _space), rx.foreach(s.items, _item),
                                      rx.foreach(s.threads, _thread),
                                      spacing="2", width="100%"),
                            empty_state("inbox", t("Очередь пуста"),
                                        rx.text(t("Новые пространства, отзывы и жалобы появятся здесь."), size="2",
                                                color=rx.color("gray", 11)))),
                ),
                _reject_dialog(),
                spacing="3", width="100%",
            ),
            empty_state("shield-alert", t("Недостаточно прав"),
                        rx.text(t("Раздел доступен операторам и администраторам."), size="2",
                                color=rx.color("gray", 11))),
        ),
        spacing="3", width="100%", max_width="900px",
    ))
