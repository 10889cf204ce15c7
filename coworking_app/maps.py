"""Leaflet maps as self-contained HTML documents for a sandboxed iframe (pages/layout.py
`map_frame`).

No user string is ever written into markup or code. The document is a fixed template: one
fixed script and one fixed style (allowed by their sha256 in the document's own
Content-Security-Policy), Leaflet from the app (`/leaflet/`, copied from the npm package
by the Makefile) and the map's data as JSON in a `<script type="application/json">` block,
with `<`, `>`, `&` and the JavaScript line separators escaped so that no text can end the
block. The script reads the JSON and builds pins, popups and tooltips with `textContent`.
Tiles come from the app too (`/tiles/...`, fetched by the server: api/tiles.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from dataclasses import dataclass

from coworking_app.settings import get_settings

ACCENT = "#0d9488"

_STYLE = (
    "html,body{margin:0;height:100%}"
    "#map{position:absolute;inset:0}"
    ".leaflet-container{background:#e8eef0;font-family:system-ui,sans-serif}"
    ".cw-pin-icon{background:none;border:none}"
    ".cw-pin{background:" + ACCENT + ";color:#fff;border-radius:14px;padding:3px 8px;"
    "font:600 12px/1.3 system-ui,sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.35);"
    "white-space:nowrap;transform:translate(-50%,-50%);display:inline-block;"
    "border:2px solid #fff}"
    ".cw-popup a{color:" + ACCENT + ";font-weight:600}"
)

# The whole behaviour of every map. Fixed text: its hash is in the CSP, so any other
# script (an injected one included) would not run.
_SCRIPT = """(function () {
  var data = JSON.parse(document.getElementById('cw-map-data').textContent);
  var accent = data.accent;
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }
  var map = L.map('map', {attributionControl: false}).setView(data.center, data.zoom);
  L.control.attribution({prefix: false})
    .addAttribution('&copy; <a href="https://www.openstreetmap.org/copyright" target="_blank" ' +
                    'rel="noopener">OpenStreetMap</a>')
    .addTo(map);
  L.control.scale({imperial: false}).addTo(map);
  L.tileLayer('/tiles/{z}/{x}/{y}.png', {maxZoom: 19}).addTo(map);
  if (data.circle_m) {
    L.circle(data.center, {radius: data.circle_m, color: accent, weight: 2, fill: true,
                           fillOpacity: 0.06}).addTo(map);
  }
  data.pins.forEach(function (p) {
    var icon = L.divIcon({html: el('span', 'cw-pin', p.label), className: 'cw-pin-icon',
                          iconSize: [0, 0]});
    var popup = el('div', 'cw-popup');
    popup.appendChild(el('b', null, p.title));
    if (p.subtitle) {
      popup.appendChild(el('br'));
      popup.appendChild(document.createTextNode(p.subtitle));
    }
    if (p.href) {
      var link = el('a', null, data.open_label);
      link.href = p.href;
      link.target = '_top';
      popup.appendChild(el('br'));
      popup.appendChild(link);
    }
    L.marker([p.lat, p.lon], {icon: icon}).addTo(map)
      .bindPopup(popup, {maxWidth: 260})
      .bindTooltip(el('span', null, p.title), {sticky: true});
  });
  data.dots.forEach(function (d) {
    L.circleMarker([d.lat, d.lon], {radius: d.radius, stroke: false, fill: true,
                                    fillColor: accent, fillOpacity: d.opacity})
      .addTo(map).bindTooltip(el('span', null, d.tip));
  });
  if (data.bounds) map.fitBounds(data.bounds, {padding: [data.padding, data.padding]});
  if (data.pickable) {
    map.getContainer().style.cursor = 'crosshair';
    map.on('click', function (e) {
      window.parent.postMessage({type: 'cw-pick', lat: e.latlng.lat, lon: e.latlng.lng}, '*');
    });
  }
})();"""


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


MAP_SCRIPT_HASH = _sha256(_SCRIPT)  # the app's page CSP allows it too (srcdoc inherits it)
MAP_STYLE_HASH = _sha256(_STYLE)


def map_csp() -> str:
    """The map document's own policy: its fixed script and style, Leaflet and the tiles
    from the app, nothing else (no inline handlers, no other origin). The frame's origin is
    opaque (sandbox), so the app's origins are named, for each of its allowed origins."""
    app = get_settings().allowed_origins
    leaflet = " ".join(f"{o}/leaflet/" for o in app)
    tiles = " ".join(f"{o}/tiles/" for o in app)
    return (f"default-src 'none'; script-src {MAP_SCRIPT_HASH} {leaflet}; "
            f"style-src {MAP_STYLE_HASH} {leaflet}; img-src data: {leaflet} {tiles}; "
            "base-uri 'none'; form-action 'none'")


def _json_for_html(value: object) -> str:
    """JSON that cannot end its <script> block or comment out the page: `<`, `>`, `&`
    and U+2028/U+2029 escaped (the JSON means the same)."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _document(data: dict) -> str:
    data = {"accent": ACCENT, "open_label": "Открыть", "circle_m": None, "pins": [], "dots": [],
            "bounds": None, "padding": 30, "pickable": False, **data}
    return (
        "<!DOCTYPE html><html lang=\"ru\"><head><meta charset=\"utf-8\">"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{_attr(map_csp())}\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<link rel=\"stylesheet\" href=\"/leaflet/leaflet.css\">"
        f"<style>{_STYLE}</style>"
        "<script src=\"/leaflet/leaflet.js\"></script></head><body><div id=\"map\"></div>"
        f"<script type=\"application/json\" id=\"cw-map-data\">{_json_for_html(data)}</script>"
        f"<script>{_SCRIPT}</script></body></html>"
    )


def _finite(*values: float) -> bool:
    return all(isinstance(v, (int, float)) and math.isfinite(v) for v in values)


def _safe_href(href: str | None) -> str | None:
    """Only the app's own paths ("/spaces/12"), never another scheme or host."""
    if href and href.startswith("/") and not href.startswith("//") and "\\" not in href:
        return href
    return None


def _bounds(points: list[tuple[float, float]]) -> list[list[float]] | None:
    if len(points) < 2:
        return None
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


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
    posts {type: "cw-pick", lat, lon} to the parent page when clicked (assets/map-pick.js)."""
    pins = [p for p in pins if _finite(p.lat, p.lon)]
    return _document({
        "center": list(center), "zoom": zoom, "pickable": pickable,
        "circle_m": circle_m if circle_m and _finite(circle_m) else None,
        "pins": [{"lat": p.lat, "lon": p.lon, "label": str(p.label), "title": str(p.title),
                  "subtitle": str(p.subtitle or ""), "href": _safe_href(p.href)} for p in pins],
        "bounds": _bounds([(p.lat, p.lon) for p in pins]),
    })


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


def density_map(cells: list[tuple[float, float, int]], center: tuple[float, float] = MOSCOW_CENTRE) -> str:
    """Searches on a grid: one translucent circle per cell, its radius and opacity growing
    with the number of searches (no heat-map plugin)."""
    cells = [c for c in cells if _finite(c[0], c[1])]
    top = max((n for _, _, n in cells), default=1) or 1
    return _document({
        "center": list(center), "zoom": 10, "padding": 20,
        "dots": [{"lat": lat, "lon": lon, "radius": 4 + 16 * (n / top) ** 0.5,
                  "opacity": 0.25 + 0.55 * n / top, "tip": f"Поисков: {n}"}
                 for lat, lon, n in cells],
        "bounds": _bounds([(c[0], c[1]) for c in cells]),
    })
