"""The site's own "page not found": unknown URLs (Reflex route "404", served with HTTP 404)
and the space page of a space nobody can see (coworking_app/page_status.py answers 404)."""

from __future__ import annotations

import reflex as rx

from pages.layout import page_frame
from state.home import HomeState
from state.lang import t


def not_found_content(title: str = t("Страница не найдена"),
                      text: str = t("Возможно, ссылка устарела или в ней опечатка.")) -> rx.Component:
    s = HomeState
    return rx.center(
        rx.vstack(
            rx.icon("map-pin-off", size=44, color=rx.color("gray", 8)),
            rx.heading(title, size="6", text_align="center", custom_attrs={"data-testid": "not-found"}),
            rx.text(text, t(" Найдите пространство поиском или начните с главной."), size="2",
                    color=rx.color("gray", 11), text_align="center"),
            rx.form(
                rx.hstack(
                    rx.input(rx.input.slot(rx.icon("search", size=16)), value=s.q, on_change=s.set_q,
                             name="q", placeholder=t("Коворкинг, район или метро"), aria_label=t("Поиск"),
                             max_length=200, size="3", width="100%",
                             custom_attrs={"data-testid": "not-found-q"}),
                    rx.button(t("Найти"), type="submit", size="3"),
                    width="100%",
                ),
                on_submit=s.search, reset_on_submit=False, width="100%",
            ),
            rx.hstack(
                rx.link(rx.button(rx.icon("house", size=16), t("На главную"), variant="soft"), href="/",
                        custom_attrs={"data-testid": "not-found-home"}),
                rx.link(rx.button(rx.icon("search", size=16), t("Все пространства"), variant="soft"),
                        href="/search"),
                spacing="2", wrap="wrap", justify="center",
            ),
            align="center", spacing="4", width="100%", max_width="520px",
        ),
        padding_y="48px", width="100%",
    )


def not_found_page() -> rx.Component:
    return page_frame(not_found_content())
