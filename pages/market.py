"""The owner's "Рынок рядом" (/owner/spaces/<id>/market): competitors' prices around the
space (state/market.py)."""

from __future__ import annotations

import reflex as rx

from pages.components import empty_state, section
from pages.layout import map_frame, page_frame
from pages.not_found import not_found_content
from state.market import RADII, NeighbourRow, OwnerMarketState, UnitRow
from state.lang import t


def _unit_row(row: UnitRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row.label, white_space="nowrap"),
        rx.table.cell(row.count),
        rx.table.cell(row.median, font_weight="bold", white_space="nowrap"),
        rx.table.cell(row.quartiles, white_space="nowrap"),
        rx.table.cell(row.spread, white_space="nowrap"),
        rx.table.cell(row.own, white_space="nowrap"),
        rx.table.cell(row.standing, white_space="nowrap"),
        custom_attrs={"data-testid": "market-unit"},
    )


def _units() -> rx.Component:
    s = OwnerMarketState
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(
                *[rx.table.column_header_cell(h) for h in
                  (t("Цена"), t("Предложений"), t("Медиана"), t("Половина цен"), t("Все цены"), t("Ваша цена"), t("Где вы"))])),
            rx.table.body(rx.foreach(s.rows, _unit_row)),
            size="1", variant="surface", width="100%",
        ),
        overflow_x="auto", width="100%",
    )


def _neighbour(n: NeighbourRow) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.link(n.name, href=n.url, is_external=True, weight="medium", size="2"),
            rx.text(n.distance, size="1", color=rx.color("gray", 11)),
            spacing="0", min_width="0",
        ),
        rx.spacer(),
        rx.text(n.price, size="2", weight="bold", white_space="nowrap"),
        width="100%", align="center", padding_y="6px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        custom_attrs={"data-testid": "market-neighbour"},
    )


def owner_market_page() -> rx.Component:
    s = OwnerMarketState
    return page_frame(
        rx.cond(
            s.loading,
            rx.vstack(rx.skeleton(height="40px", width="60%"), rx.skeleton(height="300px"), width="100%",
                      spacing="3"),
            rx.cond(
                s.found,
                rx.vstack(
                    rx.flex(
                        rx.vstack(
                            rx.link(rx.hstack(rx.icon("arrow-left", size=14), t("К редактору"), align="center",
                                              spacing="1"),
                                    href="/owner/spaces/" + s.space_id.to_string(), size="2"),
                            rx.heading(t("Рынок рядом"), size="7"),
                            rx.text(s.space_name, color=rx.color("gray", 11), size="2"),
                            spacing="1",
                        ),
                        rx.spacer(),
                        rx.select.root(
                            rx.select.trigger(aria_label=t("Радиус")),
                            rx.select.content(*[rx.select.item(t(label), value=value) for value, label in RADII]),
                            value=s.radius, on_change=s.set_radius,
                            custom_attrs={"data-testid": "market-radius"},
                        ),
                        width="100%", align="end", spacing="3", wrap="wrap",
                    ),
                    rx.text(s.summary, size="2", custom_attrs={"data-testid": "market-summary"}),
                    rx.cond(
                        s.rows.length() > 0,
                        rx.vstack(
                            section(t("Цены конкурентов"), _units(),
                                    rx.text(t("Половина цен — от первой до третьей квартили; «Где вы» — доля конкурентов, которые дешевле вас. Валюты не пересчитываются."),
                                            size="1", color=rx.color("gray", 11)),
                                    test_id="market-units"),
                            section(t("Разброс цен"),
                                    rx.plotly(data=s.figure, config={"displaylogo": False, "responsive": True},
                                              locale="ru", use_resize_handler=True, width="100%"),
                                    rx.text(t("Ромб — ваша цена."), size="1", color=rx.color("gray", 11)),
                                    test_id="market-chart"),
                            rx.grid(
                                section(t("На карте"), map_frame(s.map_url, rx.breakpoints(initial="320px", md="480px"),
                                                              "market-map"),
                                        test_id="market-map-card"),
                                section(t("Ближайшие"), rx.foreach(s.nearest, _neighbour), test_id="market-nearest"),
                                columns=rx.breakpoints(initial="1", md="2"), spacing="4", width="100%",
                                align="start",
                            ),
                            spacing="4", width="100%",
                        ),
                        empty_state("chart-no-axes-column", t("Пока не с чем сравнить"),
                                    rx.text(t("Данные о ценах конкурентов собирает оператор. Выберите радиус больше или загляните позже."), size="2", text_align="center")),
                    ),
                    spacing="4", width="100%",
                ),
                not_found_content(),
            ),
        ),
    )
