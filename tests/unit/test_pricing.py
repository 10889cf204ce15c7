"""The price a renter is shown before paying (services/pricing.quote without add-ons or a
promo code, which need the database: tests/services/booking/test_pricing.py): which tariff
applies, seats, whole rooms, half hours, VAT, and the lines that name every factor."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from coworking_app.services.booking.availability import check_interval
from coworking_app.services.booking.bookings import BookableResource, BookableSpace
from coworking_app.services.common.errors import InvalidInput
from coworking_app.services.booking.pricing import div_round, quote

NOW = datetime(2030, 3, 1, 6, 0, tzinfo=timezone.utc)  # 09:00 in Moscow
MSK = timezone(timedelta(hours=3))
DAY = {"open": "08:00", "close": "22:00"}


def _space(*, vat_rate_bp: int = 0, prices_include_vat: bool = True, currency: str = "RUB") -> BookableSpace:
    return BookableSpace(id=1, owner_id=2, name="Точка", address="Москва, ул. Ленина, 1",
                         timezone="Europe/Moscow", opening_hours={d: DAY for d in
                                                                  ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
                         status="published", deleted_at=None, currency=currency, vat_rate_bp=vat_rate_bp,
                         prices_include_vat=prices_include_vat, cancellation_policy="flexible",
                         instant_book=True)


def _resource(kind: str = "hot_desk", name: str = "Open space", capacity: int = 10) -> BookableResource:
    return BookableResource(id=3, space_id=1, kind=kind, name=name, capacity=capacity,
                            min_minutes=30, max_minutes=60 * 24 * 90)


def _quote(tariffs: dict[str, int], start: datetime, end: datetime, *, seats: int = 1,
           space: BookableSpace | None = None, resource: BookableResource | None = None):
    space, resource = space or _space(), resource or _resource()
    interval = check_interval(space, resource, start, end, now=NOW)
    breakdown, addon_rows, promo = quote(None, space=space, resource=resource, tariffs=tariffs, user=None,
                                         interval=interval, seats=seats, addons=[], promo_code=None, now=NOW)
    assert addon_rows == [] and promo is None
    return breakdown


def _lines(breakdown) -> list[tuple[str, int]]:
    return [(line.label, line.amount) for line in breakdown.lines]


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2030, 3, day, hour, minute, tzinfo=MSK)


def test_hours_times_seats_with_every_factor_in_the_line():
    b = _quote({"hour": 25_000}, _at(2, 10), _at(2, 13), seats=2)
    assert _lines(b) == [("Open space: 3 ч × 250 × 2 места", 150_000)]
    assert (b.subtotal, b.addons, b.discount, b.vat, b.total) == (150_000, 0, 0, 0, 150_000)
    assert (b.tariff_unit, b.tariff_units, b.unit_price, b.seats_charged) == ("hour", 6, 25_000, 2)


def test_half_hours_round_half_up_in_kopecks():
    # 1.5 h at 333,33 ₽ = 499,995 ₽: the customer is shown 500,00 ₽, never a fraction.
    b = _quote({"hour": 33_333}, _at(2, 10), _at(2, 11, 30))
    assert _lines(b) == [("Open space: 1,5 ч × 333,33", 50_000)]
    assert b.total == 50_000


def test_a_long_day_costs_no_more_than_the_day_tariff():
    b = _quote({"hour": 50_000, "day": 300_000}, _at(2, 9), _at(2, 18))
    assert (b.tariff_unit, b.total) == ("day", 300_000)
    assert _lines(b) == [("Open space: 1 дн. × 3 000", 300_000)]
    # A short stay stays hourly.
    assert _quote({"hour": 50_000, "day": 300_000}, _at(2, 9), _at(2, 11)).total == 100_000


def test_whole_days_take_the_cheaper_of_days_and_months():
    start, end = _at(2, 0), _at(2, 0) + timedelta(days=40)
    b = _quote({"hour": 10_000, "day": 300_000, "month": 5_000_000}, start, end)
    assert _lines(b) == [("Open space: 2 мес. × 50 000", 10_000_000)]  # 40 days = 2 started months
    b = _quote({"day": 300_000, "month": 5_000_000}, _at(2, 0), _at(5, 0))
    assert _lines(b) == [("Open space: 3 дн. × 3 000", 900_000)]


def test_a_meeting_room_is_charged_once_whatever_the_seats():
    room = _resource("meeting_room", "Переговорная «Ока»", capacity=8)
    b = _quote({"hour": 120_000}, _at(2, 10), _at(2, 12), seats=8, resource=room)
    assert _lines(b) == [("Переговорная «Ока»: 2 ч × 1 200", 240_000)]
    assert b.seats_charged == 1 and b.total == 240_000


def test_vat_added_on_top_is_a_line_of_its_own():
    b = _quote({"hour": 50_000}, _at(2, 10), _at(2, 12), space=_space(vat_rate_bp=2000, prices_include_vat=False))
    assert _lines(b) == [("Open space: 2 ч × 500", 100_000), ("НДС 20 %", 20_000)]
    assert (b.vat, b.total, b.vat_included) == (20_000, 120_000, False)


def test_vat_inside_the_price_changes_no_total():
    b = _quote({"hour": 60_000}, _at(2, 10), _at(2, 12), space=_space(vat_rate_bp=2000, prices_include_vat=True))
    assert _lines(b) == [("Open space: 2 ч × 600", 120_000)]
    assert (b.vat, b.total, b.vat_included) == (20_000, 120_000, True)
    # 5 % inside 1 000 ₽ is 47,62 ₽ (952,38 ₽ before tax), rounded to the kopeck.
    odd = _quote({"hour": 50_000}, _at(2, 10), _at(2, 12), space=_space(vat_rate_bp=500, prices_include_vat=True))
    assert (odd.total, odd.vat) == (100_000, 4_762)


def test_the_currency_of_the_space_is_the_currency_of_the_price():
    assert _quote({"hour": 1_000}, _at(2, 10), _at(2, 11), space=_space(currency="KZT")).currency == "KZT"


def test_no_tariff_for_the_stay_names_the_end():
    with pytest.raises(InvalidInput) as refused:
        _quote({}, _at(2, 10), _at(2, 12))
    assert (refused.value.field, refused.value.message) == ("end", "для такой длительности у ресурса нет тарифа")
    with pytest.raises(InvalidInput) as refused:
        _quote({"hour": 10_000}, _at(2, 0), _at(4, 0))
    assert (refused.value.field, refused.value.message) == ("end", "у ресурса нет дневного или месячного тарифа")


@pytest.mark.parametrize(("numerator", "denominator", "rounded"), [
    (5, 2, 3), (3, 2, 2), (1, 3, 0), (2, 3, 1), (99_999, 2, 50_000), (0, 7, 0), (14, 7, 2),
])
def test_division_rounds_half_up_in_integers(numerator, denominator, rounded):
    assert div_round(numerator, denominator) == rounded
