"""Owners cannot broadcast: an offer comes only from the owner of a published space, goes
only to that space's own past guests, and at most once per space a week (counted in the
database, so a restart forgets nothing). Before, a new owner with an unmoderated draft sent
offers with any text to every opted-in person in the city, as often as they liked."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from coworking_app.services.messaging import offers
from coworking_app.services.common.errors import RateLimited
from coworking_app.uow import run_use_case
from models import Space, User
from tests.admin_helpers import insert_booking
from tests.booking_auth import headers_for, signed_in
from tests.booking_helpers import API, in_days, local, make_bookable
from tests.uow_helpers import transaction

OFFER = {"title": "Неделя тишины", "text": "Тихая зона со скидкой 15 % до конца месяца."}


def _opted_in() -> tuple[int, dict]:
    user_id, auth = signed_in()
    with transaction() as s:
        s.get(User, user_id).notification_prefs = {"offers": True}
    return user_id, auth


def test_a_draft_space_sends_no_offers(client, world):
    b = make_bookable()
    with transaction() as s:
        s.get(Space, b.space_id).status = "draft"
    _opted_in()
    r = client.post(f"{API}/offers", headers=headers_for(b.owner_id), json={**OFFER, "space_id": b.space_id})
    assert r.status_code == 409, r.text
    assert r.json()["detail"][0]["msg"] == "Предложения рассылают только по опубликованным пространствам"
    # Without a space, an owner sends nothing at all (city and network offers are admins').
    r = client.post(f"{API}/offers", headers=headers_for(b.owner_id), json={**OFFER, "city": "moscow"})
    assert r.status_code == 403


def test_one_offer_per_space_a_week_to_its_past_guests_only(client, world):
    b = make_bookable()
    guest_id, guest = _opted_in()
    stranger_id, stranger = _opted_in()
    day = in_days(-3)
    insert_booking(b, guest_id, start=local(day, 10), end=local(day, 12), status="completed")
    owner = headers_for(b.owner_id)
    with transaction() as s:
        reach = offers.offer_reach(s, s.get(User, b.owner_id), b.space_id)
    assert (reach.recipients, reach.next_at) == (1, None)

    r = client.post(f"{API}/offers", headers=owner, json={**OFFER, "space_id": b.space_id})
    assert r.status_code == 201 and r.json()["recipients"] == 1

    def offers_of(auth) -> int:
        items = client.get(f"{API}/notifications", headers=auth).json()["items"]
        return sum(1 for i in items if i["type"] == "special_offer")

    assert (offers_of(guest), offers_of(stranger)) == (1, 0)

    again = client.post(f"{API}/offers", headers=owner, json={**OFFER, "title": "Ещё одно", "space_id": b.space_id})
    assert again.status_code == 429, again.text
    assert 6 * 86400 < int(again.headers["Retry-After"]) <= 7 * 86400
    with pytest.raises(RateLimited) as refused:
        run_use_case(lambda s, fx: offers.do_create_offer(s, fx, s.get(User, b.owner_id),
                                                          offers.OfferInput(**OFFER, space_id=b.space_id)))
    assert refused.value.message.startswith("По этому пространству уже было предложение на этой неделе: "
                                            "следующее можно отправить с ")
    with transaction() as s:
        assert offers.offer_reach(s, s.get(User, b.owner_id), b.space_id).next_at is not None

    # The limit is the offer table's: a week later (moved back in the database) it may go.
    with transaction() as s:
        s.execute(text("UPDATE offer SET created_at = created_at - interval '7 days 1 minute' "
                       "WHERE space_id = :s"), {"s": b.space_id})
    r = client.post(f"{API}/offers", headers=owner, json={**OFFER, "title": "Через неделю", "space_id": b.space_id})
    assert r.status_code == 201, r.text
    assert (offers_of(guest), offers_of(stranger)) == (2, 0)


def test_admins_still_write_to_a_city(client, world):
    _opted_in()
    _admin_id, admin = signed_in("admin")
    r = client.post(f"{API}/offers", headers=admin, json={**OFFER, "city": "moscow"})
    assert r.status_code == 201 and r.json()["recipients"] >= 1
