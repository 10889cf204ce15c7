"""REST API: `bbox` on GET /api/v1/spaces and the clustered map, GET /api/v1/spaces/map."""

from __future__ import annotations

import pytest

from tests.factories import RANDOM_CENTER

LAT, LON = RANDOM_CENTER
BOX = f"{LON - 0.15},{LAT - 0.1},{LON + 0.2},{LAT + 0.05}"


def test_bbox_narrows_the_list(client, world):
    everywhere = client.get("/api/v1/spaces", params={"city": "novosibirsk"}).json()["total"]
    r = client.get("/api/v1/spaces", params={"city": "novosibirsk", "bbox": BOX, "page_size": 100})
    assert r.status_code == 200, r.text
    body = r.json()
    assert 0 < body["total"] < everywhere
    west, south, east, north = map(float, BOX.split(","))
    for item in body["items"]:
        assert west <= item["lon"] <= east and south <= item["lat"] <= north


def test_the_map_of_a_view(client, world):
    r = client.get("/api/v1/spaces/map", params={"city": "novosibirsk", "bbox": BOX, "zoom": 13})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"total", "clusters", "spaces"}
    assert body["total"] == sum(c["count"] for c in body["clusters"]) + len(body["spaces"])
    cluster = body["clusters"][0]
    assert set(cluster) == {"lat", "lon", "count", "bbox"} and cluster["count"] >= 2
    pin = body["spaces"][0]
    assert set(pin) == {"id", "name", "lat", "lon", "price_from", "price_unit", "currency",
                        "price_label"}
    # The same filters as the list: one that matches nothing empties the map.
    r = client.get("/api/v1/spaces/map", params={"bbox": BOX, "zoom": 13, "seats": 10_000})
    assert r.json() == {"total": 0, "clusters": [], "spaces": []}


def test_a_whole_city_without_a_box(client, world):
    body = client.get("/api/v1/spaces/map", params={"city": "moscow", "zoom": 10}).json()
    list_total = client.get("/api/v1/spaces", params={"city": "moscow"}).json()["total"]
    assert body["total"] == list_total


@pytest.mark.parametrize("path", ["/api/v1/spaces", "/api/v1/spaces/map"])
@pytest.mark.parametrize("params, field", [
    ({"bbox": "1,2,3"}, "bbox"),
    ({"bbox": "37,55,38,56,57"}, "bbox"),
    ({"bbox": "NaN,55,38,56"}, "bbox"),
    ({"bbox": "37,55,Infinity,56"}, "bbox"),
    ({"bbox": "восток,55,38,56"}, "bbox"),
    ({"bbox": "38,55,37,56"}, "bbox"),
    ({"bbox": "37,56,38,55"}, "bbox"),
    ({"bbox": "-200,55,38,56"}, "bbox"),
    ({"bbox": "37,-95,38,56"}, "bbox"),
    ({"bbox": "0,0,90,10"}, "bbox"),
    ({"bbox": "1," * 200 + "1"}, "bbox"),
    ({"city": "atlantis"}, "city"),
])
def test_bad_input_is_a_russian_422_naming_the_field(client, world, path, params, field):
    r = client.get(path, params={"zoom": 10, **params} if path.endswith("map") else params)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"][0]
    assert detail["loc"][-1] == field
    assert any("\u0400" <= ch <= "\u04ff" for ch in detail["msg"])


@pytest.mark.parametrize("zoom", [-1, 21, "далеко", 1.5])
def test_a_bad_zoom_is_refused(client, world, zoom):
    r = client.get("/api/v1/spaces/map", params={"zoom": zoom})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "zoom"


def test_map_is_not_taken_for_a_space_id(client, world):
    assert client.get("/api/v1/spaces/map").status_code == 200
    assert client.get("/api/v1/spaces/999999").status_code == 404
