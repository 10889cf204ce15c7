"""REST API: GET /api/v1/places (suggestions as you type, services/catalog/places.py)."""

from __future__ import annotations

import pytest

from coworking_app.db import get_cache_redis
from coworking_app.services.catalog import places


def test_suggestions_with_their_points(client, world):
    r = client.get("/api/v1/places", params={"q": "тверс"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body[0] == {**body[0], "kind": "stop", "label": "Тверская", "city_slug": "moscow"}
    for item in body:
        assert set(item) == {"kind", "label", "detail", "lat", "lon", "city_slug", "id"}


def test_a_city_narrows_them_by_slug_or_name(client, world):
    for city in ("saint-petersburg", "Санкт-Петербург"):
        body = client.get("/api/v1/places", params={"q": "пл", "city": city}).json()
        assert body and {p["city_slug"] for p in body if p["kind"] != "city"} == {"saint-petersburg"}


def test_short_queries_give_none(client, world):
    assert client.get("/api/v1/places", params={"q": "т"}).json() == []


@pytest.mark.parametrize("params, field", [
    ({}, "q"),
    ({"q": "x" * 101}, "q"),
    ({"q": "a\x00b"}, "q"),
    ({"q": "тверс", "city": "atlantis"}, "city"),
    ({"q": "тверс", "limit": 0}, "limit"),
    ({"q": "тверс", "limit": 21}, "limit"),
    ({"q": "тверс", "limit": "много"}, "limit"),
])
def test_bad_input_is_a_russian_422_naming_the_field(client, world, params, field):
    r = client.get("/api/v1/places", params=params)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail[0]["loc"][-1] == field
    assert any("\u0400" <= ch <= "\u04ff" for ch in detail[0]["msg"])


def test_lookups_are_limited_per_client_address(client, world, monkeypatch):
    get_cache_redis().flushdb()
    monkeypatch.setattr(places, "LOOKUPS_PER_MINUTE", 3)
    codes = [client.get("/api/v1/places", params={"q": "тверс"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = client.get("/api/v1/places", params={"q": "тверс"})
    assert r.headers["Retry-After"] and "подождите" in r.json()["detail"]
    get_cache_redis().flushdb()
