"""The search by map: `bbox` on the list (services/catalog/search.py) and the clustered map of
every result (services/catalog/search_map.py), with the per-cell counts the trigger keeps."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from coworking_app.services.catalog import search_map as sm
from coworking_app.services.catalog.search import (
    Bounds,
    SearchParams,
    format_bbox,
    merc_x,
    merc_y,
    parse_bbox,
    search_filters,
    search_spaces,
)
from coworking_app.services.common.errors import InvalidInput
from models.space import MAP_CELL_SHIFT
from tests.factories import RANDOM_CENTER, make_space
from tests.uow_helpers import transaction

# A box over the middle of the world's random Novosibirsk spaces.
BOX = Bounds(RANDOM_CENTER[1] - 0.15, RANDOM_CENTER[0] - 0.1, RANDOM_CENTER[1] + 0.2,
             RANDOM_CENTER[0] + 0.05)


def inside(world, box: Bounds) -> set[int]:
    return {i for i, lat, lon in world.random_points
            if box.min_lon <= lon <= box.max_lon and box.min_lat <= lat <= box.max_lat}


def all_ids(session, **params) -> set[int]:
    ids: set[int] = set()
    page = 1
    while True:
        found = search_spaces(session, SearchParams(page=page, page_size=100, **params))
        ids |= {c.id for c in found.items}
        if len(found.items) < 100:
            return ids
        page += 1


def test_bbox_keeps_exactly_the_spaces_inside_it(session, world):
    expected = inside(world, BOX)
    assert 20 < len(expected) < 200
    assert all_ids(session, bbox=format_bbox(BOX), amenities=["kitchen"]) == expected
    # Combined with the other filters, and sorted by distance from a point in it.
    near = search_spaces(session, SearchParams(bbox=format_bbox(BOX), lat=RANDOM_CENTER[0],
                                               lon=RANDOM_CENTER[1], sort="distance"))
    assert near.total == len(expected)
    distances = [c.distance_m for c in near.items]
    assert distances == sorted(distances)


@pytest.mark.parametrize("value, message", [
    ("1,2,3", "долгота,широта"),
    ("a,b,c,d", "долгота,широта"),
    ("nan,55,38,56", "долгота,широта"),
    ("37,inf,38,56", "долгота,широта"),
    ("37,55,38,56,1", "долгота,широта"),
    ("-181,55,38,56", "Долгота"),
    ("37,-91,38,56", "Широта"),
    ("38,55,37,56", "Запад"),
    ("37,56,38,55", "юг"),
    ("37,55,37,56", "Запад"),
    ("0,0,61,10", "слишком большая"),
    ("0,0,10,31", "слишком большая"),
])
def test_a_bad_bbox_is_refused_naming_it(value, message):
    with pytest.raises(InvalidInput) as refused:
        SearchParams(bbox=value)
    assert refused.value.field == "bbox" and message in refused.value.message
    with pytest.raises(InvalidInput):
        parse_bbox(value)


def test_a_bbox_is_kept_in_one_spelling():
    assert SearchParams(bbox=" 37.5 ,55.70, 37.700000,55.8 ").bbox == "37.5,55.7,37.7,55.8"
    assert SearchParams(bbox="").bbox is None
    assert SearchParams(bbox="37.5,55.7,37.7,55.8").to_query()["bbox"] == "37.5,55.7,37.7,55.8"


def test_mercator_coordinates_in_python_and_in_the_database_agree(session, world):
    rows = session.execute(text(
        "SELECT ST_X(location::geometry), ST_Y(location::geometry), merc_x, merc_y "
        "FROM space_search ORDER BY space_id LIMIT 50")).all()
    for lon, lat, x, y in rows:
        assert abs(merc_x(lon) - x) <= 1 and abs(merc_y(lat) - y) <= 1
        assert sm.lon_of_x(x) == pytest.approx(lon, abs=1e-6)
        assert sm.lat_of_y(y) == pytest.approx(lat, abs=1e-6)


def _map(session, **params) -> sm.MapResults:
    return sm.search_map(session, sm.MapParams(**params))


def test_the_map_holds_every_result_in_view_in_clusters_and_pins(session, world):
    box = format_bbox(BOX)
    found = _map(session, bbox=box, zoom=11, amenities=["kitchen"])
    x0, y0, x1, y1 = sm.map_box(BOX)  # the box widened to whole map cells
    widened = Bounds(sm.lon_of_x(x0), sm.lat_of_y(y1 + 1), sm.lon_of_x(x1 + 1), sm.lat_of_y(y0))
    assert found.total == len(inside(world, widened)) >= len(inside(world, BOX))
    assert found.total == sum(c.count for c in found.clusters) + len(found.spaces)
    assert found.clusters and all(c.count >= 2 for c in found.clusters)
    for cluster in found.clusters:  # each cluster's point lies in its cell's box
        cell = parse_bbox(cluster.bbox)
        assert cell.min_lon <= cluster.lon <= cell.max_lon
        assert cell.min_lat <= cluster.lat <= cell.max_lat
    # Closer in, the same spaces come apart into more clusters and single pins.
    closer = _map(session, bbox=box, zoom=14, amenities=["kitchen"])
    assert closer.total == found.total
    assert len(closer.clusters) + len(closer.spaces) > len(found.clusters) + len(found.spaces)
    pin = closer.spaces[0]
    assert pin.name.startswith("Случайная точка") and pin.price_unit == "hour"
    assert pin.price_label.endswith("₽") and pin.price_from > 0


def test_without_a_box_a_city_is_a_few_clusters(session, world):
    found = _map(session, city="novosibirsk", zoom=3)
    assert found.total == search_spaces(session, SearchParams(city="novosibirsk")).total \
        or found.total > 250
    assert len(found.clusters) + len(found.spaces) <= 4


@pytest.mark.parametrize("zoom", [9, 11, 12, 14])
def test_the_counted_cells_give_the_same_clusters_as_the_spaces(session, world, zoom):
    """A view with no filter but the city is summed from space_map_cell: the same groups as
    counting the spaces themselves."""
    params = sm.MapParams(city="novosibirsk", bbox=format_bbox(BOX), zoom=zoom)
    filters = search_filters(session, params.model_copy(update={"bbox": None}))
    assert not filters.narrowed
    shift = sm.cell_shift(zoom, params.bounds)
    box = sm.map_box(params.bounds)
    db = session.connection()
    fast = sorted(tuple(int(v) for v in row) for row in db.execute(sm._counted_cells(filters.city_id, box, shift)))
    slow = sorted(tuple(int(v) for v in row) for row in db.execute(sm._spaces_in_cells(filters, box, shift)))
    assert fast == slow and fast


def test_filters_narrow_the_map_as_they_narrow_the_list(session, world):
    params = {"city": "novosibirsk", "seats": 20, "bbox": format_bbox(BOX)}
    found = _map(session, zoom=12, **params)
    assert found.total == sum(c.count for c in found.clusters) + len(found.spaces)
    widened_list = search_spaces(session, SearchParams(city="novosibirsk", seats=20)).total
    assert 0 < found.total <= widened_list
    assert found.total >= search_spaces(session, SearchParams(**params)).total
    nothing = _map(session, zoom=12, q="zzzzнесуществующее", **params)
    assert (nothing.total, nothing.clusters, nothing.spaces) == (0, [], [])


def test_the_map_refuses_what_the_list_refuses(session, world):
    for params in ({"city": "atlantis"}, {"amenities": ["teleport"]}, {"bbox": "1,2,3"}):
        with pytest.raises(InvalidInput):
            _map(session, zoom=10, **params)


_CELLS_AGREE = text(f"""
    SELECT count(*) FROM (
        SELECT city_id, cx, cy, spaces, sum_x, sum_y, min_id FROM space_map_cell
        EXCEPT ALL
        SELECT city_id, merc_x >> {MAP_CELL_SHIFT}, merc_y >> {MAP_CELL_SHIFT}, count(*)::int,
               sum(merc_x), sum(merc_y), min(space_id)
        FROM space_search GROUP BY 1, 2, 3
    ) differs
""")
_CELLS_COUNT = text("SELECT coalesce(sum(spaces), 0) = (SELECT count(*) FROM space_search) FROM space_map_cell")


def test_the_counted_cells_follow_every_change(world):
    with transaction() as s:
        a = make_space(s, name="Клетка А", lat=55.031, lon=82.921, owner_id=world.owner_id)
        b = make_space(s, name="Клетка Б", lat=55.0311, lon=82.9211, owner_id=world.owner_id)
        assert s.execute(_CELLS_AGREE).scalar() == 0 and s.execute(_CELLS_COUNT).scalar()
        # Moved across the city, hidden, published again, deleted: the cells keep up.
        s.execute(text("UPDATE space SET location = 'SRID=4326;POINT(82.80 55.10)' WHERE id = :i"),
                  {"i": a.id})
        assert s.execute(_CELLS_AGREE).scalar() == 0
        s.execute(text("UPDATE space SET status = 'hidden' WHERE id = :i"), {"i": b.id})
        assert s.execute(_CELLS_AGREE).scalar() == 0 and s.execute(_CELLS_COUNT).scalar()
        s.execute(text("UPDATE space SET status = 'published' WHERE id = :i"), {"i": b.id})
        s.execute(text("UPDATE space SET rating = 4.2 WHERE id = :i"), {"i": b.id})
        assert s.execute(_CELLS_AGREE).scalar() == 0
        s.execute(text("DELETE FROM tariff WHERE resource_id IN (SELECT id FROM resource "
                       "WHERE space_id IN (:a, :b))"), {"a": a.id, "b": b.id})
        s.execute(text("DELETE FROM resource WHERE space_id IN (:a, :b)"), {"a": a.id, "b": b.id})
        s.execute(text("DELETE FROM space WHERE id IN (:a, :b)"), {"a": a.id, "b": b.id})
        assert s.execute(_CELLS_AGREE).scalar() == 0 and s.execute(_CELLS_COUNT).scalar()
        s.rollback()
