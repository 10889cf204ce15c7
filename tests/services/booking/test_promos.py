"""Promo codes after creation (services/booking/promos.py) as an owner sees them: only the codes of
their own spaces, how often each was used, whether it works now; ending and deleting."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from tests.uow_helpers import transaction
from coworking_app.services.booking import promos
from coworking_app.services.common.errors import Conflict, NotFound, PermissionDenied
from coworking_app.services.catalog.owner_spaces import PromoInput, do_create_promo
from models import Booking, User
from tests.admin_helpers import insert_booking
from tests.booking_auth import signed_in
from tests.booking_helpers import in_days, local, make_bookable


@pytest.fixture(scope="module")
def spaces(world):
    """Two owners' spaces."""
    return make_bookable(name="Коворкинг «Первый»"), make_bookable(name="Коворкинг «Второй»")


def _code(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:6].upper()}"


def _create(owner_id: int, space_id: int | None, code: str, **fields) -> int:
    with transaction() as s:
        promo = do_create_promo(s, s.get(User, owner_id), space_id,
                                PromoInput(code=code, kind="percent", value=10, **fields))
        return promo.id


def _listed(user_id: int, **query) -> dict[str, promos.PromoView]:
    with transaction() as s:
        return {p.code: p for p in promos.list_promos(s, s.get(User, user_id), **query)}


def test_an_owner_lists_only_the_codes_of_their_own_spaces(spaces):
    first, second = spaces
    mine, theirs = _code("MINE"), _code("THEIRS")
    _create(first.owner_id, first.space_id, mine.lower())
    _create(second.owner_id, second.space_id, theirs)
    network = _code("NET")
    _create(signed_in("admin")[0], None, network)

    listed = _listed(first.owner_id)
    assert mine in listed and theirs not in listed and network not in listed  # codes are kept upper case
    view = listed[mine]
    assert (view.space_name, view.kind, view.value, view.currency, view.uses, view.active) == (
        "Коворкинг «Первый»", "percent", 10, "RUB", 0, True)
    staff = _listed(signed_in("operator")[0])
    assert {mine, theirs, network} <= set(staff)
    assert staff[network].space_name is None


def test_a_search_matches_the_code_or_the_space_name(spaces):
    first, _second = spaces
    code = _code("FINDME")
    _create(first.owner_id, first.space_id, code)
    assert code in _listed(first.owner_id, q=code[:8].lower())
    assert code in _listed(first.owner_id, q="первый")
    assert code not in _listed(first.owner_id, q="Второй")


def test_uses_count_every_booking_but_the_expired_holds(spaces):
    first, _second = spaces
    code = _code("USED")
    promo_id = _create(first.owner_id, first.space_id, code, max_uses_per_user=None)
    renter = signed_in()[0]
    day = in_days(8)
    rows = [insert_booking(first, renter, start=local(day, 9 + n), end=local(day, 10 + n), status=status)
            for n, status in enumerate(["confirmed", "cancelled", "expired"])]
    with transaction() as s:
        s.execute(update(Booking).where(Booking.id.in_([r.id for r in rows])).values(promo_id=promo_id))
    assert _listed(first.owner_id)[code].uses == 2
    # A used code is never deleted (bookings still show it): it can only be ended.
    with pytest.raises(Conflict) as refused, transaction() as s:
        promos.do_delete_promo(s, s.get(User, first.owner_id), promo_id)
    assert refused.value.message == "Кодом уже воспользовались (броней: 3): его можно только завершить"


def test_ending_stops_a_code_once_and_deleting_an_unused_one_removes_it(spaces):
    first, _second = spaces
    code = _code("END")
    promo_id = _create(first.owner_id, first.space_id, code)
    with transaction() as s:
        ended = promos.do_end_promo(s, s.get(User, first.owner_id), promo_id)
        assert ended.valid_until <= datetime.now(timezone.utc)
    assert _listed(first.owner_id)[code].active is False
    with pytest.raises(Conflict) as refused, transaction() as s:
        promos.do_end_promo(s, s.get(User, first.owner_id), promo_id)
    assert (refused.value.field, refused.value.message) == ("valid_until", "Этот промокод уже завершён")
    with transaction() as s:
        promos.do_delete_promo(s, s.get(User, first.owner_id), promo_id)
    assert code not in _listed(first.owner_id)


def test_a_code_that_starts_later_is_listed_as_not_active_yet(spaces):
    first, _second = spaces
    code = _code("LATER")
    _create(first.owner_id, first.space_id, code, valid_from=datetime.now(timezone.utc) + timedelta(days=3))
    assert _listed(first.owner_id)[code].active is False


def test_another_owners_code_does_not_exist_for_them_and_renters_have_none(spaces):
    first, second = spaces
    code = _code("PRIVATE")
    promo_id = _create(first.owner_id, first.space_id, code)
    for action in (promos.do_end_promo, promos.do_delete_promo):
        with pytest.raises(NotFound) as refused, transaction() as s:
            action(s, s.get(User, second.owner_id), promo_id)
        assert refused.value.message == "Промокод не найден"
    with pytest.raises(PermissionDenied), transaction() as s:
        promos.list_promos(s, s.get(User, signed_in()[0]))
    assert _listed(first.owner_id)[code].active is True  # untouched
