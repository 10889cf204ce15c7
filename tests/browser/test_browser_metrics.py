"""The built app as `make run` serves it (several granian processes sharing
PROMETHEUS_MULTIPROC_DIR, tests/e2e_fixtures.py): a visitor's page in Chromium shows up in
/metrics as an open websocket while it is open and as timed Reflex event handlers by name,
and two scrapes a second apart never show a total going down."""

from __future__ import annotations

import time

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e_fixtures import needs_chromium, new_page

pytestmark = needs_chromium


def scrape(base: str) -> dict:
    r = httpx.get(f"{base}/metrics", timeout=20)
    assert r.status_code == 200
    out = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_pages_and_their_events_are_measured_and_totals_only_grow(app_url, browser):
    context, page = new_page(browser, 1280, 900)
    try:
        page.goto(f"{app_url}/search?city=moscow")
        page.get_by_test_id("space-card").first.wait_for()
        deadline = time.monotonic() + 30
        found = {}
        while time.monotonic() < deadline:
            found = scrape(app_url)
            handlers = {dict(labels).get("handler") for (name, labels) in found
                        if name == "coworking_reflex_event_duration_seconds_count"}
            if "SearchState.on_load" in handlers and found.get(("coworking_websocket_connections", ()), 0) >= 1:
                break
            time.sleep(1)
        assert "SearchState.on_load" in handlers and "AuthState.load_user" in handlers, handlers
        assert found[("coworking_websocket_connections", ())] >= 1
        pages = sum(v for (name, labels), v in found.items()
                    if name == "coworking_http_request_duration_seconds_count" and dict(labels)["route"] == "page")
        assert pages >= 1
    finally:
        context.close()
    first = scrape(app_url)
    time.sleep(1)
    second = scrape(app_url)
    for key, value in first.items():
        name = key[0]
        if name.endswith(("_total", "_count", "_sum", "_bucket")):
            assert second.get(key, 0) >= value, key
