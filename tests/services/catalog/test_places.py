"""Place suggestions as people type (services/catalog/places.py): stations, districts, cities
and our published spaces, matched by the beginnings of words, ё read as е, best first."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from coworking_app.services.catalog import catalog, places
from coworking_app.services.common.errors import InvalidInput
from tests.factories import make_space
from tests.uow_helpers import transaction


def labels(found: list[places.Place]) -> list[tuple[str, str]]:
    return [(p.kind, p.label) for p in found]


@pytest.mark.parametrize("q", ["тверская", "Тверская", "ТВЕРСКАЯ", "  тверс ", "тВеРс"])
def test_a_station_by_the_beginning_of_its_name_in_any_case(session, q):
    found = places.suggest_places(session, q)
    assert found[0].kind == "stop" and found[0].label == "Тверская"
    assert "Замоскворецкая линия" in found[0].detail and "Москва" in found[0].detail
    assert found[0].city_slug == "moscow"
    assert found[0].lat == pytest.approx(55.7648) and found[0].lon == pytest.approx(37.6055)


def test_yo_is_read_as_e_both_ways(session):
    for q in ("савел", "савёл", "САВЁЛ"):
        kinds = labels(places.suggest_places(session, q))
        assert ("stop", "Савёловская") in kinds and ("district", "Савёловский") in kinds


def test_every_word_must_begin_a_word_of_the_name(session):
    assert labels(places.suggest_places(session, "пл рев"))[0] == ("stop", "Площадь Революции")
    assert labels(places.suggest_places(session, "революции площадь"))[0] == \
        ("stop", "Площадь Революции")
    # "вская" is inside words, never at a word's beginning.
    assert places.suggest_places(session, "вская") == []


def test_the_whole_name_then_its_beginning_then_a_word(session):
    found = labels(places.suggest_places(session, "арбат", limit=20))
    # The district called exactly so first, then the station whose name begins so.
    assert found[0] == ("district", "Арбат")
    assert ("stop", "Арбатская") in found
    assert found.index(("district", "Арбат")) < found.index(("stop", "Арбатская"))


def test_cities_come_first_among_equals_and_have_their_centre(session):
    found = places.suggest_places(session, "моск")
    assert (found[0].kind, found[0].label, found[0].city_slug) == ("city", "Москва", "moscow")
    assert found[0].detail == "Город"
    city = catalog.require_city(session, "moscow")
    assert (found[0].lat, found[0].lon) == (city.lat, city.lon)


def test_a_district_is_placed_inside_its_outline(session):
    found = [p for p in places.suggest_places(session, "хамовники") if p.kind == "district"]
    assert found and found[0].label == "Хамовники" and found[0].detail == "район, Москва"
    inside = session.execute(text(
        "SELECT ST_Covers(boundary, ST_MakePoint(:lon, :lat)::geography) FROM district "
        "WHERE id = :id"), {"lat": found[0].lat, "lon": found[0].lon, "id": found[0].id}).scalar()
    assert inside


def test_published_spaces_by_name_and_by_address_words(session, world):
    found = places.suggest_places(session, "гамма")
    assert labels(found)[:1] == [("space", "Гамма лофт")]
    assert found[0].id == world.ids["gamma"] and found[0].detail.startswith("Москва")
    # By address: "тестовая" is a word of every world space's address.
    by_address = places.suggest_places(session, "тестовая ул", limit=20)
    assert by_address and {p.kind for p in by_address} == {"space"}
    # Hidden and draft spaces are never suggested.
    hidden = [p for p in places.suggest_places(session, "скрытый") if p.kind == "space"]
    assert hidden == []
    assert [p for p in places.suggest_places(session, "черновик") if p.kind == "space"] == []


def test_a_space_name_with_yo_and_a_deleted_space(world):
    with transaction() as s:
        space = make_space(s, name="Ёлки-Палки коворкинг", lat=55.03, lon=82.92,
                           owner_id=world.owner_id)
        assert labels(places.suggest_places(s, "елки"))[:1] == [("space", "Ёлки-Палки коворкинг")]
        assert labels(places.suggest_places(s, "ёлки пал"))[:1] == [("space", "Ёлки-Палки коворкинг")]
        s.execute(text("UPDATE space SET deleted_at = now() WHERE id = :i"), {"i": space.id})
        assert places.suggest_places(s, "елки") == []
        s.rollback()


def test_a_city_narrows_stations_districts_and_spaces_but_not_cities(session):
    spb = catalog.require_city(session, "saint-petersburg")
    found = places.suggest_places(session, "пл", city_id=spb.id, limit=20)
    assert found and {p.city_slug for p in found if p.kind != "city"} == {"saint-petersburg"}
    everywhere = places.suggest_places(session, "новос", city_id=spb.id)
    assert ("city", "Новосибирск") in labels(everywhere)
    with pytest.raises(InvalidInput) as refused:
        places.suggest_places(session, "пл", city_id=2**31 - 1)
    assert refused.value.field == "city"


def test_limits_and_short_or_empty_queries(session):
    assert places.suggest_places(session, "") == []
    assert places.suggest_places(session, "м") == []
    assert places.suggest_places(session, "  ,,  ") == []
    assert len(places.suggest_places(session, "ст", limit=3)) <= 3
    assert len(places.suggest_places(session, "с", limit=3)) == 0
    for limit in (0, 21):
        with pytest.raises(InvalidInput) as refused:
            places.suggest_places(session, "тверская", limit=limit)
        assert refused.value.field == "limit"


@pytest.mark.parametrize("q", ["x" * 101, "abc\x00", "a\x07b"])
def test_bad_queries_are_refused_naming_q(session, q):
    with pytest.raises(InvalidInput) as refused:
        places.suggest_places(session, q)
    assert refused.value.field == "q" and refused.value.message


@pytest.mark.parametrize("q", ["%", "_", "' OR 1=1 --", "\\", "(^|", "😀😀", "[[:alnum:]]*", ".*"])
def test_hostile_queries_find_nothing_odd_and_never_fail(session, q):
    found = places.suggest_places(session, q)
    assert all(p.kind in ("stop", "district", "city", "space") for p in found)


def test_match_rank_orders_whole_name_beginning_word_and_address():
    w = places.words
    assert places.match_rank(w("тверская"), "Тверская") == 0
    assert places.match_rank(w("тверс"), "Тверская застава") == 1
    assert places.match_rank(w("застава"), "Тверская застава") == 2
    assert places.match_rank(w("ленина"), "Точка", "Москва, ул. Ленина, 5") == 3
    assert places.match_rank(w("верская"), "Тверская") is None
    assert places.match_rank([], "Тверская") is None
