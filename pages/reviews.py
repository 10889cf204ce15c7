"""Reviews on the space page, "Ask the host", and the review form of My bookings."""

from __future__ import annotations

import reflex as rx

from pages.components import section
from state.inbox import AskHostState
from state.reviews import BarView, ReviewFormState, ReviewView, SpaceReviewsState, SubratingInput
from state.lang import t

STAR = "#f5a524"
RATINGS = ["1", "2", "3", "4", "5"]


def _bar(bar: BarView) -> rx.Component:
    return rx.hstack(
        rx.text(bar.label, size="1", width="28px", flex_shrink="0"),
        rx.box(rx.box(width=bar.percent.to_string() + "%", height="100%", background=STAR,
                      border_radius="var(--radius-1)"),
               height="8px", width="100%", background=rx.color("gray", 4), border_radius="var(--radius-1)"),
        rx.text(bar.count, size="1", width="24px", text_align="right", color=rx.color("gray", 10)),
        align="center", width="100%", spacing="2",
    )


def _summary() -> rx.Component:
    s = SpaceReviewsState
    return rx.flex(
        rx.vstack(
            rx.text(s.average, size="8", weight="bold", custom_attrs={"data-testid": "rating-average"}),
            rx.text(s.count_label, size="2", color=rx.color("gray", 11),
                    custom_attrs={"data-testid": "rating-count"}),
            spacing="0", align="center", min_width="96px",
        ),
        rx.vstack(rx.foreach(s.bars, _bar), spacing="1", width="100%", max_width="320px"),
        rx.flex(
            rx.foreach(s.subratings, lambda r: rx.badge(r.label, " ", r.value, variant="soft",
                                                         color_scheme="gray")),
            spacing="2", wrap="wrap", align_content="start",
        ),
        direction=rx.breakpoints(initial="column", sm="row"), gap="16px", width="100%",
        align=rx.breakpoints(initial="start", sm="center"),
    )


def _review(r: ReviewView) -> rx.Component:
    s = SpaceReviewsState
    return rx.box(
        rx.vstack(
            rx.flex(
                rx.text(r.author, weight="bold", size="2"),
                rx.text(r.stars, color=STAR, size="2", aria_label=r.rating.to_string() + t(" из 5")),
                rx.spacer(),
                rx.text(r.meta, rx.cond(r.edited, t(" · изменён"), ""), size="1", color=rx.color("gray", 10)),
                spacing="2", wrap="wrap", width="100%", align="center",
            ),
            rx.cond(r.subratings != "", rx.text(r.subratings, size="1", color=rx.color("gray", 10))),
            # Text, never HTML: React escapes it, so markup in a review shows as typed.
            rx.text(r.text, size="2", white_space="pre-line", custom_attrs={"data-testid": "review-text"}),
            rx.cond(
                r.has_reply,
                rx.box(
                    rx.text(t("Ответ владельца"), size="1", weight="bold", color=rx.color("accent", 11)),
                    rx.text(r.reply, size="2", white_space="pre-line"),
                    padding="8px 12px", background=rx.color("accent", 2), width="100%",
                    border_left=f"3px solid {rx.color('accent', 8)}", border_radius="var(--radius-2)",
                    custom_attrs={"data-testid": "review-reply"},
                ),
            ),
            rx.hstack(
                rx.cond(s.viewer_is_owner & ~r.has_reply,
                        rx.button(rx.icon("reply", size=14), t("Ответить"), size="1", variant="soft",
                                  on_click=s.open_dialog("reply", r.id),
                                  custom_attrs={"data-testid": "review-reply-button"})),
                rx.cond(~s.viewer_is_owner,
                        rx.button(rx.icon("flag", size=14), t("Пожаловаться"), size="1", variant="ghost",
                                  color_scheme="gray", on_click=s.open_dialog("report", r.id))),
                spacing="3",
            ),
            spacing="2", width="100%",
        ),
        padding_y="12px", border_top=f"1px solid {rx.color('gray', 4)}", width="100%",
        custom_attrs={"data-testid": "review"},
    )


def _dialog() -> rx.Component:
    s = SpaceReviewsState
    return rx.dialog.root(rx.dialog.content(
        rx.dialog.title(rx.cond(s.dialog == "reply", t("Публичный ответ на отзыв"), t("Жалоба на отзыв"))),
        rx.dialog.description(
            rx.cond(s.dialog == "reply", t("Ответ увидят все посетители страницы. Ответить можно один раз."),
                    t("Опишите, что не так: модератор проверит отзыв.")),
            size="2", color=rx.color("gray", 11)),
        rx.text_area(value=s.draft, on_change=s.set_draft, rows="4", width="100%", margin_top="12px",
                     aria_label=rx.cond(s.dialog == "reply", t("Ответ на отзыв"), t("Причина")),
                     placeholder=rx.cond(s.dialog == "reply", t("Спасибо за отзыв…"), t("Причина")),
                     custom_attrs={"data-testid": "review-dialog-text"}),
        rx.cond(s.error != "", rx.text(s.error, color=rx.color("red", 11), size="2")),
        rx.flex(
            rx.button(t("Отмена"), variant="soft", color_scheme="gray", on_click=s.close_dialog),
            rx.button(rx.cond(s.busy, rx.spinner(size="2"), t("Отправить")), on_click=s.submit,
                      disabled=s.busy, custom_attrs={"data-testid": "review-dialog-submit"}),
            spacing="3", justify="end", margin_top="16px",
        ),
    ), open=s.dialog != "", on_open_change=lambda _open: s.close_dialog())


def reviews_section() -> rx.Component:
    s = SpaceReviewsState
    return rx.box(section(
        t("Отзывы"),
        rx.cond(
            s.total > 0,
            rx.vstack(
                _summary(),
                rx.vstack(rx.foreach(s.items, _review), spacing="0", width="100%"),
                rx.cond(s.has_more, rx.button(
                    rx.cond(s.loading_more, rx.spinner(size="2"), t("Показать ещё")), variant="soft",
                    on_click=s.load_more, disabled=s.loading_more)),
                spacing="3", width="100%",
            ),
            rx.text(t("Пока нет отзывов. Отзыв может оставить гость после визита."), size="2",
                    color=rx.color("gray", 11)),
        ),
        rx.cond(s.notice != "", rx.callout(s.notice, icon="check", color_scheme="green", high_contrast=True, size="1")),
        _dialog(),
        test_id="reviews",
    ), id="reviews", width="100%")


def ask_host() -> rx.Component:
    a = AskHostState
    return rx.fragment(
        rx.button(rx.icon("message-circle", size=16), t("Задать вопрос владельцу"), variant="soft",
                  width="100%", on_click=a.start, custom_attrs={"data-testid": "ask-host"}),
        rx.dialog.root(rx.dialog.content(
            rx.dialog.title(t("Вопрос владельцу")),
            rx.dialog.description(t("Владелец получит сообщение и ответит в разделе «Сообщения»."),
                                  size="2", color=rx.color("gray", 11)),
            rx.text_area(value=a.text, on_change=a.set_text, rows="4", width="100%", margin_top="12px",
                         aria_label=t("Вопрос владельцу"),
                         placeholder=t("Например: есть ли парковка и переговорная на 6 человек?"),
                         custom_attrs={"data-testid": "ask-host-text"}),
            rx.cond(a.error != "", rx.text(a.error, color=rx.color("red", 11), size="2",
                                           custom_attrs={"data-testid": "ask-host-error"})),
            rx.flex(
                rx.dialog.close(rx.button(t("Отмена"), variant="soft", color_scheme="gray")),
                rx.button(rx.cond(a.busy, rx.spinner(size="2"), t("Отправить")), on_click=a.send,
                          disabled=a.busy, custom_attrs={"data-testid": "ask-host-send"}),
                spacing="3", justify="end", margin_top="16px",
            ),
        ), open=a.open, on_open_change=a.set_open),
    )


def _rating_control(value, on_change, test_id: str, size: str = "2") -> rx.Component:
    return rx.segmented_control.root(
        *[rx.segmented_control.item(v, value=v) for v in RATINGS],
        value=value, on_change=on_change, size=size, custom_attrs={"data-testid": test_id},
    )


def _subrating(item: SubratingInput) -> rx.Component:
    return rx.flex(
        rx.text(item.label, size="2", min_width="110px"),
        _rating_control(item.value, lambda v: ReviewFormState.set_subrating(item.code, v),
                        "review-sub", size="1"),
        align="center", spacing="2", wrap="wrap", justify="between", width="100%",
    )


def review_form_dialog() -> rx.Component:
    f = ReviewFormState
    return rx.dialog.root(rx.dialog.content(
        rx.dialog.title(rx.cond(f.review_id > 0, t("Изменить отзыв"), t("Отзыв"))),
        rx.dialog.description(f.title, size="2", color=rx.color("gray", 11)),
        rx.vstack(
            rx.text(t("Общая оценка"), size="2", weight="medium"),
            _rating_control(f.rating, f.set_rating, "review-rating"),
            rx.text(t("Подробнее (необязательно)"), size="2", weight="medium", margin_top="8px"),
            rx.foreach(f.subratings, _subrating),
            rx.text(t("Текст отзыва"), size="2", weight="medium", margin_top="8px"),
            rx.text_area(value=f.text, on_change=f.set_text, rows="5", width="100%", aria_label=t("Текст отзыва"),
                         placeholder=t("Что понравилось, что стоит улучшить (от 10 символов)"),
                         custom_attrs={"data-testid": "review-text-input"}),
            rx.text(f.text_count, size="1", color=rx.color("gray", 10)),
            rx.cond(f.error != "", rx.callout(f.error, icon="triangle-alert", color_scheme="red", size="1",
                                              custom_attrs={"data-testid": "review-error"})),
            spacing="2", width="100%", margin_top="8px",
        ),
        rx.flex(
            rx.dialog.close(rx.button(t("Отмена"), variant="soft", color_scheme="gray")),
            rx.button(rx.cond(f.busy, rx.spinner(size="2"), t("Отправить на модерацию")), on_click=f.submit,
                      disabled=f.busy, custom_attrs={"data-testid": "review-submit"}),
            spacing="3", justify="end", margin_top="16px",
        ),
        max_width="520px",
    ), open=f.open, on_open_change=f.set_open)
