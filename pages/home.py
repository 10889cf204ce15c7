"""/: search box, cities and featured spaces."""

from __future__ import annotations

import reflex as rx

from pages.components import space_card
from pages.layout import page_frame
from state.home import CityCard, HomeState
from state.lang import t


def hero() -> rx.Component:
    s = HomeState
    return rx.box(
        rx.vstack(
            rx.heading(t("Коворкинги рядом с вами"), size=rx.breakpoints(initial="7", md="9"),
                       color="white"),
            rx.text(t("Сравнивайте пространства по цене, удобствам и близости к метро и бронируйте рабочее место на час, день или месяц."),
                    size=rx.breakpoints(initial="3", md="4"), color="white", opacity="0.9",
                    max_width="640px"),
            rx.form(
                rx.flex(
                    rx.input(
                        rx.input.slot(rx.icon("search", size=16)),
                        value=s.q, on_change=s.set_q, placeholder=t("Коворкинг, район или улица"),
                        size="3", max_length=200, flex="1", min_width="0",
                        custom_attrs={"data-testid": "home-q"},
                    ),
                    rx.select.root(
                        rx.select.trigger(aria_label=t("Город")),
                        rx.select.content(
                            rx.foreach(s.city_options,
                                       lambda o: rx.select.item(o.label, value=o.value)),
                        ),
                        value=s.city, on_change=s.set_city, size="3",
                    ),
                    rx.button(t("Найти"), size="3", type="submit",
                              custom_attrs={"data-testid": "home-search"}),
                    gap="2", width="100%", max_width="720px",
                    direction=rx.breakpoints(initial="column", sm="row"),
                ),
                on_submit=s.search,
                reset_on_submit=False,
                width="100%",
            ),
            spacing="4",
            padding=rx.breakpoints(initial="24px", md="48px"),
        ),
        background=f"linear-gradient(135deg, {rx.color('accent', 10)}, {rx.color('accent', 8)})",
        border_radius="var(--radius-5)",
        width="100%",
    )


def _city(city: CityCard) -> rx.Component:
    return rx.link(
        rx.card(
            rx.hstack(
                rx.icon("map-pin", color=rx.color("accent", 10)),
                rx.vstack(rx.text(city.name, weight="bold", size="4"),
                          rx.text(city.count, size="2", color=rx.color("gray", 10)),
                          spacing="0"),
                align="center",
            ),
            width="100%",
        ),
        href=city.href, underline="none", width="100%",
    )


def home_page() -> rx.Component:
    s = HomeState
    return page_frame(
        rx.vstack(
            hero(),
            rx.heading(t("Города"), size="5", margin_top="16px"),
            rx.grid(rx.foreach(s.cities, _city), columns=rx.breakpoints(initial="1", sm="3"),
                    gap="3", width="100%"),
            rx.heading(t("Популярные пространства"), size="5", margin_top="16px"),
            rx.cond(
                s.loading,
                rx.grid(*[rx.skeleton(height="140px") for _ in range(4)],
                        columns=rx.breakpoints(initial="1", md="2"), gap="3", width="100%"),
                rx.grid(rx.foreach(s.featured, space_card),
                        columns=rx.breakpoints(initial="1", md="2"), gap="3", width="100%"),
            ),
            spacing="3",
            width="100%",
        )
    )
