"""/cabinet/favourites: saved spaces (state: state/favourites.py)."""

from __future__ import annotations

import reflex as rx

from pages.components import empty_state, space_card
from pages.layout import page_frame
from state.favourites import FavouritesState
from state.views import CardView
from state.lang import t


def _saved(card: CardView) -> rx.Component:
    return rx.vstack(
        space_card(card),
        rx.button(rx.icon("heart-off", size=14), t("Убрать из избранного"), size="1", variant="soft",
                  color_scheme="gray", on_click=FavouritesState.remove(card.id),
                  aria_label=t("Убрать из избранного: ") + card.name,
                  custom_attrs={"data-testid": "favourite-remove"}),
        spacing="2", width="100%", align="end", custom_attrs={"data-testid": "favourite"},
    )


def favourites_page() -> rx.Component:
    s = FavouritesState
    return page_frame(rx.vstack(
        rx.flex(rx.heading(t("Избранное"), size="6"), rx.spacer(),
                rx.link(t("Мои брони"), href="/cabinet/bookings", size="2"),
                width="100%", align="center", wrap="wrap", spacing="2"),
        rx.cond(
            s.loading,
            rx.vstack(rx.skeleton(height="140px"), rx.skeleton(height="140px"), width="100%"),
            rx.cond(
                s.cards.length() > 0,
                rx.grid(rx.foreach(s.cards, _saved), columns=rx.breakpoints(initial="1", md="2"),
                        spacing="3", width="100%"),
                empty_state("heart", t("Вы пока ничего не сохранили"),
                            rx.text(t("Нажмите «Сохранить» на странице пространства — оно появится здесь."),
                                    size="2", color=rx.color("gray", 11), text_align="center"),
                            rx.link(rx.button(t("Найти пространство")), href="/search")),
            ),
        ),
        spacing="3", width="100%",
    ))
