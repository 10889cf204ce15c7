"""Map documents (coworking_app/maps.py): user text reaches the map only as JSON data, which
no text can end, and the document allows only its own fixed script (CSP by hash)."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest

from coworking_app.maps import MapPin, density_map, render_map, results_map

HOSTILE = [
    "</script><svg onload=alert(1)>",
    '"><img src=x onerror=alert(1)>',
    "';alert(1)//",
    "`${alert(1)}`\\",
    "<!--<script>",
    "a\u2028b\u2029c",
    "</SCRIPT >&lt;&amp;",
]

_SCRIPTS = re.compile(r"<script([^>]*)>(.*?)</script>", re.S | re.I)


def _parts(html: str) -> tuple[dict, list[tuple[str, str]], str]:
    scripts = _SCRIPTS.findall(html)
    [data] = [body for attrs, body in scripts if 'type="application/json"' in attrs]
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html).group(1)
    return json.loads(data), scripts, csp.replace("&quot;", '"').replace("&amp;", "&")


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_stays_data(text):
    html = render_map([MapPin(55.75, 37.61, text, text, text, "/spaces/1"),
                       MapPin(55.76, 37.62, "1 ₽", "Обычное", "")], (55.75, 37.61))
    data, scripts, csp = _parts(html)
    # The text comes back unchanged from the JSON, and never appears raw in the document.
    assert [(p["label"], p["title"], p["subtitle"]) for p in data["pins"]][0] == (text, text, text)
    raw = next(body for attrs, body in scripts if "json" in attrs)
    assert not set("<>&\u2028\u2029") & set(raw)  # nothing that could end or comment the block
    lowered = html.lower()
    assert lowered.count("</script") == 3 and lowered.count("<script") == 3
    assert "<!--" not in html and "\u2028" not in html and "\u2029" not in html
    # Three scripts: Leaflet (from the app), the JSON data, the fixed map script.
    assert scripts[0][0].strip() == 'src="/leaflet/leaflet.js"'
    fixed = scripts[2][1]
    assert "onload" not in fixed and "alert" not in fixed
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src")).split()
    assert _sha(fixed) in script_src
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert all(s.startswith("'sha256-") or s.endswith("/leaflet/") for s in script_src[1:])


def test_only_app_paths_are_links_and_bad_points_are_skipped():
    html = render_map([MapPin(55.75, 37.61, "•", "a", href="javascript:alert(1)"),
                       MapPin(55.75, 37.61, "•", "b", href="//evil.example/x"),
                       MapPin(55.75, 37.61, "•", "c", href="/spaces/7"),
                       MapPin(float("nan"), 37.61, "•", "d")], (55.75, 37.61))
    data, _, _ = _parts(html)
    assert [(p["title"], p["href"]) for p in data["pins"]] == [("a", None), ("b", None), ("c", "/spaces/7")]


def test_results_and_density_maps_use_the_same_document():
    html = results_map([MapPin(55.75, 37.61, "5 ₽", "x")], (55.7, 37.6), None, 2.0)
    data, _, _ = _parts(html)
    assert data["center"] == [55.7, 37.6] and data["circle_m"] == 2000.0
    html = density_map([(55.7, 37.6, 3), (55.8, 37.7, 1)])
    data, scripts, _ = _parts(html)
    assert [d["tip"] for d in data["dots"]] == ["Поисков: 3", "Поисков: 1"]
    assert data["bounds"] == [[55.7, 37.6], [55.8, 37.7]]
