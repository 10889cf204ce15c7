"""REST API: /api/v1/spaces, /spaces/{id}, cities, amenities, health."""

from __future__ import annotations

import pytest


def detail_field(response) -> list[str]:
    body = response.json()
    assert response.status_code == 422, body
    return [str(err["loc"][-1]) for err in body["detail"]]


def test_search_returns_page_with_fields(client, world):
    r = client.get("/api/v1/spaces", params={"city": "moscow", "sort": "rating", "page_size": 2})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 3 and body["page"] == 1 and body["page_size"] == 2
    assert len(body["items"]) == 2
    item = body["items"][0]
    for key in ("id", "name", "city", "district", "address", "lat", "lon", "distance_m",
                "price_from", "price_unit", "currency", "max_capacity", "amenities",
                "cover_photo_url", "rating", "reviews_count"):
        assert key in item
    assert item["name"] == "Гамма лофт"


def test_amenities_comma_separated_and_distance(client, world):
    r = client.get("/api/v1/spaces", params={"amenities": "parking,gym"})
    assert [i["id"] for i in r.json()["items"]] == [world.ids["gamma"]]
    lat, lon = world.stop_latlon
    r = client.get("/api/v1/spaces", params={"lat": lat, "lon": lon, "radius_km": 1,
                                             "sort": "distance"})
    items = r.json()["items"]
    assert items[0]["id"] == world.ids["metro_text"]
    assert 150 < items[0]["distance_m"] < 300


@pytest.mark.parametrize(
    "params, field",
    [
        ({"lat": 91, "lon": 10}, "lat"),
        ({"lat": -90.5, "lon": 10}, "lat"),
        ({"lat": 10, "lon": 181}, "lon"),
        ({"lat": 10, "lon": -200}, "lon"),
        ({"lat": 55.7}, "lon"),
        ({"lon": 37.6}, "lat"),
        ({"lat": 55.7, "lon": 37.6, "radius_km": 0}, "radius_km"),
        ({"lat": 55.7, "lon": 37.6, "radius_km": -3}, "radius_km"),
        ({"lat": 55.7, "lon": 37.6, "radius_km": 100.5}, "radius_km"),
        ({"radius_km": 5}, "radius_km"),
        ({"amenities": "wifi,teleport"}, "amenities"),
        ({"city": "atlantis"}, "city"),
        ({"min_price": 5000, "max_price": 100}, "min_price"),
        ({"page_size": 101}, "page_size"),
        ({"page": 0}, "page"),
        ({"sort": "cheapest"}, "sort"),
        ({"sort": "distance"}, "sort"),
        ({"price_unit": "week"}, "price_unit"),
        ({"lat": "north", "lon": 1}, "lat"),
        ({"seats": 0}, "seats"),
        ({"q": "x" * 10_000}, "q"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, world, params, field):
    r = client.get("/api/v1/spaces", params=params)
    assert field in detail_field(r)


@pytest.mark.parametrize("q", ["'", "\"; DROP TABLE space; --", "😀" * 50, "\x00abc", "a:*&!|",
                               "коворкинг' OR '1'='1", "\u202e\u0000\uffff"])
def test_hostile_queries_never_500(client, world, q):
    r = client.get("/api/v1/spaces", params={"q": q})
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/spaces", params={"q": "коворкинг"}).json()["total"] > 0


def test_space_detail(client, world):
    r = client.get(f"/api/v1/spaces/{world.ids['gamma']}")
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "Гамма лофт" and body["status"] == "published"
    assert {res["kind"] for res in body["resources"]} == {"private_office", "hot_desk"}
    office = next(res for res in body["resources"] if res["kind"] == "private_office")
    assert [t | {"id": 0} for t in office["tariffs"]] == [
        {"id": 0, "unit": "month", "price_minor": 9000000, "currency": "RUB"}]
    assert [a["code"] for a in body["amenities"]] == ["wifi", "coffee", "parking", "gym"]
    assert [h["day"] for h in body["opening_hours"]][0] == "mon"
    stops = body["nearest_stops"]
    assert len(stops) == 3
    assert [s["distance_m"] for s in stops] == sorted(s["distance_m"] for s in stops)
    assert set(stops[0]) >= {"name", "kind", "line", "distance_m"}


def test_detail_404_for_unknown_unpublished_or_bad_id(client, world):
    for space_id in (999999, world.ids["hidden"], world.ids["draft"]):
        r = client.get(f"/api/v1/spaces/{space_id}")
        assert r.status_code == 404 and r.json()["detail"] == "Пространство не найдено"
    assert client.get("/api/v1/spaces/abc").status_code == 422
    assert client.get("/api/v1/spaces/99999999999999").status_code == 422


def test_cities_and_amenities(client, world):
    cities = client.get("/api/v1/cities").json()
    assert {c["slug"] for c in cities} == {"moscow", "saint-petersburg", "novosibirsk"}
    moscow = next(c for c in cities if c["slug"] == "moscow")
    assert moscow["spaces_count"] == 3 and moscow["name_en"] == "Moscow"
    amenities = client.get("/api/v1/amenities").json()
    assert {"wifi", "parking", "coffee"} <= {a["code"] for a in amenities}
    districts = client.get("/api/v1/districts", params={"city": "moscow"}).json()
    assert world.district_slug in {d["slug"] for d in districts}
    assert client.get("/api/v1/districts", params={"city": "mars"}).status_code == 422


def test_health_ok(client):
    r = client.get("/api/v1/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "db": "ok", "redis": "ok"}


def test_health_names_the_failing_part(client, monkeypatch):
    from coworking_app.settings import get_settings

    monkeypatch.setattr(get_settings(), "redis_url", "redis://127.0.0.1:1/0")
    r = client.get("/api/v1/health")
    assert r.status_code == 503
    assert r.json()["redis"].startswith("error") and r.json()["db"] == "ok"


def test_openapi_published(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/spaces" in spec["paths"] and "/api/v1/spaces/{space_id}" in spec["paths"]
