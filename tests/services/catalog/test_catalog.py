"""The reference data behind search and the editor (services/catalog/catalog.py: cities, districts,
amenities, stops) and where a point lies (services/catalog/geo.py)."""

from __future__ import annotations

import pytest

from tests.uow_helpers import transaction
from coworking_app.services.catalog import catalog, geo
from coworking_app.services.common.errors import InvalidInput
from models import Amenity
from tests.factories import make_space


@pytest.mark.parametrize("value", ["moscow", "Москва", "  москва ", "MOSCOW", "Moscow"])
def test_a_city_is_found_by_slug_or_either_name_in_any_case(session, value):
    assert catalog.find_city(session, value).slug == "moscow"


def test_an_unknown_city_is_refused_by_name(session):
    assert catalog.find_city(session, "Атлантида") is None
    with pytest.raises(InvalidInput) as refused:
        catalog.require_city(session, "Атлантида")
    assert (refused.value.field, refused.value.message) == ("city", "Город «Атлантида» не найден")


def test_districts_by_slug_id_or_name_within_a_city(session):
    moscow = catalog.require_city(session, "moscow")
    spb = catalog.require_city(session, "saint-petersburg")
    arbat = [d for d in catalog.list_districts(session, moscow.id) if d.slug == "arbat"][0]
    for needle in ("arbat", "Арбат", "ARBAT", str(arbat.id)):
        assert catalog.find_districts(session, needle, moscow.id) == [arbat]
    assert catalog.find_districts(session, "arbat", spb.id) == []
    assert {d.city_id for d in catalog.list_districts(session, spb.id)} == {spb.id}
    assert len(catalog.list_districts(session)) > len(catalog.list_districts(session, spb.id))


def test_stops_of_a_city_in_alphabetical_order_with_their_lines(session, world):
    moscow = catalog.require_city(session, "moscow")
    stops = catalog.list_stops(session, moscow.id)
    assert stops and {s.city_id for s in stops} == {moscow.id}
    assert [s.name_ru for s in stops] == sorted(s.name_ru for s in stops)
    stop = catalog.get_stop(session, world.stop_id)
    assert (stop.lat, stop.lon) == pytest.approx(world.stop_latlon)
    assert stop.kind == "metro" and stop.line_name and stop.line_color.startswith("#")
    assert catalog.get_stop(session, 2**31 - 1) is None


def test_only_published_spaces_count_per_city(world):
    with transaction() as s:
        before = catalog.count_published_by_city(s)
        nsk = catalog.require_city(s, "novosibirsk").id
        for status in ("published", "draft", "hidden", "pending_review"):
            make_space(s, name=f"Счёт {status}", lat=55.03, lon=82.92, status=status, owner_id=world.owner_id)
        after = catalog.count_published_by_city(s)
        s.rollback()  # the world stays as it was
    assert after[nsk] == before[nsk] + 1
    assert {k: v for k, v in after.items() if k != nsk} == {k: v for k, v in before.items() if k != nsk}


def test_new_reference_rows_appear_once_the_cache_is_dropped(session):
    codes = [a.code for a in catalog.list_amenities(session)]
    assert "wifi" in codes
    with transaction() as s:
        s.add(Amenity(code="test_sauna", name_ru="Сауна", name_en="Sauna", icon="flame", position=999))
    try:
        with transaction() as s:
            assert "test_sauna" not in [a.code for a in catalog.list_amenities(s)]  # kept for a minute
            catalog.invalidate_reference_cache()
            assert [a.code for a in catalog.list_amenities(s)][-1] == "test_sauna"  # ordered by position
    finally:
        with transaction() as s:
            s.delete(s.get(Amenity, "test_sauna"))
        catalog.invalidate_reference_cache()


# --- where a point lies -------------------------------------------------------------------------


def test_a_point_lies_in_a_district_or_near_a_city_or_nowhere(session):
    moscow = catalog.require_city(session, "moscow")
    city_id, district_id = geo.locate_point(session, 55.7558, 37.6173)  # the Kremlin
    assert city_id == moscow.id
    assert [d.slug for d in catalog.list_districts(session, moscow.id) if d.id == district_id]
    assert geo.locate_point(session, 55.98, 37.9) == (moscow.id, None)  # Moscow region: no district
    assert geo.locate_point(session, 56.2, 38.2) == (None, None)  # over 60 km from any centre
    assert geo.locate_point(session, 0.0, 0.0) == (None, None)


def test_distances_and_walking_times():
    moscow_spb = geo.haversine_m(55.7558, 37.6173, 59.9386, 30.3141)
    assert 630_000 < moscow_spb < 640_000
    assert geo.haversine_m(55.75, 37.61, 55.75, 37.61) == 0
    assert geo.walking_minutes(0) == 1  # never "0 минут"
    assert geo.walking_minutes(640) == 10  # 640 m of straight line, 800 m of streets
