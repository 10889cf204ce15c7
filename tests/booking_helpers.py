"""Builders for booking tests: an owner's published space with bookable resources."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from coworking_app.services.accounts.signup import do_register
from coworking_app.services.catalog.spaces import do_refresh_space_summary
from coworking_app.uow import run_use_case
from models import Addon, PromoCode, Resource, Tariff
from tests.factories import make_space
from tests.uow_helpers import transaction

API = "/api/v1"
# Booking tests publish spaces in Moscow; conftest hides them after each module so that
# search tests counting Moscow spaces see only the fixture world.
BOOKING_TEST_MARK = "booking test space"
ALL_WEEK = {d: {"open": "08:00", "close": "22:00"}
            for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@dataclass
class Bookable:
    space_id: int
    desk_id: int  # hot desk, 10 seats: 300 RUB/h, 2000 RUB/day
    room_id: int  # meeting room for 6, booked whole: 1500 RUB/h
    owner_id: int
    owner_email: str
    timezone: str


def new_user(role: str = "renter") -> tuple[int, str, str]:
    email = f"b-{uuid.uuid4().hex[:10]}@example.com"
    user = run_use_case(lambda s, fx: do_register(s, fx, email=email, password="Correct-Horse-42",
                                                  full_name="Иван Арендатор", role=role))
    return user.id, email, "Correct-Horse-42"


def make_bookable(*, timezone: str = "Europe/Moscow", policy: str = "flexible",
                  instant_book: bool = True, vat_rate_bp: int = 0, vat_included: bool = True,
                  hours: dict | None = None, name: str = "Коворкинг «Тест»",
                  desk_capacity: int = 10) -> Bookable:
    owner_id, owner_email, _ = new_user("owner")
    with transaction() as s:
        space = make_space(s, name=name, lat=55.7558, lon=37.6173, resources=[],
                           description=BOOKING_TEST_MARK)
        space.owner_id = owner_id
        space.timezone = timezone
        space.opening_hours = hours or ALL_WEEK
        space.cancellation_policy = policy
        space.instant_book = instant_book
        space.vat_rate_bp = vat_rate_bp
        space.prices_include_vat = vat_included
        desk = Resource(space_id=space.id, kind="hot_desk", name="Открытое пространство",
                        capacity=desk_capacity, min_minutes=60, max_minutes=60 * 24 * 62)
        room = Resource(space_id=space.id, kind="meeting_room", name="Переговорная «Альфа»",
                        capacity=6, min_minutes=30, max_minutes=8 * 60)
        s.add_all([desk, room])
        s.flush()
        s.add_all([
            Tariff(resource_id=desk.id, unit="hour", price_minor=30000),
            Tariff(resource_id=desk.id, unit="day", price_minor=200000),
            Tariff(resource_id=desk.id, unit="month", price_minor=3000000),
            Tariff(resource_id=room.id, unit="hour", price_minor=150000),
            Addon(space_id=space.id, code="monitor", name="Монитор", unit="booking",
                  price_minor=50000, resource_kinds=["hot_desk", "fixed_desk"]),
            Addon(space_id=space.id, code="coffee", name="Кофе-пакет", unit="seat", price_minor=20000),
            Addon(space_id=space.id, code="parking", name="Парковка", unit="hour", price_minor=10000),
        ])
        s.flush()
        do_refresh_space_summary(s, space)
        return Bookable(space.id, desk.id, room.id, owner_id, owner_email, timezone)


def make_promo(code: str, **fields) -> int:
    with transaction() as s:
        promo = PromoCode(code=code, kind=fields.pop("kind", "percent"), value=fields.pop("value", 10),
                          **fields)
        s.add(promo)
        s.flush()
        return promo.id


def local(day: date, hour: int, minute: int = 0, tz: str = "Europe/Moscow") -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(tz))


def tomorrow(tz: str = "Europe/Moscow") -> date:
    return datetime.now(ZoneInfo(tz)).date() + timedelta(days=1)


def in_days(n: int, tz: str = "Europe/Moscow") -> date:
    return datetime.now(ZoneInfo(tz)).date() + timedelta(days=n)


def body(resource_id: int, start: datetime, end: datetime, seats: int | None = 1, **extra) -> dict:
    return {"resource_id": resource_id, "start": start.isoformat(), "end": end.isoformat(),
            "seats": seats, **extra}


def pay_test(client, auth, booking_id: int, outcome: str = "succeeded") -> dict:
    r = client.post(f"{API}/bookings/{booking_id}/pay", headers=auth)
    assert r.status_code == 200, r.text
    payment = r.json()
    r = client.post(f"{API}/payments/test/{payment['payment_id']}/complete", headers=auth,
                    json={"outcome": outcome})
    assert r.status_code == 200, r.text
    return r.json()


