"""services/booking/pricing.py with the database: add-ons (what each costs, how it reads, which are
refused) and promo codes (applied after the add-ons, before VAT; which bookings use them
up). The arithmetic without a database: tests/unit/test_pricing.py."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import update

from tests.uow_helpers import transaction
from coworking_app.services.booking import bookings
from coworking_app.services.booking.availability import check_interval
from coworking_app.services.common.errors import InvalidInput
from coworking_app.services.booking.pricing import AddonChoice, promo_uses, quote
from models import Addon, Booking, PromoCode, User
from tests.admin_helpers import insert_booking
from tests.booking_auth import signed_in
from tests.booking_helpers import in_days, local, make_bookable, make_promo

DESK_TARIFFS = {"hour": 30_000, "day": 200_000, "month": 3_000_000}  # tests/booking_helpers.make_bookable
ROOM_TARIFFS = {"hour": 150_000}


@pytest.fixture(scope="module")
def place(world):
    return make_bookable()


@pytest.fixture(scope="module")
def renter_id(world):
    return signed_in()[0]


def _quote(session, resource_id: int, hours: tuple[int, int], *, seats: int = 1,
           addons: list[dict] | None = None, promo: str | None = None, user_id: int | None = None):
    # As the booking path reads them: plain copies, with the space's closures.
    space, resource, _tariffs = bookings._bookable(session, resource_id, lock=False)
    day = in_days(4)
    interval = check_interval(space, resource, local(day, hours[0]), local(day, hours[1]))
    tariffs = ROOM_TARIFFS if resource.kind == "meeting_room" else DESK_TARIFFS
    user = session.get(User, user_id) if user_id else None
    return quote(session, space=space, resource=resource, tariffs=tariffs, user=user, interval=interval,
                 seats=seats, addons=[AddonChoice(**a) for a in addons or []], promo_code=promo,
                 now=datetime.now(timezone.utc))


def _lines(breakdown) -> list[tuple[str, int]]:
    return [(line.label, line.amount) for line in breakdown.lines]


def test_each_addon_is_priced_by_its_unit_and_named_with_its_factors(place):
    with transaction() as s:
        breakdown, rows, promo = _quote(s, place.desk_id, (10, 13), seats=2, addons=[
            {"code": "monitor", "quantity": 2}, {"code": "coffee"}, {"code": "parking"}])
    assert _lines(breakdown) == [
        ("Открытое пространство: 3 ч × 300 × 2 места", 180_000),
        ("Монитор: 500 × 2 шт.", 100_000),  # per booking, times the quantity
        ("Кофе-пакет: 200 × 2 места", 40_000),  # per seat
        ("Парковка: 100 × 3 ч", 30_000),  # per hour
    ]
    assert (breakdown.subtotal, breakdown.addons, breakdown.total) == (180_000, 170_000, 350_000)
    # What the booking stores: each add-on as bought, so a later price change keeps it.
    assert rows[0] == {"code": "monitor", "name": "Монитор", "unit": "booking", "quantity": 2,
                       "price_minor": 50_000, "amount": 100_000}
    assert promo is None


def test_an_hourly_addon_counts_half_hours(place):
    with transaction() as s:
        breakdown, _rows, _promo = _quote(s, place.room_id, (10, 11), addons=[{"code": "parking"}])
        half = _quote(s, place.desk_id, (10, 12), addons=[{"code": "parking", "quantity": 3}])[0]
    assert ("Парковка: 100 × 1 ч", 10_000) in _lines(breakdown)
    assert ("Парковка: 100 × 3 шт. × 2 ч", 60_000) in _lines(half)


@pytest.mark.parametrize(("resource", "addons", "message"), [
    ("room", [{"code": "monitor"}], "«Монитор» недоступна для «Переговорная «Альфа»»"),
    ("desk", [{"code": "sauna"}], "нет такой опции: sauna"),
    ("desk", [{"code": "coffee"}, {"code": "coffee", "quantity": 2}], "каждая опция указывается один раз"),
    ("desk", [{"code": "coffee", "quantity": 11}], "«Кофе-пакет»: не больше 10"),
])
def test_addons_that_do_not_apply_are_refused_by_name(place, resource, addons, message):
    with pytest.raises(InvalidInput) as refused, transaction() as s:
        _quote(s, place.room_id if resource == "room" else place.desk_id, (10, 12), addons=addons)
    assert (refused.value.field, refused.value.message) == ("addons", message)


def test_a_switched_off_addon_or_another_spaces_is_unknown(place):
    other = make_bookable()
    with transaction() as s:
        s.add(Addon(space_id=other.space_id, code="locker", name="Шкафчик", unit="booking", price_minor=10_000))
        s.add(Addon(space_id=place.space_id, code="old", name="Старое", unit="booking", price_minor=1, active=False))
    for code in ("locker", "old"):
        with pytest.raises(InvalidInput) as refused, transaction() as s:
            _quote(s, place.desk_id, (10, 12), addons=[{"code": code}])
        assert refused.value.message == f"нет такой опции: {code}"


def test_a_promo_discounts_the_addons_too_and_vat_comes_after(renter_id):
    taxed = make_bookable(vat_rate_bp=2000, vat_included=False)
    code = f"ALL{uuid.uuid4().hex[:6].upper()}"
    make_promo(code, kind="percent", value=10, max_uses_per_user=None)
    with transaction() as s:
        breakdown, _rows, promo = _quote(s, taxed.desk_id, (10, 12), addons=[{"code": "monitor"}],
                                         promo=code.lower(), user_id=renter_id)
    assert promo.code == code
    assert _lines(breakdown) == [("Открытое пространство: 2 ч × 300", 60_000), ("Монитор", 50_000),
                                 (f"Промокод {code}", -11_000), ("НДС 20 %", 19_800)]
    assert (breakdown.discount, breakdown.vat, breakdown.total) == (11_000, 19_800, 118_800)


def test_a_fixed_promo_never_makes_a_price_negative(place, renter_id):
    code = f"BIG{uuid.uuid4().hex[:6].upper()}"
    make_promo(code, kind="fixed", value=10_000_000, max_uses_per_user=None)
    with transaction() as s:
        breakdown = _quote(s, place.desk_id, (10, 11), promo=code, user_id=renter_id)[0]
    assert (breakdown.discount, breakdown.total) == (30_000, 0)


def test_a_promo_needs_a_signed_in_renter(place):
    code = f"ANON{uuid.uuid4().hex[:6].upper()}"
    make_promo(code)
    with pytest.raises(InvalidInput) as refused, transaction() as s:
        _quote(s, place.desk_id, (10, 11), promo=code)
    assert (refused.value.field, refused.value.message) == ("promo_code", "войдите, чтобы применить промокод")


def test_held_paid_and_used_bookings_count_against_a_promo_expired_and_cancelled_do_not(place):
    code = f"USE{uuid.uuid4().hex[:6].upper()}"
    promo_id = make_promo(code, max_uses_per_user=None)
    user_id = signed_in()[0]
    day = in_days(6)
    statuses = ["pending_payment", "paid", "confirmed", "completed", "no_show", "expired", "cancelled"]
    ids = [insert_booking(place, user_id, start=local(day, 9 + n), end=local(day, 10 + n), status=status).id
           for n, status in enumerate(statuses)]
    with transaction() as s:
        s.execute(update(Booking).where(Booking.id.in_(ids)).values(promo_id=promo_id))
        promo = s.get(PromoCode, promo_id)
        assert promo_uses(s, promo) == 5
        assert promo_uses(s, promo, user_id=user_id) == 5
        assert promo_uses(s, promo, user_id=signed_in()[0]) == 0
        assert promo_uses(s, promo, exclude_booking_id=ids[0]) == 4  # a change does not count itself
