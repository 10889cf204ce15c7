"""Pieces shared by several pages."""

from __future__ import annotations

import reflex as rx

from state.views import AmenityIcon, CardView


def space_card(card: CardView) -> rx.Component:
    return rx.link(
        rx.card(
            rx.flex(
                rx.cond(
                    card.thumb != "",
                    rx.image(
                        src=card.thumb, alt=card.name, loading="lazy",
                        width=rx.breakpoints(initial="100%", sm="180px"),
                        height=rx.breakpoints(initial="180px", sm="120px"),
                        object_fit="cover", border_radius="var(--radius-3)", flex_shrink="0",
                    ),
                    rx.center(
                        rx.icon("image", size=32, color=rx.color("gray", 8)),
                        width=rx.breakpoints(initial="100%", sm="180px"),
                        height=rx.breakpoints(initial="180px", sm="120px"),
                        background=rx.color("gray", 3), border_radius="var(--radius-3)",
                        flex_shrink="0",
                    ),
                ),
                rx.vstack(
                    rx.text(card.name, weight="bold", size="3", class_name="space-name",
                            color=rx.color("gray", 12)),
                    rx.text(card.address, size="2", color=rx.color("gray", 11)),
                    rx.hstack(
                        rx.cond(card.place != "", rx.badge(card.place, variant="soft",
                                                           color_scheme="gray")),
                        rx.cond(card.distance != "",
                                rx.badge(rx.icon("map-pin", size=12), card.distance,
                                         variant="soft")),
                        spacing="2", wrap="wrap",
                    ),
                    rx.hstack(
                        rx.foreach(card.amenity_icons, _amenity_icon),
                        spacing="2", custom_attrs={"data-testid": "card-amenities"},
                    ),
                    rx.hstack(
                        rx.text(card.price, weight="bold", color=rx.color("accent", 11), size="3"),
                        rx.spacer(),
                        rx.text(card.seats, size="1", color=rx.color("gray", 10)),
                        width="100%", align="center", wrap="wrap",
                    ),
                    rx.hstack(
                        rx.icon("star", size=14,
                                color=rx.cond(card.has_rating, "#f5a524", rx.color("gray", 8))),
                        rx.text(card.rating, size="1", color=rx.color("gray", 10)),
                        align="center", spacing="1",
                    ),
                    spacing="1", width="100%", min_width="0",
                ),
                direction=rx.breakpoints(initial="column", sm="row"),
                spacing="3",
                width="100%",
            ),
            width="100%",
            class_name="space-card",
        ),
        href=card.href,
        underline="none",
        width="100%",
        custom_attrs={"data-testid": "space-card"},
    )


def _amenity_icon(amenity: AmenityIcon) -> rx.Component:
    """An amenity as an icon with its name: a tooltip for the mouse, the accessible name for
    screen readers."""
    return rx.tooltip(
        rx.box(rx.icon(tag=amenity.icon, size=16, color=rx.color("gray", 10), aria_hidden="true"),
               display="flex", role="img", aria_label=amenity.name, title=amenity.name,
               custom_attrs={"data-testid": "amenity-icon"}),
        content=amenity.name,
    )


def section(title: str, *children: rx.Component, test_id: str = "") -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, size="4"), *children, spacing="3", width="100%"),
        width="100%", custom_attrs={"data-testid": test_id} if test_id else {},
    )


def empty_state(icon: str, title: str, *children: rx.Component) -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon(icon, size=40, color=rx.color("gray", 8)),
            rx.heading(title, size="4", text_align="center"),
            *children,
            align="center",
            spacing="3",
        ),
        padding_y="48px",
        width="100%",
    )


def pager(page, pages, go) -> rx.Component:
    """‹ page / pages ›; `go(step)` is the state's event handler taking -1 or +1."""
    return rx.hstack(
        rx.icon_button(rx.icon("chevron-left", size=16), size="1", variant="soft", disabled=page <= 1,
                       on_click=go(-1), aria_label="Назад"),
        rx.text(page, " / ", pages, size="2"),
        rx.icon_button(rx.icon("chevron-right", size=16), size="1", variant="soft", disabled=page >= pages,
                       on_click=go(1), aria_label="Дальше"),
        align="center", spacing="2",
    )


def date_range(date_from, date_to, on_from, on_to) -> rx.Component:
    """Two date inputs, "from — to"; the handlers take the new value."""
    return rx.hstack(
        rx.input(type="date", value=date_from, on_change=on_from, size="2", aria_label="С",
                 custom_attrs={"data-testid": "period-from"}),
        rx.text("—", color=rx.color("gray", 10)),
        rx.input(type="date", value=date_to, on_change=on_to, size="2", aria_label="По",
                 custom_attrs={"data-testid": "period-to"}),
        align="center", spacing="2",
    )


# Until the page is live (React has hydrated the pre-rendered HTML), a submit button would
# make the browser send the form itself: GET, with every field in the URL (passwords in the
# address bar, history and logs). Private forms post instead (the server answers 405, no
# field leaves the page), and their submit buttons wait for the page to be live.
NOT_LIVE = ~rx.State.is_hydrated


def private_form(*children: rx.Component, **props) -> rx.Component:
    """rx.form for fields that must never reach a URL (passwords, codes, personal data)."""
    return rx.form(*children, method="post", reset_on_submit=False, **props)


def named_upload(name: str, upload: rx.Component) -> rx.Component:
    """rx.upload with an accessible name on its file input (react-dropzone keeps that input
    visually hidden but present for screen readers, and Reflex offers no prop for it)."""
    zone = upload.children[0]
    file_input = zone.children[0]
    file_input.custom_attrs["aria-label"] = name
    return upload
