"""Folium maps rendered to self-contained HTML for an iframe.

Leaflet is served by the app itself (`/leaflet/...`, copied from the npm package by the
Makefile), so the markers, popups and zoom work without any CDN; only the OpenStreetMap
tiles need the internet.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import folium
from branca.element import MacroElement
from jinja2 import Template

folium.Map.default_js = [("leaflet", "/leaflet/leaflet.js")]
folium.Map.default_css = [("leaflet_css", "/leaflet/leaflet.css")]

ACCENT = "#0d9488"
_PIN_STYLE = (
    "background:{bg};color:#fff;border-radius:14px;padding:3px 8px;font:600 12px/1.3 "
    "system-ui,sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.35);white-space:nowrap;"
    "transform:translate(-50%,-50%);display:inline-block;border:2px solid #fff"
)
_EXTRA_CSS = (
    "<style>html,body{margin:0;height:100%}.leaflet-container{background:#e8eef0;"
    "font-family:system-ui,sans-serif}.leaflet-div-icon{background:none;border:none}"
    ".cw-popup a{color:" + ACCENT + ";font-weight:600}</style>"
    # folium builds popup bodies with jQuery's `$(html)[0]`; instead of shipping jQuery
    # for that one call, parse the markup with a <template> element.
    "<script>window.$=window.$||function(h){var t=document.createElement('template');"
    "t.innerHTML=String(h).trim();return [t.content.firstElementChild];};</script>"
)


class _PickOnClick(MacroElement):
    """Rendered after its map: clicks post the point to the parent page."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.getContainer().style.cursor = 'crosshair';"
        "{{ this._parent.get_name() }}.on('click', function (e) {"
        " window.parent.postMessage({type: 'cw-pick', lat: e.latlng.lat, lon: e.latlng.lng}, '*');"
        "});"
        "{% endmacro %}"
    )


@dataclass(frozen=True)
class MapPin:
    lat: float
    lon: float
    label: str  # short text on the pin, e.g. "350 ₽"
    title: str
    subtitle: str = ""
    href: str | None = None


def render_map(
    pins: list[MapPin],
    center: tuple[float, float],
    zoom: int = 11,
    circle_m: float | None = None,
    pickable: bool = False,
) -> str:
    """Full HTML of a map with one labelled pin per item, fitted to the pins. A pickable map
    posts {type: "cw-pick", lat, lon} to the parent page when clicked (see pick_listener)."""
    fmap = folium.Map(location=center, zoom_start=zoom, control_scale=True, tiles="OpenStreetMap")
    if pickable:
        fmap.add_child(_PickOnClick())
    fmap.get_root().header.add_child(folium.Element(_EXTRA_CSS))
    if circle_m:
        folium.Circle(center, radius=circle_m, color=ACCENT, weight=2, fill=True,
                      fill_opacity=0.06).add_to(fmap)
    for pin in pins:
        popup = f'<div class="cw-popup"><b>{escape(pin.title)}</b>'
        if pin.subtitle:
            popup += f"<br>{escape(pin.subtitle)}"
        if pin.href:
            popup += f'<br><a href="{escape(pin.href)}" target="_top">Открыть</a>'
        popup += "</div>"
        folium.Marker(
            (pin.lat, pin.lon),
            icon=folium.DivIcon(
                html=f'<span class="cw-pin" style="{_PIN_STYLE.format(bg=ACCENT)}">'
                f"{escape(pin.label)}</span>",
                icon_size=(0, 0),
            ),
            popup=folium.Popup(popup, max_width=260),
            tooltip=pin.title,
        ).add_to(fmap)
    if len(pins) > 1:
        lats = [p.lat for p in pins]
        lons = [p.lon for p in pins]
        fmap.fit_bounds([(min(lats), min(lons)), (max(lats), max(lons))], padding=(30, 30))
    return fmap.get_root().render()


MOSCOW_CENTRE = (55.7558, 37.6173)


def results_map(
    pins: list[MapPin],
    point: tuple[float, float] | None,
    city_centre: tuple[float, float] | None,
    radius_km: float | None,
) -> str:
    """The /search map: centred on the searched point, else the city, else the pins."""
    centre = point or city_centre or (pins and (pins[0].lat, pins[0].lon)) or MOSCOW_CENTRE
    circle = radius_km * 1000 if radius_km and point else None
    return render_map(pins, centre, zoom=11, circle_m=circle)


def pick_listener(lat_selector: str, lon_selector: str) -> str:
    """Script for the parent page: a click on a pickable map fills the two inputs, through
    the native value setter so React (and the Reflex state) see an ordinary edit."""
    return (
        "window.addEventListener('message',function(e){"
        "if(e.origin!==window.location.origin&&e.origin!=='null')return;"
        "var d=e.data;if(!d||d.type!=='cw-pick')return;"
        "var set=Object.getOwnPropertyDescriptor(HTMLInputElement.prototype,'value').set;"
        f"[[{lat_selector!r},d.lat],[{lon_selector!r},d.lon]].forEach(function(p){{"
        "var el=document.querySelector(p[0]);if(!el)return;"
        "set.call(el,Number(p[1]).toFixed(6));el.dispatchEvent(new Event('input',{bubbles:true}));});"
        "});"
    )


def density_map(cells: list[tuple[float, float, int]], center: tuple[float, float] = MOSCOW_CENTRE) -> str:
    """Searches on a grid: one translucent circle per cell, its radius and opacity growing
    with the number of searches (no heat-map plugin, so it works without any CDN)."""
    fmap = folium.Map(location=center, zoom_start=10, control_scale=True, tiles="OpenStreetMap")
    fmap.get_root().header.add_child(folium.Element(_EXTRA_CSS))
    top = max((n for _, _, n in cells), default=1)
    for lat, lon, n in cells:
        share = n / top
        folium.CircleMarker(
            (lat, lon), radius=4 + 16 * share ** 0.5, stroke=False, fill=True, fill_color=ACCENT,
            fill_opacity=0.25 + 0.55 * share, tooltip=f"Поисков: {n}",
        ).add_to(fmap)
    if len(cells) > 1:
        lats = [c[0] for c in cells]
        lons = [c[1] for c in cells]
        fmap.fit_bounds([(min(lats), min(lons)), (max(lats), max(lons))], padding=(20, 20))
    return fmap.get_root().render()
