"""Server-rendered Leaflet maps (folium), each a document of its own for the sandboxed map
frame (pages/layout.py `map_frame`).

folium renders the map: the tile layer (the app's `/tiles/` proxy, with OpenStreetMap's
credit), the searched radius, the density map's circle markers and the fitted bounds, all
numbers. No user string is ever written into markup or code: names, addresses and pin
labels go into one `<script type="application/json">` block, with `<`, `>`, `&` and the
JavaScript line separators escaped so that no text can end the block, and `_Pins` (a folium
element with a fixed script) builds pins, popups and tooltips from it with `textContent`.
Popup links are only the app's own paths. folium's CDN defaults (jQuery, Bootstrap,
awesome-markers...) are replaced by the Leaflet the app serves (`/leaflet/`, copied from
the npm package by the Makefile).

The document's Content-Security-Policy (a `<meta>`, and the HTTP header api/maps.py sends)
allows its inline scripts and styles by their sha256, computed after folium rendered them,
Leaflet from `/leaflet/` and tiles from `/tiles/`, nothing else.

A map reaches the browser by URL: `publish` stores the document in the cache Redis under an
HMAC of its text and returns `/maps/<key>` (api/maps.py). Not `srcdoc`: a srcdoc frame,
sandboxed or not, inherits the page's CSP as well, and the page's policy cannot name the
inline scripts of every map (they hold each map's coordinates).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import logging
import math
import re
import zlib
from dataclasses import dataclass
from html import escape

import folium
import redis
from folium.template import Template

from coworking_app.db import get_cache_redis
from coworking_app.settings import get_settings
from coworking_app import i18n
from coworking_app.i18n import N_, tr

log = logging.getLogger(__name__)

folium.Map.default_js = [("leaflet", "/leaflet/leaflet.js")]
folium.Map.default_css = [("leaflet_css", "/leaflet/leaflet.css")]

ACCENT = "#0d9488"
TILES = "/tiles/{z}/{x}/{y}.png"  # api/tiles.py
ATTRIBUTION = ('&copy; <a href="https://www.openstreetmap.org/copyright" target="_blank" '
               'rel="noopener">OpenStreetMap</a>')
MOSCOW_CENTRE = (55.7558, 37.6173)

# The map frame's sandbox (the iframe's attribute and the document's own CSP): an opaque
# origin, so its scripts can neither read the app's cookies, storage or DOM nor navigate the
# page by themselves; a person's click on "Открыть" in a popup navigates the page, and the
# OpenStreetMap credit opens in a new tab.
SANDBOX = ("allow-scripts allow-top-navigation-by-user-activation allow-popups "
           "allow-popups-to-escape-sandbox")

_STYLE = (
    ".leaflet-container{background:#e8eef0;font-family:system-ui,sans-serif}"
    ".cw-pin-icon{background:none;border:none}"
    ".cw-pin{background:" + ACCENT + ";color:#fff;border-radius:14px;padding:3px 8px;"
    "font:600 12px/1.3 system-ui,sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.35);"
    "white-space:nowrap;transform:translate(-50%,-50%);display:inline-block;"
    "border:2px solid #fff}"
    ".cw-popup a{color:" + ACCENT + ";font-weight:600}"
    # The owner's draggable pin: a teardrop whose tip is the point.
    ".cw-drag-icon{background:none;border:none;cursor:grab}"
    ".cw-drag-icon:active{cursor:grabbing}"
    ".cw-drag{display:block;width:24px;height:24px;background:" + ACCENT + ";"
    "border:3px solid #fff;border-radius:50% 50% 50% 0;transform:rotate(-45deg);"
    "box-sizing:border-box;box-shadow:-1px 1px 4px rgba(0,0,0,.45)}"
    ".cw-drag-icon:focus-visible .cw-drag{outline:3px solid #1e40af;outline-offset:2px}"
)


class _Pins(folium.MacroElement):
    """Pins with their popups and tooltips, read from the map's JSON block; a metric scale.
    On a pickable map the first pin is a draggable marker: a click on the map moves it
    there, and a click or a drag posts {type: "cw-pick", lat, lon} to the parent page
    (assets/map-pick.js). The script is fixed text apart from the element names."""

    _template = Template("""
{% macro header(this, kwargs) %}<style>{{ this.style }}</style>{% endmacro %}
{% macro html(this, kwargs) %}<script type="application/json" id="{{ this.get_name() }}">{{ this.data }}</script>{% endmacro %}
{% macro script(this, kwargs) %}
(function (map, data) {
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }
  map.attributionControl.setPrefix(false);
  L.control.scale({imperial: false}).addTo(map);
  if (data.pickable) {
    var first = data.pins[0];
    var mark = L.marker(first ? [first.lat, first.lon] : map.getCenter(), {
      draggable: true, autoPan: true, keyboard: true, title: data.drag_label, alt: data.drag_label,
      icon: L.divIcon({html: el('span', 'cw-drag'), className: 'cw-drag-icon',
                       iconSize: [24, 24], iconAnchor: [12, 29]})
    });
    if (first) mark.addTo(map);
    var pick = function (latlng) {
      window.parent.postMessage({type: 'cw-pick', lat: latlng.lat, lon: latlng.lng}, '*');
    };
    mark.on('dragend', function () { pick(mark.getLatLng()); });
    map.getContainer().style.cursor = 'crosshair';
    map.on('click', function (e) {
      mark.setLatLng(e.latlng);
      if (!map.hasLayer(mark)) mark.addTo(map);
      pick(e.latlng);
    });
    map.getContainer().setAttribute('data-ready', '1');
    return;
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
})({{ this._parent.get_name() }}, JSON.parse(document.getElementById('{{ this.get_name() }}').textContent));
{% endmacro %}
""")

    def __init__(self, pins: list[dict], pickable: bool) -> None:
        super().__init__()
        self._name = "cw_pins"
        self.style = _STYLE
        self.data = _json_for_html({"pins": pins, "pickable": pickable, "open_label": tr("Открыть"),
                                    "drag_label": tr("Точка пространства: перетащите её")})


def _json_for_html(value: object) -> str:
    """JSON that cannot end its <script> block or comment out the page: `<`, `>`, `&`
    and U+2028/U+2029 escaped (the JSON means the same)."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


_INLINE = re.compile(r"<(script|style)\b([^>]*)>(.*?)</\1\s*>", re.S | re.I)


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def map_policy(html: str) -> str:
    """The document's own policy: its inline scripts and styles by hash, Leaflet and the
    tiles from the app, nothing else (no inline handlers, no other origin). The frame's
    origin is opaque (sandbox), so the app's origins are named, each of its allowed ones."""
    scripts, styles = [], []
    for tag, attrs, body in _INLINE.findall(html):
        if tag.lower() == "style":
            styles.append(_sha256(body))
        elif not re.search(r"\bsrc\s*=|application/json", attrs, re.I):
            scripts.append(_sha256(body))
    app = get_settings().allowed_origins
    leaflet = [f"{o}/leaflet/" for o in app]
    tiles = [f"{o}/tiles/" for o in app]
    return "; ".join([
        "default-src 'none'",
        " ".join(["script-src", *dict.fromkeys(scripts), *leaflet]),
        " ".join(["style-src", *dict.fromkeys(styles), *leaflet]),
        " ".join(["img-src data:", *leaflet, *tiles]),
        "base-uri 'none'",
        "form-action 'none'",
    ])


def frame_policy(html: str) -> str:
    """The HTTP policy of a served map: the document's own, only the app's pages may frame
    it, and it is sandboxed even when opened by itself."""
    return f"{map_policy(html)}; frame-ancestors 'self'; sandbox {SANDBOX}"


def _number(element: folium.Element, counter: itertools.count) -> None:
    """Element names from a counter instead of random ids: the same map renders the same
    text (one stored copy, one cache key)."""
    element._id = f"{next(counter):04d}"
    for child in element._children.values():
        _number(child, counter)


_CHARSET = '<meta http-equiv="content-type" content="text/html; charset=UTF-8" />'


def _document(fmap: folium.Map) -> str:
    root = fmap.get_root()
    _number(root, itertools.count())
    html = root.render().replace("<html>", f'<html lang="{i18n.current()}">', 1)
    # The policy right after the charset (or the <head>), before the first script or style.
    meta = f'<meta http-equiv="Content-Security-Policy" content="{escape(map_policy(html))}">'
    anchor = _CHARSET if _CHARSET in html else "<head>"
    return html.replace(anchor, f"{anchor}\n    {meta}", 1)


def _base_map(center: tuple[float, float], zoom: int) -> folium.Map:
    fmap = folium.Map(location=center, zoom_start=zoom, tiles=None)
    folium.TileLayer(TILES, attr=ATTRIBUTION, max_zoom=19).add_to(fmap)
    return fmap


def _finite(*values: float) -> bool:
    return all(isinstance(v, (int, float)) and math.isfinite(v) for v in values)


def _safe_href(href: str | None) -> str | None:
    """Only the app's own paths ("/spaces/12"), never another scheme or host."""
    if href and href.startswith("/") and not href.startswith("//") and "\\" not in href:
        return href
    return None


def _fit(fmap: folium.Map, points: list[tuple[float, float]], padding: int) -> None:
    if len(points) > 1:
        lats, lons = [p[0] for p in points], [p[1] for p in points]
        fmap.fit_bounds([(min(lats), min(lons)), (max(lats), max(lons))],
                        padding=(padding, padding))


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
    shows its first pin (if any) as a draggable marker instead, and posts {type: "cw-pick",
    lat, lon} to the parent page when the marker is dropped or the map clicked
    (assets/map-pick.js)."""
    pins = [p for p in pins if _finite(p.lat, p.lon)]
    fmap = _base_map(center, zoom)
    if circle_m and _finite(circle_m):
        folium.Circle(center, radius=circle_m, color=ACCENT, weight=2, fill=True,
                      fill_opacity=0.06).add_to(fmap)
    _Pins([{"lat": p.lat, "lon": p.lon, "label": str(p.label), "title": str(p.title),
            "subtitle": str(p.subtitle or ""), "href": _safe_href(p.href)} for p in pins],
          pickable).add_to(fmap)
    _fit(fmap, [(p.lat, p.lon) for p in pins], 30)
    return _document(fmap)


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
    cells = [(lat, lon, int(n)) for lat, lon, n in cells if _finite(lat, lon)]
    fmap = _base_map(center, 10)
    top = max((n for _, _, n in cells), default=1) or 1
    for lat, lon, n in cells:
        folium.CircleMarker(
            (lat, lon), radius=4 + 16 * (n / top) ** 0.5, stroke=False, fill=True,
            fill_color=ACCENT, fill_opacity=0.25 + 0.55 * n / top, tooltip=tr("Поисков: {n}", n=n),
        ).add_to(fmap)
    _Pins([], False).add_to(fmap)  # the scale and the credit, as on every map
    _fit(fmap, [(c[0], c[1]) for c in cells], 20)
    return _document(fmap)


# Serving: documents in the cache Redis, zlib-compressed, a day after their last publication.
MAP_TTL_SECONDS = 24 * 3600
_KEY = re.compile(r"[0-9a-f]{32}")


def _redis_key(key: str) -> str:
    return f"map:doc:{key}"


def publish(html: str) -> str:
    """Store a map document; its URL for `map_frame`. The key is an HMAC of the text, so
    the same map gets the same URL and nobody can guess the URL of a map they never saw."""
    key = hmac.new(get_settings().secret_key.encode(), html.encode(), hashlib.sha256).hexdigest()[:32]
    try:
        get_cache_redis().set(_redis_key(key), zlib.compress(html.encode()), ex=MAP_TTL_SECONDS)
    except redis.RedisError as exc:  # the page still works; its frame says the map is missing
        log.warning("map document not stored: %s", exc)
    return f"/maps/{key}"


def published(key: str) -> str | None:
    if not _KEY.fullmatch(key):
        return None
    try:
        stored = get_cache_redis().get(_redis_key(key))
    except redis.RedisError as exc:
        log.warning("map document not read: %s", exc)
        return None
    return zlib.decompress(stored).decode() if stored else None


# What the frame shows when a map is gone (expired, or the cache was emptied).
MISSING_DOCUMENT = (
    N_('<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>Карта</title><style>body{margin:0;display:grid;place-items:center;height:100vh;font:14px/1.4 system-ui,sans-serif;color:#555;background:#e8eef0}</style></head><body><p>Карта устарела: обновите страницу.</p></body></html>')
)
