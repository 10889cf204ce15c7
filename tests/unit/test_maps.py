"""Map documents (coworking_app/maps.py, served by api/maps.py: tests/api/test_map_documents.py): folium renders the map,
user text reaches it only as JSON data that no text can end, the document loads nothing from
another site and allows only its own inline scripts and styles (CSP by hash)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html import unescape

import pytest

from coworking_app.maps import (
    MapPin,
    density_map,
    render_map,
    results_map,
)

HOSTILE = [
    "</script><svg onload=alert(1)>",
    '"><img src=x onerror=alert(1)>',
    "';alert(1)//",
    "`${alert(1)}`\\",
    "<!--<script>",
    "a\u2028b\u2029c",
    "</SCRIPT >&lt;&amp;",
    "</style><style>*{display:none}",
]

_SCRIPTS = re.compile(r"<script([^>]*)>(.*?)</script>", re.S | re.I)
_STYLES = re.compile(r"<style([^>]*)>(.*?)</style>", re.S | re.I)
_META_CSP = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">')


def _data_block(html: str) -> str:
    [raw] = [body for attrs, body in _SCRIPTS.findall(html) if 'type="application/json"' in attrs]
    return raw


def _csp(html: str) -> dict[str, list[str]]:
    policy = unescape(_META_CSP.search(html).group(1))
    return {d.split()[0]: d.split()[1:] for d in policy.split("; ")}


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _maps(text: str) -> list[str]:
    pins = [MapPin(55.75, 37.61, text, text, text, "/spaces/1"),
            MapPin(55.76, 37.62, "1 ₽", "Обычное", "")]
    return [render_map(pins, (55.75, 37.61)),
            render_map(pins[:1], (55.75, 37.61), zoom=15, pickable=True),
            results_map(pins, (55.75, 37.61), None, 2.0)]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_hostile_name_is_only_escaped_json(text):
    for html in _maps(text):
        raw = _data_block(html)
        pin = json.loads(raw)["pins"][0]
        assert (pin["label"], pin["title"], pin["subtitle"]) == (text, text, text)
        # Nothing in the block could end it or comment the page out...
        assert not set("<>&\u2028\u2029") & set(raw)
        # ...and the text is nowhere else in the document, not even in pieces.
        rest = html.replace(raw, "")
        for piece in ("alert", "onload", "onerror", "<svg", "<img", "<!--", "display:none",
                      "&lt;", "\u2028", "\u2029"):
            assert piece not in rest, piece
        lowered = html.lower()
        assert lowered.count("<script") == lowered.count("</script>")
        assert lowered.count("<style") == lowered.count("</style>")


def test_every_inline_script_and_style_is_allowed_by_hash_and_nothing_else():
    for html in [*_maps(HOSTILE[0]), density_map([(55.7, 37.6, 3), (55.8, 37.7, 1)])]:
        csp = _csp(html)
        inline = [body for attrs, body in _SCRIPTS.findall(html)
                  if "src=" not in attrs and "application/json" not in attrs]
        assert len(inline) >= 2  # folium's map script and its settings at least
        assert {_sha(body) for body in inline} == {s for s in csp["script-src"] if s.startswith("'sha")}
        styles = [body for _, body in _STYLES.findall(html)]
        assert {_sha(body) for body in styles} == {s for s in csp["style-src"] if s.startswith("'sha")}
        assert csp["default-src"] == ["'none'"]
        for directive in ("script-src", "style-src", "img-src"):
            for source in csp[directive]:
                assert (source.startswith("'sha256-") or source == "data:"
                        or re.fullmatch(r"http://(localhost|127\.0\.0\.1):3000/(leaflet|tiles)/", source)), source
        assert "'unsafe-inline'" not in str(csp) and "'unsafe-eval'" not in str(csp)
        # No inline event handler anywhere (the CSP would refuse it anyway).
        assert not re.search(r"<[^>]+\son\w+\s*=", html, re.I)


def test_no_external_url_only_the_apps_leaflet_and_tiles():
    for html in [*_maps("x"), density_map([(55.7, 37.6, 3)])]:
        body = _META_CSP.sub("", html)
        # Every resource the document names is the app's own Leaflet (folium's CDN defaults
        # for jQuery, Bootstrap, awesome-markers and Leaflet are replaced).
        resources = re.findall(r'\b(?:src|href)="([^"]*)"', body)
        assert resources == ["/leaflet/leaflet.js", "/leaflet/leaflet.css"]
        assert '"/tiles/{z}/{x}/{y}.png"' in body
        # The only other address is OpenStreetMap's credit, a link a person may follow.
        urls = set(re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"'\\]*", body))
        assert urls == {"https://www.openstreetmap.org/copyright"}, urls
        for cdn in ("cdn", "jquery", "bootstrap", "awesome", "unpkg", "googleapis"):
            assert cdn not in body.lower()


def test_only_app_paths_are_links_and_bad_points_are_skipped():
    html = render_map([MapPin(55.75, 37.61, "•", "a", href="javascript:alert(1)"),
                       MapPin(55.75, 37.61, "•", "b", href="//evil.example/x"),
                       MapPin(55.75, 37.61, "•", "c", href="/spaces/7"),
                       MapPin(55.75, 37.61, "•", "e", href="/\\evil.example"),
                       MapPin(float("nan"), 37.61, "•", "d")], (55.75, 37.61))
    pins = json.loads(_data_block(html))["pins"]
    assert [(p["title"], p["href"]) for p in pins] == [
        ("a", None), ("b", None), ("c", "/spaces/7"), ("e", None)]


def test_folium_renders_the_circle_the_density_dots_and_the_bounds():
    html = results_map([MapPin(55.75, 37.61, "5 ₽", "x")], (55.7, 37.6), None, 2.0)
    assert "L.circle(\n                [55.7, 37.6]" in html and '"radius": 2000.0' in html
    assert "L.tileLayer(\n                \"/tiles/{z}/{x}/{y}.png\"" in html
    assert ".fitBounds(" not in html  # one pin: the map stays on the searched point
    html = density_map([(55.7, 37.6, 3), (55.8, 37.7, 1), (float("inf"), 37.6, 9)])
    assert html.count("L.circleMarker(") == 2
    assert "Поисков: 3" in html and "Поисков: 1" in html and "Поисков: 9" not in html
    assert "[[55.7, 37.6], [55.8, 37.7]]" in html  # fitted to the cells
    assert json.loads(_data_block(html))["pins"] == []


def test_the_same_map_renders_the_same_text():
    assert _maps("x") == _maps("x")
    assert render_map([], (55.7, 37.6)) != render_map([], (55.8, 37.6))
