"""What a cancellation gives back (services/booking/bookings.py: the cancellation policies, their
terms in words, and the refund of a booking cancelled now), without a database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from coworking_app.services.booking.bookings import cancellation_refund, policy_terms, refund_percent
from models import Booking, BookingStatus

S = BookingStatus
NOW = datetime(2030, 3, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("policy", "hours_before", "percent"), [
    ("flexible", 72, 100), ("flexible", 24, 100), ("flexible", 23.99, 50), ("flexible", 2, 50),
    ("flexible", 1.99, 0), ("flexible", -1, 0),
    ("moderate", 100, 100), ("moderate", 72, 100), ("moderate", 71.99, 50), ("moderate", 24, 50),
    ("moderate", 23.99, 0),
    ("strict", 200, 50), ("strict", 48, 50), ("strict", 47.99, 0),
])
def test_the_refund_tier_depends_on_the_hours_left_before_the_start(policy, hours_before, percent):
    assert refund_percent(policy, NOW + timedelta(hours=hours_before), NOW) == percent


def test_the_terms_read_as_the_schedule_before_booking():
    assert policy_terms("flexible") == ["не позже чем за 24 ч до начала — возврат 100 %",
                                        "не позже чем за 2 ч до начала — возврат 50 %",
                                        "позже — без возврата"]
    assert policy_terms("strict") == ["не позже чем за 48 ч до начала — возврат 50 %", "позже — без возврата"]


def _booking(status: str, *, paid: int, refunded: int = 0, starts_in: timedelta,
             policy: str = "flexible") -> Booking:
    return Booking(id=1, user_id=1, space_id=1, resource_id=1, start_at=NOW + starts_in,
                   end_at=NOW + starts_in + timedelta(hours=2), seats=1, status=str(status),
                   timezone="Europe/Moscow", total_minor=paid, currency="RUB", policy=policy,
                   paid_minor=paid, refunded_minor=refunded)


def test_a_renter_gets_the_policys_tier_of_what_is_left():
    booking = _booking(S.confirmed, paid=60_000, starts_in=timedelta(hours=10))
    assert cancellation_refund(booking, "renter", NOW) == (30_000, 50)
    early = _booking(S.confirmed, paid=60_000, starts_in=timedelta(days=2))
    assert cancellation_refund(early, "renter", NOW) == (60_000, 100)
    late = _booking(S.confirmed, paid=60_000, starts_in=timedelta(hours=1))
    assert cancellation_refund(late, "renter", NOW) == (0, 0)


def test_the_owner_or_an_admin_cancelling_refunds_everything_left():
    booking = _booking(S.confirmed, paid=60_000, refunded=10_000, starts_in=timedelta(hours=1), policy="strict")
    assert cancellation_refund(booking, "owner", NOW) == (50_000, 100)
    assert cancellation_refund(booking, "admin", NOW) == (50_000, 100)
    assert cancellation_refund(booking, "renter", NOW) == (0, 0)


def test_a_booking_the_owner_has_not_confirmed_yet_is_refunded_in_full():
    booking = _booking(S.paid, paid=60_000, starts_in=timedelta(hours=1), policy="strict")
    assert cancellation_refund(booking, "renter", NOW) == (60_000, 100)


def test_a_part_already_refunded_is_not_refunded_twice():
    # A shrunk booking got 20 000 back; cancelling at 50 % refunds half of the 40 000 left.
    booking = _booking(S.confirmed, paid=60_000, refunded=20_000, starts_in=timedelta(hours=10))
    assert cancellation_refund(booking, "renter", NOW) == (20_000, 50)
    nothing_left = _booking(S.confirmed, paid=60_000, refunded=60_000, starts_in=timedelta(days=3))
    assert cancellation_refund(nothing_left, "owner", NOW) == (0, 0)
    unpaid = _booking(S.pending_payment, paid=0, starts_in=timedelta(days=3))
    assert cancellation_refund(unpaid, "renter", NOW) == (0, 0)


def test_half_a_kopeck_is_rounded_up_for_the_renter():
    booking = _booking(S.confirmed, paid=333, starts_in=timedelta(hours=10))
    assert cancellation_refund(booking, "renter", NOW) == (167, 50)
