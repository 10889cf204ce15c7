"""The search page's live map: a Reflex wrapper of assets/live_map.jsx (react-leaflet).

Rendered in the browser only (Leaflet needs `window`). Its npm packages are pinned here;
Leaflet's stylesheet comes from /leaflet/ (assets/leaflet, copied from the npm package by
the Makefile), the pins' from /live_map.css.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_base.event import passthrough_event_spec

REACT_LEAFLET = "react-leaflet@5.0.0"
LEAFLET = "leaflet@1.9.4"  # the same version the Makefile copies into assets/leaflet


class LiveMap(rx.NoSSRComponent):
    """Clusters and price pins of the search's results, the person's point and radius."""

    library = "$/public/live_map.jsx"
    tag = "LiveMap"
    lib_dependencies: list[str] = [REACT_LEAFLET, LEAFLET]

    clusters: rx.Var[list[dict[str, Any]]]
    pins: rx.Var[list[dict[str, Any]]]
    highlighted: rx.Var[int]  # the space whose pin (or cluster) stands out
    highlight_lat: rx.Var[float | None]
    highlight_lon: rx.Var[float | None]
    point: rx.Var[list[float]]  # [lat, lon] of the person's point, or []
    radius_m: rx.Var[float]
    fit: rx.Var[str]  # "west,south,east,north" to show; taken when fit_key changes
    fit_key: rx.Var[int]
    lang: rx.Var[str]  # the page's language: the map's own words (assets/live_map.jsx)

    on_view: rx.EventHandler[passthrough_event_spec(dict)]  # {bbox, zoom, user}
    on_pick: rx.EventHandler[passthrough_event_spec(dict)]  # {lat, lon}
    on_pin: rx.EventHandler[passthrough_event_spec(int)]  # a space id


live_map = LiveMap.create


def map_styles() -> list[rx.Component]:
    """The stylesheets the map needs, as links in the page."""
    return [rx.el.link(rel="stylesheet", href="/leaflet/leaflet.css"),
            rx.el.link(rel="stylesheet", href="/live_map.css")]
