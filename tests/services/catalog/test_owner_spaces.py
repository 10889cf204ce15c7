"""An owner's editor (services/catalog/owner_spaces.py) called as the UI and the API call it:
opening hours in words, the pin deciding the city, prices and the search summary, edits that
go back to moderation, soft delete, add-ons and new promo codes. The REST contract of the
same editor: test_owner_api.py, test_space_submission.py."""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest

from coworking_app.services.catalog import geo, owner_editor, places
from coworking_app.services.catalog import owner_spaces as editor
from coworking_app.services.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RateLimited
from coworking_app.services.catalog.owner_spaces import (
    AddonInput,
    PromoInput,
    ResourceCreate,
    ResourceFields,
    SpaceCreate,
    SpaceFields,
    TariffInput,
)
from coworking_app.uow import UnitOfWork
from models import City, Space, User
from tests.booking_auth import signed_in
from tests.booking_helpers import make_bookable

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TVERSKAYA = (55.7649, 37.6050)  # central Moscow


@contextmanager
def _work():
    """One unit of work, as an adapter runs a use case: (session, effects), committed on
    success (then its effects sent), rolled back on an error."""
    with UnitOfWork() as uow:
        yield uow.session, uow.effects


def _user(s, user_id: int) -> User:
    return s.get(User, user_id)


# --- opening hours and time zones -----------------------------------------------------------------


def test_opening_hours_keep_every_weekday_and_days_not_given_are_closed():
    clean = editor.check_opening_hours({"mon": {"open": "09:00", "close": "24:00"},
                                        "sat": {"open": "00:00", "close": "00:00"}})
    assert list(clean) == list(WEEKDAYS)
    assert clean["mon"] == {"open": "09:00", "close": "24:00"}  # until midnight
    assert clean["sat"] == {"open": "00:00", "close": "00:00"}  # round the clock
    assert clean["tue"] is None and clean["sun"] is None


@pytest.mark.parametrize(("hours", "message"), [
    ({"monday": None}, "Часы работы: дни недели — mon, tue, wed, thu, fri, sat, sun"),
    ({"tue": {"open": "09:00"}}, "Часы работы, вторник: укажите открытие и закрытие или выходной"),
    ({"wed": {"open": "9:00", "close": "18:00"}}, "Часы работы, среда: время в виде ЧЧ:ММ, например 09:00"),
    ({"thu": {"open": "09:15", "close": "18:00"}},
     "Часы работы, четверг: время с шагом 30 минут (например 09:00 или 09:30), а не 09:15–18:00"),
    ({"fri": {"open": "18:00", "close": "09:00"}},
     "Часы работы, пятница: открытие раньше закрытия (круглосуточно — 00:00–00:00)"),
    ({"sun": {"open": "10:00", "close": "10:00"}},
     "Часы работы, воскресенье: открытие раньше закрытия (круглосуточно — 00:00–00:00)"),
])
def test_wrong_opening_hours_say_which_day_and_what_to_fix(hours, message):
    with pytest.raises(InvalidInput) as refused:
        editor.check_opening_hours(hours)
    assert (refused.value.field, refused.value.message) == ("opening_hours", message)


def test_time_zones_are_iana_names():
    assert editor.check_timezone("Asia/Novosibirsk") == "Asia/Novosibirsk"
    for bad in ("Mars/Olympus", "MSK", "../etc/passwd", "UTC+3"):
        with pytest.raises(InvalidInput) as refused:
            editor.check_timezone(bad)
        assert refused.value.field == "timezone" and "Europe/Moscow" in refused.value.message


# --- a space from the owner's point of view --------------------------------------------------------


@pytest.fixture()
def owner_id(world):
    return signed_in("owner")[0]


def _new_space(owner_id: int, **fields) -> int:
    with _work() as (s, fx):
        data = {"name": "Лофт «Кирпич»", "address": "Москва, ул. Тверская, 7",
                "lat": TVERSKAYA[0], "lon": TVERSKAYA[1]} | fields
        return editor.do_create_space(s, _user(s, owner_id), SpaceCreate(**data)).id


def test_a_new_space_is_a_closed_draft_placed_in_the_city_of_its_pin(owner_id):
    space_id = _new_space(owner_id)
    with _work() as (s, fx):
        space = s.get(Space, space_id)
        assert (space.status, space.owner_id) == ("draft", owner_id)
        assert s.get(City, space.city_id).slug == "moscow" and space.district_id is not None
        assert set(space.opening_hours.values()) == {None}
        assert editor.space_point(s, space) == pytest.approx(TVERSKAYA)
        assert [sp.id for sp in editor.list_owner_spaces(s, _user(s, owner_id))] == [space_id]
        # Moving the pin to Novosibirsk moves the space there.
        editor.do_update_space(s, fx, _user(s, owner_id), space_id, SpaceFields(lat=55.0302, lon=82.9204))
        assert s.get(City, space.city_id).slug == "novosibirsk"
        assert space.timezone == "Asia/Novosibirsk"  # the city's zone follows the pin
    with pytest.raises(InvalidInput) as refused, _work() as (s, fx):
        editor.do_update_space(s, fx, _user(s, owner_id), space_id, SpaceFields(lat=0.0, lon=0.0))
    assert refused.value.message == "Точка вне городов сервиса: Москва, Санкт-Петербург, Новосибирск"
    with pytest.raises(InvalidInput) as refused, _work() as (s, fx):
        editor.do_update_space(s, fx, _user(s, owner_id), space_id, SpaceFields(lat=55.7))
    assert (refused.value.field, refused.value.message) == ("lon", "Укажите и широту, и долготу")


def test_the_pin_decides_city_district_and_time_zone_never_the_owner(owner_id):
    with _work() as (s, fx):
        place = geo.place_of_point(s, *TVERSKAYA)
        assert (place.city_slug, place.timezone, place.district_id is not None) == ("moscow", "Europe/Moscow", True)
        assert place.label.startswith("Москва, ")
        for lat, lon in ((0.0, 0.0), (float("nan"), 37.6), (91.0, 37.6)):
            with pytest.raises(InvalidInput) as refused:
                geo.place_of_point(s, lat, lon)
            assert refused.value.field == "lat"
    # A zone other than the city's is refused (with the one it would be); the city's own is accepted.
    with pytest.raises(InvalidInput) as refused, _work() as (s, fx):
        editor.do_create_space(s, _user(s, owner_id), SpaceCreate(
            name="Лофт", address="Новосибирск, Красный проспект, 1", lat=55.0302, lon=82.9204,
            timezone="Europe/Moscow"))
    assert refused.value.field == "timezone" and "Asia/Novosibirsk" in refused.value.message
    space_id = _new_space(owner_id, timezone="Europe/Moscow")
    with _work() as (s, fx):
        assert s.get(Space, space_id).timezone == "Europe/Moscow"


@pytest.mark.parametrize(("typed", "first"), [
    ("Чистые пр", "Чистые пруды"),
    ("Москва, Чистые пр", "Чистые пруды"),  # the city in front
    ("Москва, ул. Тверская, 7", "Тверская"),  # a postal address: the street
    ("пр. Мира, 10", "Проспект Мира"),
])
def test_an_address_as_owners_type_it_finds_a_place_to_put_the_pin(world, typed, first):
    with _work() as (s, fx):
        found = places.address_suggestions(s, typed)
        assert found and found[0].label == first, [p.label for p in found]
        assert places.address_suggestions(s, "Шшшщщщ, 12") == []


def test_address_suggestions_count_against_the_same_limit_as_the_search_box(world, monkeypatch):
    """Four lookups of one owner's keystroke count once; the search box and the API share the
    client address's limit (places.do_suggest_for), so the page is no way around it."""
    monkeypatch.setattr(places, "LOOKUPS_PER_MINUTE", 3)
    ip, other = (f"2001:db8::{uuid.uuid4().hex[:4]}" for _ in range(2))
    with _work() as (s, fx):
        assert places.address_suggestions(s, "Москва, ул. Тверская, 7", client_ip=ip)  # 1
        assert places.do_suggest_for(s, ip, "тверская")  # 2
        assert places.address_suggestions(s, "Шшшщщщ, 12", client_ip=ip) == []  # 3
        with pytest.raises(RateLimited):
            places.do_suggest_for(s, ip, "тверская")
        with pytest.raises(RateLimited):
            places.address_suggestions(s, "Чистые пр", client_ip=ip)
        assert places.do_suggest_for(s, other, "тверская")  # another address


def test_prices_replace_each_other_per_unit_and_the_search_sees_the_lowest(owner_id):
    space_id = _new_space(owner_id)
    with _work() as (s, fx):
        owner = _user(s, owner_id)
        desk = editor.do_add_resource(s, fx, owner, space_id, ResourceCreate(kind="hot_desk", name="Зал", capacity=12))
        room = editor.do_add_resource(s, fx, owner, space_id, ResourceCreate(kind="meeting_room", name="Ока",
                                                                         capacity=6, max_minutes=480))
        editor.do_set_tariff(s, fx, owner, desk.id, TariffInput(unit="hour", price_minor=40_000))
        editor.do_set_tariff(s, fx, owner, desk.id, TariffInput(unit="hour", price_minor=35_000))  # replaces
        editor.do_set_tariff(s, fx, owner, desk.id, TariffInput(unit="month", price_minor=900_000))
        day = editor.do_set_tariff(s, fx, owner, desk.id, TariffInput(unit="day", price_minor=150_000))
        editor.do_set_tariff(s, fx, owner, room.id, TariffInput(unit="hour", price_minor=120_000))
        listed = owner_editor.space_resources(s, owner, space_id)  # what the editor shows
        assert [(r.name, [(t.unit, t.price_minor) for t in r.tariffs]) for r in listed] == [
            ("Зал", [("hour", 35_000), ("day", 150_000), ("month", 900_000)]),
            ("Ока", [("hour", 120_000)]),
        ]
        space = s.get(Space, space_id)
        assert (space.price_hour_from, space.price_day_from, space.price_month_from, space.max_capacity) == (
            35_000, 150_000, 900_000, 12)
        editor.do_delete_tariff(s, fx, owner, day.id)
        assert s.get(Space, space_id).price_day_from is None
        desk_id, room_id = desk.id, room.id
    with pytest.raises(InvalidInput) as refused, _work() as (s, fx):
        editor.do_set_tariff(s, fx, _user(s, owner_id), desk_id, TariffInput(unit="day", price_minor=1, currency="usd"))
    assert refused.value.message == "Цена — в валюте пространства (RUB), а не USD"
    with pytest.raises(InvalidInput) as refused, _work() as (s, fx):
        editor.do_update_resource(s, fx, _user(s, owner_id), room_id, ResourceFields(min_minutes=600))
    assert (refused.value.field, refused.value.message) == (
        "max_minutes", "Максимальная длительность брони не может быть меньше минимальной")


def test_text_and_photo_edits_of_a_published_space_wait_for_moderation_hours_do_not():
    # (The description stays: tests/booking_helpers' mark hides the space from later searches.)
    b = make_bookable()
    with _work() as (s, fx):
        owner = _user(s, b.owner_id)
        editor.do_update_space(s, fx, owner, b.space_id, SpaceFields(opening_hours={"mon": None}))
        assert s.get(Space, b.space_id).changed_for_review_at is None
        editor.do_update_space(s, fx, owner, b.space_id, SpaceFields(name="Коворкинг «Новое имя»"))
        space = s.get(Space, b.space_id)
        assert space.changed_for_review_at is not None and space.status == "published"  # still visible
    with _work() as (s, fx):
        s.get(Space, b.space_id).changed_for_review_at = None
        editor.do_update_space(s, fx, _user(s, signed_in("admin")[0]), b.space_id, SpaceFields(address="Москва, ул. Правки, 2"))
        assert s.get(Space, b.space_id).changed_for_review_at is None  # staff edits are not re-reviewed


def test_a_deleted_space_is_gone_for_its_owner_but_kept(owner_id):
    space_id = _new_space(owner_id)
    with _work() as (s, fx):
        editor.do_delete_space(s, fx, _user(s, owner_id), space_id)
    with _work() as (s, fx):
        assert editor.list_owner_spaces(s, _user(s, owner_id)) == []
        with pytest.raises(NotFound) as refused:
            editor.access_space_for_owner(s, _user(s, owner_id), space_id)
        assert refused.value.message == "Пространство не найдено"
        kept = s.get(Space, space_id)
        assert kept.status == "hidden" and kept.deleted_at is not None


def test_another_owners_space_does_not_exist_for_them_and_renters_edit_nothing(owner_id):
    space_id = _new_space(owner_id)
    with pytest.raises(NotFound), _work() as (s, fx):
        editor.do_update_space(s, fx, _user(s, signed_in("owner")[0]), space_id, SpaceFields(name="Чужое"))
    with pytest.raises(PermissionDenied), _work() as (s, fx):
        editor.do_create_space(s, _user(s, signed_in()[0]), SpaceCreate(
            name="Моё", address="Москва, ул. Тверская, 1", lat=TVERSKAYA[0], lon=TVERSKAYA[1]))
    with _work() as (s, fx):
        assert s.get(Space, space_id).name == "Лофт «Кирпич»"


# --- add-ons and promo codes ------------------------------------------------------------------------


def test_an_addon_is_replaced_by_its_code_and_switched_off_not_deleted():
    b = make_bookable()
    with _work() as (s, fx):
        owner = _user(s, b.owner_id)
        editor.do_set_addon(s, owner, b.space_id, AddonInput(code="locker", name="Шкафчик", unit="booking",
                                                             price_minor=10_000))
        editor.do_set_addon(s, owner, b.space_id, AddonInput(code="locker", name="Шкафчик с замком",
                                                             unit="booking", price_minor=15_000,
                                                             resource_kinds=["hot_desk", "hot_desk"]))
        lockers = [a for a in editor.list_addons(s, b.space_id) if a.code == "locker"]
        assert [(a.name, a.price_minor, a.resource_kinds) for a in lockers] == [
            ("Шкафчик с замком", 15_000, ["hot_desk"])]
        editor.do_delete_addon(s, owner, b.space_id, "locker")
        assert "locker" not in [a.code for a in editor.list_addons(s, b.space_id)]
        assert "locker" in [a.code for a in editor.list_addons(s, b.space_id, active_only=False)]
        with pytest.raises(NotFound) as refused:
            editor.do_delete_addon(s, owner, b.space_id, "sauna")
        assert refused.value.message == "Опция не найдена"


def test_addon_codes_are_made_from_the_name_unique_in_the_space_and_kept():
    assert editor.addon_code("Шкафчик с замком", set()) == "shkafchik-s-zamkom"
    assert editor.addon_code("Монитор 27\"", {"monitor-27"}) == "monitor-27-2"
    assert editor.addon_code("☕☕", set()) == "addon"
    long_code = editor.addon_code("Очень длинное название дополнительной услуги", set())
    assert len(long_code) <= 28 and long_code.isascii() and not long_code.endswith("-")
    b = make_bookable()  # has "monitor", "coffee" and "parking"
    with _work() as (s, fx):
        owner = _user(s, b.owner_id)
        towel = editor.do_set_addon(s, owner, b.space_id, AddonInput(name="Полотенце", unit="booking",
                                                                     price_minor=5_000))
        second = editor.do_set_addon(s, owner, b.space_id, AddonInput(name="Монитор", unit="hour",
                                                                      price_minor=7_000))
        other = editor.do_set_addon(s, owner, b.space_id, AddonInput(name="Monitor", unit="seat",
                                                                     price_minor=1_000))
        assert towel.code == "polotentse"
        # The same name again is the same add-on, with the new price; its code stays.
        assert (second.code, second.price_minor, second.unit) == ("monitor", 7_000, "hour")
        assert other.code == "monitor-2"
        editor.do_delete_addon(s, owner, b.space_id, "polotentse")
        again = editor.do_set_addon(s, owner, b.space_id, AddonInput(name="полотенце", unit="booking",
                                                                     price_minor=6_000))
        assert (again.id, again.code, again.active, again.price_minor) == (towel.id, "polotentse", True, 6_000)


def test_new_promo_codes_are_unique_whatever_the_case_and_percentages_stop_at_100():
    b = make_bookable()
    code = f"Spring{uuid.uuid4().hex[:6]}"
    with _work() as (s, fx):
        promo = editor.do_create_promo(s, _user(s, b.owner_id), b.space_id,
                                       PromoInput(code=code, kind="fixed", value=50_000))
        assert (promo.code, promo.currency, promo.space_id) == (code.upper(), "RUB", b.space_id)
    with pytest.raises(Conflict) as refused, _work() as (s, fx):
        editor.do_create_promo(s, _user(s, b.owner_id), b.space_id, PromoInput(code=code.lower(), kind="percent",
                                                                               value=5))
    assert (refused.value.field, refused.value.message) == ("code", "Такой код уже есть: придумайте другой")
    with pytest.raises(InvalidInput) as refused, _work() as (s, fx):
        editor.do_create_promo(s, _user(s, b.owner_id), b.space_id, PromoInput(code=code + "X", kind="percent",
                                                                               value=101))
    assert (refused.value.field, refused.value.message) == ("value", "Скидка в процентах — от 1 до 100")
    with pytest.raises(PermissionDenied), _work() as (s, fx):  # the whole network: staff only
        editor.do_create_promo(s, _user(s, b.owner_id), None, PromoInput(code=code + "Y", kind="percent", value=5))
