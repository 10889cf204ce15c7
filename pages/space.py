"""/spaces/[space_id]: gallery, description, amenities, resources and tariffs, hours, metro."""

from __future__ import annotations

import reflex as rx
from reflex.vars.base import Var

from pages.booking_panel import booking_panel
from pages.components import section, space_card
from pages.plans import space_plans
from pages.layout import map_frame, page_frame
from pages.not_found import not_found_content
from pages.reviews import ask_host, reviews_section
from state.booking import BookingPanelState
from state.space import SHARE_SCRIPT, PhotoView, ResourceView, SpaceState, StopView
from state.lang import t


def gallery() -> rx.Component:
    s = SpaceState
    return rx.cond(
        s.photos.length() > 0,
        rx.vstack(
            rx.image(
                src=s.cover_url, alt=s.name, width="100%",
                height=rx.breakpoints(initial="240px", md="420px"),
                object_fit="cover", border_radius="var(--radius-4)", cursor="zoom-in",
                on_click=s.open_photo(0),
            ),
            rx.flex(
                rx.foreach(s.photos, _thumb),
                gap="2", overflow_x="auto", width="100%", padding_bottom="4px",
                custom_attrs={"data-testid": "gallery"},
            ),
            width="100%", spacing="2",
        ),
        rx.center(rx.icon("image", size=40, color=rx.color("gray", 8)), height="240px",
                  width="100%", background=rx.color("gray", 3), border_radius="var(--radius-4)"),
    )


def _thumb(photo: PhotoView) -> rx.Component:
    return rx.image(
        src=photo.thumb, alt=t("Фото"), width="120px", height="80px", object_fit="cover",
        border_radius="var(--radius-2)", cursor="zoom-in", flex_shrink="0",
        on_click=SpaceState.open_photo(photo.index),
        custom_attrs={"data-testid": "gallery-thumb"},
    )


def photo_viewer() -> rx.Component:
    s = SpaceState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(s.name, size="3"),
            rx.dialog.description(s.viewer_caption, size="1", color=rx.color("gray", 10)),
            rx.image(src=s.viewer_url, alt=t("Фото"), width="100%", max_height="75vh",
                     object_fit="contain", custom_attrs={"data-testid": "viewer-image"}),
            rx.hstack(
                rx.button(rx.icon("chevron-left"), variant="soft", on_click=s.prev_photo,
                          aria_label=t("Предыдущее фото")),
                rx.button(rx.icon("chevron-right"), variant="soft", on_click=s.next_photo,
                          aria_label=t("Следующее фото")),
                rx.spacer(),
                rx.dialog.close(rx.button(t("Закрыть"), variant="soft", color_scheme="gray")),
                width="100%", margin_top="12px",
            ),
            max_width="1000px",
        ),
        open=s.viewer_open,
        on_open_change=s.set_viewer_open,
    )


def _resource(r: ResourceView) -> rx.Component:
    return rx.box(
        rx.flex(
            rx.vstack(
                rx.text(r.name, weight="bold"),
                rx.text(r.kind, " · ", r.capacity, " · ", r.duration, size="1",
                        color=rx.color("gray", 10)),
                spacing="1",
            ),
            rx.spacer(),
            rx.flex(
                rx.foreach(r.tariffs, lambda t: rx.badge(t.price, " / ", t.label, size="2",
                                                          variant="soft")),
                gap="2", wrap="wrap",
            ),
            direction=rx.breakpoints(initial="column", sm="row"),
            gap="2", width="100%",
        ),
        padding_y="8px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        width="100%",
        custom_attrs={"data-testid": "resource"},
    )


def _stop(stop: StopView) -> rx.Component:
    return rx.hstack(
        rx.box(width="12px", height="12px", border_radius="50%", background=stop.color,
               flex_shrink="0"),
        rx.vstack(
            rx.text(stop.name, weight="medium", size="2"),
            rx.text(stop.line, " · ", stop.distance, size="1", color=rx.color("gray", 10)),
            spacing="0",
        ),
        align="center",
        custom_attrs={"data-testid": "metro-stop"},
    )


def details() -> rx.Component:
    s = SpaceState
    return rx.grid(
        rx.vstack(
            section(t("О пространстве"),
                     rx.text(s.description, size="2", white_space="pre-line")),
            section(
                t("Удобства"),
                rx.grid(
                    rx.foreach(s.amenities, lambda a: rx.hstack(
                        rx.icon(tag=a.icon, size=18, color=rx.color("accent", 10)),
                        rx.text(a.name, size="2"), align="center",
                    )),
                    columns=rx.breakpoints(initial="1", sm="2"), spacing="2", width="100%",
                ),
                test_id="amenities",
            ),
            section(t("Места и тарифы"), rx.foreach(s.resources, _resource), test_id="resources"),
            space_plans(),
            reviews_section(),
            spacing="4", width="100%", min_width="0",
        ),
        rx.vstack(
            rx.card(
                rx.vstack(
                    rx.text(s.price, size="5", weight="bold", color=rx.color("accent", 11)),
                    rx.text(s.capacity, size="2", color=rx.color("gray", 11)),
                    rx.hstack(rx.icon("star", size=14, color="#f5a524"),
                              rx.text(s.rating, size="2"), align="center", spacing="1"),
                    spacing="2", width="100%",
                ),
                width="100%",
            ),
            rx.cond(
                s.bookable,
                rx.fragment(booking_panel(), ask_host()),
                rx.callout(t("Это пространство сейчас не принимает брони и вопросы."), icon="info",
                           color_scheme="gray", width="100%", custom_attrs={"data-testid": "not-bookable"}),
            ),
            section(
                t("Часы работы"),
                rx.hstack(
                    rx.badge(rx.cond(s.open_now, t("Сейчас открыто"), t("Сейчас закрыто")),
                             color_scheme=rx.cond(s.open_now, "green", "gray")),
                    rx.text(s.timezone, size="1", color=rx.color("gray", 10)),
                    align="center", wrap="wrap",
                ),
                rx.foreach(s.hours, lambda h: rx.hstack(
                    rx.text(h.day, size="2", weight=rx.cond(h.today, "bold", "regular"),
                            width="32px"),
                    rx.text(h.hours, size="2", weight=rx.cond(h.today, "bold", "regular")),
                )),
                test_id="hours",
            ),
            section(
                t("Адрес и метро"),
                rx.text(s.address, size="2"),
                map_frame(s.map_url, "220px", "space-map"),
                rx.vstack(rx.foreach(s.stops, _stop), spacing="2"),
                test_id="location",
            ),
            spacing="4", width="100%", min_width="0",
        ),
        grid_template_columns=rx.breakpoints(initial="minmax(0,1fr)",
                                             md="minmax(0,1.6fr) minmax(0,1fr)"),
        gap="16px", width="100%",
    )


def booking_bar() -> rx.Component:
    """Phones: the price and "Забронировать" stay at the bottom of the screen; the button
    scrolls to the booking card (it is far below the photos and the description)."""
    b = BookingPanelState
    return rx.cond(
        b.resources.length() > 0,
        rx.box(
            rx.hstack(
                rx.vstack(
                    rx.text(rx.cond(b.total != "", b.total, SpaceState.price), weight="bold", size="3",
                            color=rx.color("accent", 11), custom_attrs={"data-testid": "bar-price"}),
                    rx.text(rx.cond(b.total != "", t("за выбранное время"), SpaceState.capacity), size="1",
                            color=rx.color("gray", 10)),
                    spacing="0", min_width="0",
                ),
                rx.spacer(),
                rx.button(rx.icon("calendar-check", size=16), t("Забронировать"), size="3",
                          on_click=rx.scroll_to("booking-panel"),
                          custom_attrs={"data-testid": "bar-book"}),
                align="center", width="100%", spacing="3",
            ),
            position="fixed", bottom="0", left="0", right="0", z_index="900",
            padding="10px 12px", padding_bottom="calc(10px + env(safe-area-inset-bottom))",
            background=rx.color("gray", 1), border_top=f"1px solid {rx.color('gray', 5)}",
            box_shadow="0 -4px 12px rgba(0, 0, 0, 0.06)",
            display=rx.breakpoints(initial="block", md="none"),
            custom_attrs={"data-testid": "booking-bar"},
        ),
    )


def actions() -> rx.Component:
    """"Сохранить" (favourites; a stranger signs in first and comes back saving it) and
    "Поделиться" (the phone's share sheet, or the link copied)."""
    s = SpaceState
    return rx.hstack(
        rx.button(
            rx.icon("heart", size=16, fill=rx.cond(s.saved, "currentColor", "none")),
            rx.cond(s.saved, t("Сохранено"), t("Сохранить")),
            variant=rx.cond(s.saved, "soft", "outline"), size="2", on_click=s.toggle_save,
            disabled=s.save_busy, aria_pressed=rx.cond(s.saved, "true", "false"),
            custom_attrs={"data-testid": "space-save"},
        ),
        rx.button(
            rx.icon("share-2", size=16), t("Поделиться"), variant="outline", size="2",
            on_click=rx.call_function(Var(_js_expr=SHARE_SCRIPT), callback=SpaceState.shared),
            custom_attrs={"data-testid": "space-share"},
        ),
        spacing="2", wrap="wrap", flex_shrink="0",
    )


def similar_nearby() -> rx.Component:
    """"Похожие рядом": same kind of place, same price band, nearest first."""
    return rx.cond(
        SpaceState.similar.length() > 0,
        rx.box(
            rx.heading(t("Похожие рядом"), size="5", margin_bottom="12px", id="similar-heading"),
            rx.grid(
                rx.foreach(SpaceState.similar, space_card),
                columns=rx.breakpoints(initial="1", md="2"), spacing="3", width="100%",
            ),
            width="100%", margin_top="16px", role="region", aria_labelledby="similar-heading",
            custom_attrs={"data-testid": "similar"},
        ),
    )


def space_page() -> rx.Component:
    s = SpaceState
    return page_frame(
        rx.cond(
            s.loading,
            rx.vstack(rx.skeleton(height="40px", width="60%"), rx.skeleton(height="360px"),
                      width="100%", spacing="3"),
            rx.cond(
                s.found,
                rx.vstack(
                    rx.link(rx.hstack(rx.icon("chevron-left", size=16), t("К поиску"),
                                      align="center", spacing="1"),
                            href=s.search_href, size="2"),
                    rx.flex(
                        rx.vstack(
                            rx.heading(s.name, size=rx.breakpoints(initial="6", md="8"),
                                       custom_attrs={"data-testid": "space-name"}),
                            rx.hstack(rx.icon("map-pin", size=16, color=rx.color("gray", 10)),
                                      rx.text(s.place, size="2", color=rx.color("gray", 11)),
                                      align="center", spacing="1"),
                            spacing="2", min_width="0",
                        ),
                        rx.spacer(),
                        actions(),
                        direction=rx.breakpoints(initial="column", sm="row"),
                        align=rx.breakpoints(initial="start", sm="end"), gap="3", width="100%",
                    ),
                    gallery(),
                    details(),
                    similar_nearby(),
                    photo_viewer(),
                    booking_bar(),
                    # room for the phone's booking bar below the last card
                    rx.box(height="72px", display=rx.breakpoints(initial="block", md="none")),
                    spacing="3", width="100%",
                ),
                not_found_content(t("Пространство не найдено"),
                                  t("Возможно, оно снято с публикации или ссылка неверна.")),
            ),
        ),
    )
