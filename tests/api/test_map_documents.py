"""Map documents as the app serves them at /maps/<key> (api/maps.py): the document itself, its
own policy (the hashes of its inline scripts) and a sandbox; an unknown key is a page that
says so. How maps render: tests/unit/test_maps.py."""

from __future__ import annotations

import re
from html import unescape

from coworking_app.maps import SANDBOX, MapPin, publish, published, render_map
from tests.unit.test_maps import _META_CSP, HOSTILE


def test_a_published_map_is_served_with_its_own_policy_and_sandbox(client):
    html = render_map([MapPin(55.75, 37.61, "1 ₽", HOSTILE[0], href="/spaces/1")], (55.75, 37.61))
    url = publish(html)
    assert re.fullmatch(r"/maps/[0-9a-f]{32}", url) and publish(html) == url
    assert published(url.rsplit("/", 1)[1]) == html
    r = client.get(url)
    assert r.status_code == 200 and r.text == html
    assert r.headers["content-type"].startswith("text/html")
    policy = r.headers["content-security-policy"]
    assert policy.startswith(unescape(_META_CSP.search(html).group(1)))
    assert policy.endswith(f"; frame-ancestors 'self'; sandbox {SANDBOX}")
    assert r.headers["x-frame-options"] == "SAMEORIGIN"
    assert r.headers["x-content-type-options"] == "nosniff"
    # An unknown or malformed key: a page that says so, under the same sandbox.
    for key in ("0" * 32, "../../etc/passwd", "ABC"):
        missing = client.get(f"/maps/{key}")
        assert missing.status_code == 404
        if "text/html" in missing.headers["content-type"]:
            assert "Карта устарела" in missing.text
            assert "sandbox" in missing.headers["content-security-policy"]
            assert missing.headers["cache-control"] == "no-store"
