"""/search: filters, results and map; every filter is in the URL."""

from __future__ import annotations

import reflex as rx

from pages.components import empty_state, space_card
from pages.layout import map_frame, page_frame
from state.search import SearchState
from state.search_query import ANY
from state.views import Option


def _select(label: str, value, options, on_change, any_label: str, test_id: str,
            disabled=False) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", weight="medium", color=rx.color("gray", 11)),
        rx.select.root(
            rx.select.trigger(width="100%", aria_label=label, custom_attrs={"data-testid": test_id}),
            rx.select.content(
                rx.select.item(any_label, value=ANY),
                rx.foreach(options, lambda o: rx.select.item(o.label, value=o.value)),
            ),
            value=value,
            on_change=on_change,
            disabled=disabled,
        ),
        spacing="1",
        width="100%",
    )


def _labelled(label: str, child: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", weight="medium", color=rx.color("gray", 11)),
        child,
        spacing="1",
        width="100%",
    )


def filters() -> rx.Component:
    s = SearchState
    return rx.form(
        rx.vstack(
            _labelled(
                "Что ищете",
                rx.input(
                    rx.input.slot(rx.icon("search", size=16)),
                    value=s.q, on_change=s.set_q, name="q",
                    placeholder="Например: коворкинг у метро", max_length=200, width="100%",
                    custom_attrs={"data-testid": "filter-q"},
                ),
            ),
            _select("Город", s.city, s.city_options, s.set_city, "Все города", "filter-city"),
            _select("Район", s.district, s.district_options, s.set_district, "Любой район",
                    "filter-district", disabled=s.city == ANY),
            _select("Метро", s.stop_id, s.stop_options, s.set_stop, "Любая станция",
                    "filter-stop", disabled=s.city == ANY),
            rx.cond(
                s.stop_id != ANY,
                _labelled(
                    "Не дальше от метро",
                    rx.select.root(
                        rx.select.trigger(width="100%", aria_label="Не дальше от метро",
                                          custom_attrs={"data-testid": "filter-stop-radius"}),
                        rx.select.content(rx.foreach(
                            s.stop_radius_options, lambda o: rx.select.item(o.label, value=o.value))),
                        value=s.stop_radius_m, on_change=s.set_stop_radius,
                    ),
                ),
            ),
            rx.cond(
                s.point_label != "",
                rx.badge(
                    rx.icon("locate", size=12), s.point_label,
                    rx.icon("x", size=12, cursor="pointer", on_click=s.clear_point),
                    size="2", variant="soft",
                ),
            ),
            _labelled(
                "Цена, ₽",
                rx.vstack(
                    rx.select.root(
                        rx.select.trigger(width="100%", aria_label="Цена за"),
                        rx.select.content(
                            rx.foreach(s.unit_options,
                                       lambda o: rx.select.item(o.label, value=o.value)),
                        ),
                        value=s.price_unit, on_change=s.set_price_unit,
                    ),
                    rx.hstack(
                        rx.input(value=s.min_price, on_change=s.set_min_price, placeholder="от",
                                 input_mode="numeric", name="min_price",
                                 custom_attrs={"data-testid": "filter-min-price"}),
                        rx.input(value=s.max_price, on_change=s.set_max_price, placeholder="до",
                                 input_mode="numeric", name="max_price",
                                 custom_attrs={"data-testid": "filter-max-price"}),
                        spacing="2",
                    ),
                    spacing="2", width="100%",
                ),
            ),
            _labelled(
                "Мест нужно",
                rx.input(value=s.seats, on_change=s.set_seats, placeholder="1",
                         input_mode="numeric", name="seats", width="100%",
                         custom_attrs={"data-testid": "filter-seats"}),
            ),
            _labelled(
                "Свободно в это время",
                rx.vstack(
                    rx.input(type="date", value=s.day, on_change=lambda v: s.set_free("day", v),
                             width="100%", aria_label="Дата",
                             custom_attrs={"data-testid": "filter-day"}),
                    rx.hstack(
                        rx.input(type="time", step="1800", value=s.time_from,
                                 on_change=lambda v: s.set_free("time_from", v), aria_label="С",
                                 custom_attrs={"data-testid": "filter-from"}),
                        rx.input(type="time", step="1800", value=s.time_to,
                                 on_change=lambda v: s.set_free("time_to", v), aria_label="До",
                                 custom_attrs={"data-testid": "filter-to"}),
                        spacing="2", width="100%",
                    ),
                    spacing="2", width="100%",
                ),
            ),
            rx.button(
                rx.cond(s.loading, rx.spinner(size="2"), rx.icon("search", size=16)),
                "Найти", type="submit", width="100%",
                custom_attrs={"data-testid": "filter-submit"},
            ),
            rx.accordion.root(
                rx.accordion.item(
                    header="Удобства",
                    content=rx.vstack(
                        rx.foreach(s.amenity_options, _amenity_checkbox),
                        spacing="2",
                    ),
                    value="amenities",
                ),
                collapsible=True,
                type="single",
                default_value="amenities",
                variant="ghost",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=s.submit,
        reset_on_submit=False,
        width="100%",
    )


def _amenity_checkbox(option: Option) -> rx.Component:
    return rx.checkbox(
        option.label,
        checked=SearchState.amenities.contains(option.value),
        on_change=lambda checked: SearchState.toggle_amenity(option.value, checked),
        size="2",
        custom_attrs={"data-amenity": option.value},
    )


def toolbar() -> rx.Component:
    s = SearchState
    return rx.flex(
        rx.heading(rx.cond(s.error != "", "Ошибка в фильтрах", s.summary), size="4",
                   custom_attrs={"data-testid": "search-summary"}),
        rx.spacer(),
        rx.select.root(
            rx.select.trigger(aria_label="Сортировка", custom_attrs={"data-testid": "sort"}),
            rx.select.content(
                rx.foreach(s.sort_options, lambda o: rx.select.item(o.label, value=o.value)),
            ),
            value=s.sort, on_change=s.set_sort,
        ),
        align="center", gap="3", width="100%", wrap="wrap",
    )


def results() -> rx.Component:
    s = SearchState
    return rx.vstack(
        toolbar(),
        rx.cond(
            s.error != "",
            rx.callout(s.error, icon="triangle_alert", color_scheme="red", width="100%",
                       custom_attrs={"data-testid": "search-error"}),
        ),
        rx.cond(
            s.loading & (s.results.length() == 0),
            rx.vstack(*[rx.skeleton(height="130px", width="100%") for _ in range(3)],
                      width="100%"),
            rx.cond(
                (s.results.length() == 0) & (s.error == ""),
                empty_state(
                    "search-x", "Ничего не нашлось",
                    rx.text("С такими фильтрами подходящих пространств нет. "
                            "Попробуйте ослабить условия:",
                            size="2", color=rx.color("gray", 11), text_align="center"),
                    rx.flex(
                        rx.foreach(s.widen, lambda w: rx.link(
                            rx.button(w.label, variant="soft", size="2"), href=w.href,
                        )),
                        gap="2", wrap="wrap", justify="center",
                        custom_attrs={"data-testid": "widen-links"},
                    ),
                ),
                rx.vstack(rx.foreach(s.results, space_card), spacing="3", width="100%",
                          custom_attrs={"data-testid": "results"}),
            ),
        ),
        rx.cond(
            s.pages > 1,
            rx.hstack(
                rx.button(rx.icon("chevron-left", size=16), "Назад", variant="soft",
                          disabled=~s.has_prev, on_click=s.go_to_page(s.page - 1)),
                rx.text(s.page_label, size="2"),
                rx.button("Дальше", rx.icon("chevron-right", size=16), variant="soft",
                          disabled=~s.has_next, on_click=s.go_to_page(s.page + 1),
                          custom_attrs={"data-testid": "next-page"}),
                justify="center", align="center", width="100%", spacing="3",
            ),
        ),
        spacing="3",
        width="100%",
        min_width="0",
    )


def _filters_toggle() -> rx.Component:
    """On phones the filter panel folds away behind this button, so results come first."""
    s = SearchState
    return rx.button(
        rx.icon("sliders-horizontal", size=16),
        "Фильтры",
        rx.cond(s.active_filters > 0, rx.badge(s.active_filters, variant="solid", radius="full")),
        rx.spacer(),
        rx.cond(s.filters_open, rx.icon("chevron-up", size=16), rx.icon("chevron-down", size=16)),
        on_click=s.toggle_filters,
        variant="surface", size="3", width="100%",
        display=rx.breakpoints(initial="flex", md="none"),
        margin_bottom=rx.cond(s.filters_open, "12px", "0"),
        custom_attrs={"data-testid": "filters-toggle"},
    )


def search_page() -> rx.Component:
    s = SearchState
    return page_frame(
        rx.grid(
            rx.box(
                _filters_toggle(),
                rx.card(filters(), width="100%",
                        class_name=rx.cond(s.filters_open, "cw-filters cw-open", "cw-filters")),
                position=rx.breakpoints(initial="static", lg="sticky"),
                top="72px",
                align_self="start",
                grid_row=rx.breakpoints(initial="auto", md="span 2", lg="auto"),
            ),
            rx.box(
                map_frame(s.map_url, rx.breakpoints(initial="300px", lg="calc(100vh - 110px)"),
                          "results-map"),
                position=rx.breakpoints(initial="static", lg="sticky"),
                top="72px",
                align_self="start",
                order=rx.breakpoints(initial="1", lg="3"),
                width="100%",
            ),
            rx.box(results(), order="2", min_width="0"),
            grid_template_columns=rx.breakpoints(
                initial="minmax(0, 1fr)", md="280px minmax(0, 1fr)",
                lg="270px minmax(0, 1fr) minmax(0, 0.8fr)",
            ),
            gap="16px",
            width="100%",
        ),
        wide=True,
    )
