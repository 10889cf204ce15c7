"""Search service on the real PostGIS database."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import text

from coworking_app.services.common.errors import InvalidInput
from coworking_app.services.catalog.geo import haversine_m
from coworking_app.services.catalog import search
from coworking_app.services.catalog.search import SearchParams, search_spaces
from tests.factories import RANDOM_CENTER


def ids(session, **params) -> list[int]:
    page = search_spaces(session, SearchParams(page_size=100, **params))
    return [item.id for item in page.items]


def all_ids(session, **params) -> set[int]:
    found: set[int] = set()
    page_no = 1
    while True:
        page = search_spaces(session, SearchParams(page=page_no, page_size=100, **params))
        found.update(item.id for item in page.items)
        if page_no * 100 >= page.total:
            return found
        page_no += 1


def test_radius_matches_independent_haversine(session, world):
    rnd = random.Random(11)
    for _ in range(6):
        lat = RANDOM_CENTER[0] + rnd.uniform(-0.15, 0.15)
        lon = RANDOM_CENTER[1] + rnd.uniform(-0.25, 0.25)
        radius_km = rnd.choice([5, 8, 12, 20])
        found = all_ids(session, lat=lat, lon=lon, radius_km=radius_km, amenities=["kitchen"])
        checked = 0
        for space_id, plat, plon in world.random_points:
            d = haversine_m(lat, lon, plat, plon)
            # Sphere vs spheroid differ by < 0.5 %: skip the thin band at the edge.
            if abs(d - radius_km * 1000) < radius_km * 1000 * 0.005:
                continue
            checked += 1
            assert (space_id in found) == (d < radius_km * 1000), (space_id, d, radius_km)
        assert checked > 200
        assert found, "each sampled circle should contain at least one space"


def test_distance_field_and_distance_sort(session, world):
    lat, lon = RANDOM_CENTER
    page = search_spaces(session, SearchParams(lat=lat, lon=lon, radius_km=10, sort="distance",
                                               page_size=50))
    distances = [item.distance_m for item in page.items]
    assert distances == sorted(distances)
    for item in page.items:
        assert item.distance_m == pytest.approx(haversine_m(lat, lon, item.lat, item.lon), rel=0.006)


@pytest.mark.parametrize("sort", ["price", "rating", "newest", "distance", "relevance"])
def test_dense_ring_shortcuts_give_the_same_pages(session, world, monkeypatch, sort):
    """With the count over the limit, ring searches walk a sort index (or KNN) instead of
    sorting the ring: the pages must be exactly those of the plain query."""
    from coworking_app.services.catalog import search

    lat, lon = RANDOM_CENTER
    params = [dict(lat=lat, lon=lon, radius_km=15, sort=sort, page=p, page_size=10,
                   amenities=["kitchen"]) for p in (1, 2, 3)]
    plain = [[i.id for i in search_spaces(session, SearchParams(**p)).items] for p in params]
    assert all(len(page) == 10 for page in plain)
    monkeypatch.setattr(search, "COUNT_LIMIT", 25)  # pages 1-2 fit under it, page 3 does not
    dense = [search_spaces(session, SearchParams(**p)) for p in params]
    assert not dense[0].total_exact
    assert [[i.id for i in page.items] for page in dense] == plain


def test_radius_search_uses_the_gist_index(session, world):
    session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(row[0] for row in session.execute(text(
        "EXPLAIN SELECT id FROM space WHERE status = 'published' AND ST_DWithin(location, "
        "ST_GeogFromText('SRID=4326;POINT(82.92 55.03)'), 2000)"
    )))
    assert "idx_space_location" in plan


def test_district_filter_uses_polygon(session, world):
    found = ids(session, city="moscow", district=world.district_slug)
    assert world.ids["alpha"] in found and world.ids["gamma"] in found
    assert world.ids["beta"] not in found
    other = ids(session, city="moscow", district=world.other_district_slug)
    assert other == [world.ids["beta"]]


def test_only_published_spaces_are_found(session, world):
    found = all_ids(session, q="коворкинг")
    assert world.ids["hidden"] not in found and world.ids["draft"] not in found
    assert world.ids["alpha"] in found


def test_metro_filter(session, world):
    assert world.ids["metro_text"] in ids(session, stop_id=world.stop_id, stop_radius_m=400)
    assert world.ids["metro_text"] not in ids(session, stop_id=world.stop_id, stop_radius_m=100)


def test_amenities_require_all_chosen(session, world):
    assert set(ids(session, amenities=["parking"])) == {world.ids["alpha"], world.ids["gamma"]}
    assert ids(session, amenities=["parking", "gym"]) == [world.ids["gamma"]]
    assert ids(session, amenities="wifi,shower") == [world.ids["beta"]]


def test_price_filter_per_unit(session, world):
    found = set(ids(session, city="moscow", price_unit="hour", max_price=50000))
    assert found == {world.ids["alpha"]}  # 300 ₽/h; gamma is 600 ₽/h, beta 1500 ₽/h
    found = set(ids(session, city="moscow", price_unit="hour", min_price=50000, max_price=70000))
    assert found == {world.ids["gamma"]}
    found = set(ids(session, city="moscow", price_unit="month", max_price=10_000_000))
    assert found == {world.ids["gamma"]}
    page = search_spaces(session, SearchParams(city="moscow", price_unit="day", sort="price"))
    assert [i.price_from for i in page.items] == [90000, 150000]
    assert all(i.price_unit == "day" for i in page.items)


def test_seats_filter(session, world):
    assert set(ids(session, city="moscow", seats=15)) == {world.ids["alpha"], world.ids["gamma"]}
    assert ids(session, city="moscow", seats=25) == [world.ids["gamma"]]
    assert ids(session, city="moscow", seats=500) == []


@pytest.mark.parametrize("query", ["коворкинги у метро", "коворкингов", "КОВОРКИНГ метро",
                                    "coworking near metro"])
def test_text_search_morphology(session, world, query):
    assert world.ids["metro_text"] in ids(session, q=query)


def test_text_search_relevance_puts_name_matches_first(session, world):
    found = ids(session, city="moscow", q="лофт")
    assert found[0] == world.ids["gamma"]


@pytest.mark.parametrize("query", ["'", "\"; DROP TABLE space; --", "x" * 200, "🙂 ∑ ß",
                                    "a & | ! <-> :*", "\\", "%_"])
def test_hostile_text_never_fails(session, world, query):
    search_spaces(session, SearchParams(q=query))


def test_nul_bytes_are_removed(session, world):
    assert SearchParams(q="ко\x00воркинг").q == "ко воркинг"


def test_sorting(session, world):
    page = search_spaces(session, SearchParams(city="moscow", sort="rating"))
    assert [i.id for i in page.items] == [world.ids["gamma"], world.ids["alpha"], world.ids["beta"]]
    page = search_spaces(session, SearchParams(city="moscow", sort="newest"))
    assert [i.id for i in page.items] == [world.ids["gamma"], world.ids["beta"], world.ids["alpha"]]
    page = search_spaces(session, SearchParams(city="moscow", sort="price"))
    assert [i.price_from for i in page.items] == [30000, 60000, 150000]


def test_pagination_is_stable_and_complete(session, world):
    first = search_spaces(session, SearchParams(amenities=["kitchen"], sort="rating", page_size=40))
    assert first.total == 250
    seen: list[int] = []
    for page_no in range(1, 8):
        page = search_spaces(session, SearchParams(amenities=["kitchen"], sort="rating",
                                                   page=page_no, page_size=40))
        seen.extend(i.id for i in page.items)
    assert len(seen) == 250 and len(set(seen)) == 250
    last = search_spaces(session, SearchParams(amenities=["kitchen"], page=99, page_size=40))
    assert last.items == [] and last.total == 250


def test_count_stops_at_the_limit_and_says_so(session, world, monkeypatch):
    from coworking_app.services.catalog import search

    monkeypatch.setattr(search, "COUNT_LIMIT", 100)
    page = search_spaces(session, SearchParams(amenities=["kitchen"], page=3, page_size=40))
    assert page.total == 100 and page.total_exact is False
    assert len(page.items) == 40  # pages past the count limit still work
    exact = search_spaces(session, SearchParams(city="moscow", amenities=["kitchen"]))
    assert exact.total_exact is (exact.total <= 100)


def test_result_fields(session, world):
    page = search_spaces(session, SearchParams(city="Москва", sort="rating"))
    gamma = page.items[0]
    assert gamma.name == "Гамма лофт" and gamma.city == "Москва" and gamma.city_slug == "moscow"
    assert gamma.district and gamma.max_capacity == 40
    assert gamma.price_from == 60000 and gamma.price_unit == "hour" and gamma.currency == "RUB"
    assert gamma.amenities == ["coffee", "gym", "parking", "wifi"]
    assert gamma.rating == 4.9 and gamma.reviews_count == 40 and gamma.distance_m is None
    alpha = next(i for i in page.items if i.id == world.ids["alpha"])
    assert alpha.cover_photo_url.endswith(f"t/{alpha.id}-0.jpg")


@pytest.mark.parametrize("value", ["moscow", "MOSCOW", "Москва", "москва", "Moscow"])
def test_city_by_slug_or_name(session, world, value):
    assert world.ids["alpha"] in ids(session, city=value)


@pytest.mark.parametrize(
    "params, field",
    [
        ({"city": "atlantis"}, "city"),
        ({"amenities": ["wifi", "teleport"]}, "amenities"),
        ({"district": "nowhere"}, "district"),
        ({"stop_id": 999999}, "stop_id"),
    ],
)
def test_unknown_reference_values_name_the_field(session, world, params, field):
    with pytest.raises(InvalidInput) as exc:
        search_spaces(session, SearchParams(**params))
    assert exc.value.field == field


@pytest.mark.parametrize("limit", [500, 2])
def test_text_relevance_counts_like_every_other_order(session, world, monkeypatch, limit):
    """Ranked text results (a page cut from 300 candidates) report the same count as any
    other order of the same search, capped the same way, and a page past the results still
    says how many there are."""
    monkeypatch.setattr(search, "COUNT_LIMIT", limit)
    for q in ("коворкинг", "лофт", "переговорная", "open space", "несуществующееслово"):
        ranked = search_spaces(session, SearchParams(q=q))
        counted = search_spaces(session, SearchParams(q=q, sort="rating"))
        past = search_spaces(session, SearchParams(q=q, page=500))
        assert (ranked.total, ranked.total_exact) == (counted.total, counted.total_exact), q
        assert (past.total, past.total_exact) == (counted.total, counted.total_exact), q
        assert past.items == []
