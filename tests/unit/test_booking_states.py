"""The booking state machine (services/booking/booking_states.py) and the booking policy that
answers what a person may do to a booking now (services/bookings.can / actions_for /
check_can), without a database: Booking and User rows built in memory. The policy's
consistency table and the seats refusal: tests/services/booking/test_booking_policy.py."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from coworking_app.services.booking import bookings
from coworking_app.services.booking.booking_states import (
    ACTIONS,
    TERMINAL,
    TRANSITIONS,
    allowed_actions,
    booking_refusal,
    check_transition,
)
from coworking_app.services.common.errors import Conflict
from models import Booking, BookingStatus, User

S = BookingStatus
NOW = datetime(2030, 3, 1, 12, 0, tzinfo=timezone.utc)
RENTER, HOST = 1, 2
PEOPLE = {
    "renter": User(id=RENTER, email="renter@example.com", full_name="Гость", roles=["renter"], password_hash="!"),
    "owner": User(id=HOST, email="owner@example.com", full_name="Хозяин", roles=["owner"], password_hash="!"),
    "admin": User(id=3, email="admin@example.com", full_name="Админ", roles=["admin"], password_hash="!"),
    "stranger": User(id=4, email="other@example.com", full_name="Другой", roles=["renter", "owner"],
                     password_hash="!"),
}


def _booking(status: str = S.confirmed, *, starts_in: timedelta = timedelta(days=2),
             hours: int = 3, paid: int = 0, expires_in: timedelta | None = None,
             balance_due: int = 0, pending_change: dict | None = None) -> Booking:
    start = NOW + starts_in
    return Booking(id=7, user_id=RENTER, space_id=3, resource_id=4, start_at=start,
                   end_at=start + timedelta(hours=hours), seats=1, status=str(status),
                   expires_at=None if expires_in is None else NOW + expires_in,
                   timezone="Europe/Moscow", total_minor=60_000, currency="RUB", policy="flexible",
                   paid_minor=paid, balance_due_minor=balance_due, pending_change=pending_change)


def _offered(booking: Booking, who: str, host_id: int | None = HOST, **kwargs) -> list[str]:
    return bookings.actions_for(PEOPLE[who], booking, now=NOW, host_id=host_id, **kwargs)


def _refusal(booking: Booking, who: str, action: str, host_id: int | None = HOST, **kwargs) -> str | None:
    return bookings.refusal(PEOPLE[who], booking, action, now=NOW, host_id=host_id, **kwargs)


# --- the transitions -------------------------------------------------------------------------------


def test_every_status_is_reachable_from_a_new_hold():
    reached, frontier = {S.pending_payment}, [S.pending_payment]
    while frontier:
        status = frontier.pop()
        for action in allowed_actions(status):
            target = TRANSITIONS[(status, action)]
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(S)


def test_final_statuses_allow_nothing_and_live_ones_can_always_end():
    for status in TERMINAL:
        assert allowed_actions(status) == set()
    for status in set(S) - TERMINAL:
        assert allowed_actions(status) & {"cancel", "expire", "complete"}, status


@pytest.mark.parametrize(("status", "action", "target"), [
    (S.pending_payment, "pay", "paid"), (S.pending_payment, "expire", "expired"),
    (S.paid, "accept", "confirmed"), (S.paid, "confirm", "confirmed"), (S.paid, "reject", "cancelled"),
    (S.confirmed, "complete", "completed"), (S.confirmed, "no_show", "no_show"),
    (S.confirmed, "modify", "paid"), (S.confirmed, "cancel", "cancelled"),
])
def test_a_listed_move_gives_its_status(status, action, target):
    assert check_transition(_booking(status), action) == target


@pytest.mark.parametrize(("status", "action", "message"), [
    (S.cancelled, "pay", "нельзя выполнить «оплатить» для брони в статусе «отменено»"),
    (S.pending_payment, "accept", "нельзя выполнить «принять» для брони в статусе «ожидает оплаты»"),
    (S.completed, "cancel", "нельзя выполнить «отменить» для брони в статусе «завершено»"),
    (S.expired, "pay", "нельзя выполнить «оплатить» для брони в статусе «истекло»"),
    (S.paid, "complete", "нельзя выполнить «завершить» для брони в статусе «оплачено, ждёт подтверждения»"),
])
def test_an_unlisted_move_is_a_conflict_in_words(status, action, message):
    with pytest.raises(Conflict) as refused:
        check_transition(_booking(status), action)
    assert (refused.value.field, refused.value.message) == ("status", message)


# --- what a screen offers, and what a write accepts ------------------------------------------------


def test_a_fresh_hold_offers_the_renter_to_pay_change_cancel_and_write():
    hold = _booking(S.pending_payment, expires_in=timedelta(minutes=15))
    assert _offered(hold, "renter") == ["pay", "modify", "cancel", "message"]
    assert _offered(hold, "owner") == ["cancel", "message"]
    assert _offered(hold, "admin") == ["cancel"]


def test_a_lapsed_hold_offers_nothing_but_the_conversation():
    lapsed = _booking(S.pending_payment, expires_in=timedelta(0))
    assert _offered(lapsed, "renter") == ["message"]
    assert _refusal(lapsed, "renter", "pay") == "время на оплату истекло, забронируйте заново"


def test_a_paid_booking_waits_for_the_owner():
    paid = _booking(S.paid, paid=60_000)
    assert _offered(paid, "owner") == ["cancel", "accept", "reject", "receipt", "message"]
    assert _offered(paid, "renter") == ["modify", "cancel", "receipt", "message"]
    assert _refusal(paid, "renter", "accept") == "решение по брони принимает владелец пространства"
    started = _booking(S.paid, paid=60_000, starts_in=timedelta(hours=-1))
    assert _refusal(started, "owner", "accept") == (
        "бронь уже началась без подтверждения: она отклоняется автоматически с полным возвратом")


def test_a_dearer_change_waiting_for_payment_can_be_paid():
    changed = _booking(S.confirmed, paid=60_000, balance_due=20_000, pending_change={"seats": 2})
    assert "pay" in _offered(changed, "renter")
    assert "pay" not in _offered(_booking(S.confirmed, paid=60_000), "renter")


def test_during_and_after_the_stay():
    during = _booking(S.confirmed, paid=60_000, starts_in=timedelta(hours=-1))
    assert _offered(during, "owner") == ["cancel", "no_show", "receipt", "message"]
    assert _refusal(during, "renter", "modify") == "бронь уже началась, изменить её нельзя"
    ended = _booking(S.confirmed, paid=60_000, starts_in=timedelta(hours=-5))
    # The owner cannot cancel an ended stay (which would refund it in full).
    assert _offered(ended, "owner") == ["no_show", "receipt", "message"]
    assert _refusal(ended, "owner", "cancel") == "бронь уже закончилась, отменить её нельзя"


def test_a_review_within_thirty_days_of_a_completed_stay():
    recent = _booking(S.completed, paid=60_000, starts_in=-timedelta(days=29, hours=3))
    assert _offered(recent, "renter") == ["receipt", "review", "message"]
    assert _refusal(recent, "owner", "review") == "отзыв может оставить только гость этой брони"
    old = _booking(S.completed, paid=60_000, starts_in=-timedelta(days=31))
    assert _refusal(old, "renter", "review") == "отзыв можно оставить в течение 30 дней после визита"
    assert _offered(recent, "renter", reviewed=True) == ["receipt", "message"]  # one review per booking
    assert _refusal(recent, "renter", "review", reviewed=True) == "отзыв на эту бронь уже оставлен"


def test_nobody_else_may_do_anything_and_an_ownerless_booking_has_nobody_to_write_to():
    booking = _booking(S.confirmed, paid=60_000)
    for action in ACTIONS:  # another owner, or nobody signed in: the booking does not exist for them
        assert _refusal(booking, "stranger", action) == "Бронь не найдена"
        assert bookings.refusal(None, booking, action, now=NOW, host_id=HOST) == "Бронь не найдена"
        assert booking_refusal(booking, "other", action, now=NOW, host_id=HOST) == "Бронь не найдена"
    assert _offered(booking, "owner", host_id=PEOPLE["stranger"].id) == []  # not the owner of this space
    assert "message" not in _offered(booking, "renter", host_id=None)
    assert "message" not in _offered(booking, "renter", host_id=RENTER)
    assert _refusal(booking, "admin", "message") == "переписка по брони — между гостем и владельцем"
    assert _refusal(booking, "renter", "fly") == "такого действия с бронью нет"



def test_a_refused_write_is_a_conflict_naming_the_status():
    ended = _booking(S.confirmed, paid=60_000, starts_in=timedelta(hours=-5))
    with pytest.raises(Conflict) as refused:
        bookings.check_can(PEOPLE["owner"], ended, "cancel", now=NOW, host_id=HOST)
    assert (refused.value.field, refused.value.message) == ("status", "бронь уже закончилась, отменить её нельзя")
    bookings.check_can(PEOPLE["owner"], ended, "no_show", now=NOW, host_id=HOST)  # allowed: no error
