"""/search: filters, results and map; every filter is in the URL."""

from __future__ import annotations

import reflex as rx

from pages.components import date_input, empty_state, space_card, time_input
from pages.layout import page_frame
from pages.live_map import live_map, map_styles
from state.search import PlaceOption, SearchState
from state.search_query import ANY
from state.views import CardView, Option
from state.lang import LanguageState, t


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
                t("Что ищете"),
                rx.input(
                    rx.input.slot(rx.icon("search", size=16)),
                    value=s.q, on_change=s.set_q, name="q",
                    placeholder=t("Например: коворкинг у метро"), max_length=200, width="100%",
                    custom_attrs={"data-testid": "filter-q"},
                ),
            ),
            _select(t("Город"), s.city, s.city_options, s.set_city, t("Все города"), "filter-city"),
            _select(t("Район"), s.district, s.district_options, s.set_district, t("Любой район"),
                    "filter-district", disabled=s.city == ANY),
            _select(t("Метро"), s.stop_id, s.stop_options, s.set_stop, t("Любая станция"),
                    "filter-stop", disabled=s.city == ANY),
            rx.cond(
                s.stop_id != ANY,
                _labelled(
                    t("Не дальше от метро"),
                    rx.select.root(
                        rx.select.trigger(width="100%", aria_label=t("Не дальше от метро"),
                                          custom_attrs={"data-testid": "filter-stop-radius"}),
                        rx.select.content(rx.foreach(
                            s.stop_radius_options, lambda o: rx.select.item(o.label, value=o.value))),
                        value=s.stop_radius_m, on_change=s.set_stop_radius,
                    ),
                ),
            ),
            _labelled(
                t("Цена, ₽"),
                rx.vstack(
                    rx.select.root(
                        rx.select.trigger(width="100%", aria_label=t("Цена за")),
                        rx.select.content(
                            rx.foreach(s.unit_options,
                                       lambda o: rx.select.item(o.label, value=o.value)),
                        ),
                        value=s.price_unit, on_change=s.set_price_unit,
                    ),
                    rx.hstack(
                        rx.input(value=s.min_price, on_change=s.set_min_price, placeholder=t("от"),
                                 input_mode="numeric", name="min_price",
                                 custom_attrs={"data-testid": "filter-min-price"}),
                        rx.input(value=s.max_price, on_change=s.set_max_price, placeholder=t("до"),
                                 input_mode="numeric", name="max_price",
                                 custom_attrs={"data-testid": "filter-max-price"}),
                        spacing="2",
                    ),
                    spacing="2", width="100%",
                ),
            ),
            _labelled(
                t("Мест нужно"),
                rx.input(value=s.seats, on_change=s.set_seats, placeholder="1",
                         input_mode="numeric", name="seats", width="100%",
                         custom_attrs={"data-testid": "filter-seats"}),
            ),
            _labelled(
                t("Свободно в это время"),
                rx.vstack(
                    date_input(s.day, lambda v: s.set_free("day", v), label=t("Дата"), test_id="filter-day",
                               width="100%"),
                    rx.hstack(
                        time_input(s.time_from, lambda v: s.set_free("time_from", v), label=t("С"),
                                   test_id="filter-from"),
                        time_input(s.time_to, lambda v: s.set_free("time_to", v), label=t("До"), allow_24=True,
                                   test_id="filter-to"),
                        spacing="2", width="100%",
                    ),
                    spacing="2", width="100%",
                ),
            ),
            rx.button(
                rx.cond(s.loading, rx.spinner(size="2"), rx.icon("search", size=16)),
                t("Найти"), type="submit", width="100%",
                custom_attrs={"data-testid": "filter-submit"},
            ),
            rx.accordion.root(
                rx.accordion.item(
                    header=t("Удобства"),
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
        rx.heading(rx.cond(s.error != "", t("Ошибка в фильтрах"), s.summary), size="4",
                   custom_attrs={"data-testid": "search-summary"}),
        rx.spacer(),
        rx.select.root(
            rx.select.trigger(aria_label=t("Сортировка"), custom_attrs={"data-testid": "sort"}),
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
                    "search-x", t("Ничего не нашлось"),
                    rx.text(t("С такими фильтрами подходящих пространств нет. Попробуйте ослабить условия:"),
                            size="2", color=rx.color("gray", 11), text_align="center"),
                    rx.flex(
                        rx.foreach(s.widen, lambda w: rx.link(
                            rx.button(w.label, variant="soft", size="2"), href=w.href,
                        )),
                        gap="2", wrap="wrap", justify="center",
                        custom_attrs={"data-testid": "widen-links"},
                    ),
                ),
                rx.vstack(rx.foreach(s.results, _result), spacing="3", width="100%",
                          custom_attrs={"data-testid": "results"}),
            ),
        ),
        rx.cond(
            s.pages > 1,
            rx.hstack(
                rx.button(rx.icon("chevron-left", size=16), t("Назад"), variant="soft",
                          disabled=~s.has_prev, on_click=s.go_to_page(s.page - 1)),
                rx.text(s.page_label, size="2"),
                rx.button(t("Дальше"), rx.icon("chevron-right", size=16), variant="soft",
                          disabled=~s.has_next, on_click=s.go_to_page(s.page + 1),
                          custom_attrs={"data-testid": "next-page"}),
                justify="center", align="center", width="100%", spacing="3",
            ),
        ),
        spacing="3",
        width="100%",
        min_width="0",
    )


def _result(card: CardView) -> rx.Component:
    """A result card; under the pointer its pin stands out on the map, and a click on the pin
    highlights it here."""
    s = SearchState
    return rx.box(
        space_card(card),
        id=f"card-{card.id}",
        on_mouse_enter=s.card_enter(card.id),
        on_mouse_leave=s.card_leave,
        class_name=rx.cond(s.highlighted == card.id, "cw-card-active", ""),
        width="100%",
        custom_attrs={"data-card": card.id},
    )


def _place_option(option: PlaceOption) -> rx.Component:
    return rx.el.button(
        rx.icon(option.icon, size=16, color=rx.color("accent", 11), flex_shrink="0"),
        rx.vstack(
            rx.text(option.label, size="2", weight="medium", color=rx.color("gray", 12)),
            rx.text(option.detail, size="1", color=rx.color("gray", 11)),
            spacing="0", align="start", min_width="0",
        ),
        type="button",
        role="option",
        on_click=SearchState.choose_place(option.index),
        class_name="cw-place-option",
        custom_attrs={"data-testid": "place-option"},
    )


def _place_box() -> rx.Component:
    """An address, a station or a landmark: suggestions from our own data as you type."""
    s = SearchState
    return rx.box(
        rx.input(
            rx.input.slot(rx.icon("map-pin", size=16)),
            value=s.place_q,
            on_change=s.set_place_q,
            on_key_down=lambda key: rx.cond(key == "Enter", s.choose_place(0),
                                            rx.cond(key == "Escape", s.close_places(), rx.noop())),
            debounce_timeout=200,
            placeholder=t("Адрес, метро или район"),
            max_length=100,
            aria_label=t("Адрес, станция метро или район: точка на карте"),
            auto_complete="off",
            width="100%",
            custom_attrs={"data-testid": "place-input", "role": "combobox",
                          "aria-autocomplete": "list", "aria-controls": "place-options",
                          "aria-expanded": rx.cond(s.place_options.length() > 0, "true", "false")},
        ),
        rx.cond(
            (s.place_options.length() > 0) | (s.place_message != ""),
            rx.box(
                rx.foreach(s.place_options, _place_option),
                rx.cond(s.place_message != "",
                        rx.text(s.place_message, size="2", color=rx.color("gray", 11), padding="8px 10px")),
                role="listbox",
                aria_label=t("Подсказки"),
                id="place-options",
                class_name="cw-place-list",
                custom_attrs={"data-testid": "place-options"},
            ),
        ),
        position="relative",
        flex="1",
        min_width="0",
    )


def map_tools() -> rx.Component:
    """Above the map: the address box, "Рядом со мной", the point and its radius."""
    s = SearchState
    return rx.vstack(
        rx.flex(
            _place_box(),
            rx.button(
                rx.cond(s.locating, rx.spinner(size="2"), rx.icon("locate-fixed", size=16)),
                t("Рядом со мной"),
                on_click=s.locate,
                variant="soft",
                disabled=s.locating,
                custom_attrs={"data-testid": "near-me"},
            ),
            gap="2", width="100%", align="center",
        ),
        rx.cond(
            s.geo_message != "",
            rx.callout(s.geo_message, icon="locate-off", color_scheme="amber", size="1",
                       width="100%", role="alert", custom_attrs={"data-testid": "geo-message"}),
        ),
        rx.cond(
            s.point_label != "",
            rx.flex(
                rx.badge(
                    rx.icon("map-pin", size=12), s.point_label,
                    rx.el.button(
                        rx.icon("x", size=12), on_click=s.clear_point, type="button",
                        aria_label=t("Убрать точку"), class_name="cw-chip-x",
                        custom_attrs={"data-testid": "clear-point"},
                    ),
                    size="2", variant="soft", max_width="100%",
                    custom_attrs={"data-testid": "point-label"},
                ),
                rx.select.root(
                    rx.select.trigger(placeholder=t("Радиус"), aria_label=t("Радиус вокруг точки"),
                                      custom_attrs={"data-testid": "radius"}),
                    rx.select.content(
                        rx.select.item(t("Любое расстояние"), value=ANY),
                        rx.foreach(s.radius_options, lambda o: rx.select.item(o.label, value=o.value)),
                    ),
                    value=s.radius, on_change=s.set_radius, size="1",
                ),
                gap="2", align="center", wrap="wrap",
            ),
        ),
        rx.cond(
            s.area_active,
            rx.badge(
                rx.icon("scan", size=12), t("Только в выбранной области карты"),
                rx.el.button(rx.icon("x", size=12), on_click=s.clear_area, type="button",
                             aria_label=t("Искать не только в этой области"), class_name="cw-chip-x",
                             custom_attrs={"data-testid": "clear-area"}),
                size="2", variant="soft", color_scheme="gray",
                custom_attrs={"data-testid": "area-label"},
            ),
        ),
        spacing="2",
        width="100%",
    )


def search_map() -> rx.Component:
    """The live map of every result of the filters, with what floats over it."""
    s = SearchState
    return rx.box(
        *map_styles(),
        live_map(
            clusters=s.map_clusters, pins=s.map_pins, highlighted=s.highlighted,
            highlight_lat=s.highlight_lat, highlight_lon=s.highlight_lon,
            point=s.point_latlon, radius_m=s.radius_m, fit=s.map_fit, fit_key=s.map_fit_key,
            on_view=s.map_view, on_pick=s.map_pick, on_pin=s.pin_clicked, lang=LanguageState.lang,
            custom_attrs={"data-testid": "live-map", "role": "region",
                          "aria-label": t("Карта результатов: щелчок ставит точку")},
        ),
        rx.cond(
            s.map_moved,
            rx.button(rx.icon("search", size=16), t("Искать в этой области"), on_click=s.search_area,
                      size="2", radius="full", class_name="cw-map-float cw-map-top",
                      custom_attrs={"data-testid": "search-area"}),
        ),
        rx.cond(
            s.map_summary != "",
            rx.badge(s.map_summary, variant="surface", size="2", color_scheme="gray",
                     high_contrast=True, class_name="cw-map-float cw-map-bottom",
                     custom_attrs={"data-testid": "map-summary", "aria-live": "polite"}),
        ),
        rx.cond(
            s.map_loading,
            rx.box(rx.spinner(size="2"), class_name="cw-map-float cw-map-corner",
                   aria_label=t("Карта обновляется")),
        ),
        rx.cond(
            s.map_error != "",
            rx.callout(s.map_error, icon="triangle_alert", color_scheme="red", size="1",
                       class_name="cw-map-float cw-map-top"),
        ),
        position="relative",
        width="100%",
        height=rx.breakpoints(initial="340px", lg="auto"),
        min_height="300px",
        # In the sticky column (wide screens) the map takes what the tools leave; above the
        # results (phones, tablets) it has a height of its own.
        flex=rx.breakpoints(initial="none", lg="1"),
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="var(--radius-4)",
        overflow="hidden",
        background=rx.color("gray", 3),
    )


def map_panel() -> rx.Component:
    return rx.vstack(
        map_tools(),
        search_map(),
        spacing="2",
        width="100%",
        height=rx.breakpoints(initial="auto", lg="calc(100vh - 96px)"),
    )


def _filters_toggle() -> rx.Component:
    """On phones the filter panel folds away behind this button, so results come first."""
    s = SearchState
    return rx.button(
        rx.icon("sliders-horizontal", size=16),
        t("Фильтры"),
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
                map_panel(),
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
