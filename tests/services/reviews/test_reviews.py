"""Reviews through the API: who may write one, validation, the automatic pre-check,
moderation, editing, the owner's reply, abuse reports, the public list; and a property
test that the stored rating aggregate always equals a recount of the approved reviews."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from coworking_app.services.reviews import reviews as svc
from coworking_app.services.common.errors import Conflict
from coworking_app.uow import UnitOfWork
from models import SUBRATINGS, Review, Space, SpaceRating, User
from tests.booking_auth import headers_for, signed_in
from tests.booking_helpers import API, make_bookable
from tests.review_helpers import (
    GOOD_TEXT,
    approve,
    create_review,
    error_fields,
    insert_booking,
    public_reviews,
    review_body,
    sql,
)
from tests.uow_helpers import transaction

MISSING = 2**31 - 1  # a valid id that no row has


@pytest.fixture(scope="module")
def place(world):
    """One published space with an owner, shared by the API tests of this module."""
    return make_bookable(name="Коворкинг «Отзывы»")


@pytest.fixture(scope="module")
def moderator(world):
    return signed_in("operator")[1]


def _queue(client, moderator: dict, status: str = "pending") -> tuple[dict[int, dict], int]:
    """The whole moderation view (every page) by review id, and its total."""
    found, page = {}, 1
    while True:
        r = client.get(f"{API}/admin/moderation/reviews", headers=moderator,
                       params={"status": status, "page": page, "page_size": 100})
        assert r.status_code == 200, r.text
        data = r.json()
        found.update({item["id"]: item for item in data["items"]})
        if page * 100 >= data["total"]:
            return found, data["total"]
        page += 1


def _space_card(client, space_id: int) -> dict:
    r = client.get(f"{API}/spaces/{space_id}")
    assert r.status_code == 200, r.text
    return r.json()


def _search_card(client, space_id: int) -> dict:
    """The space's card in search results (booking test spaces all stand on one point)."""
    r = client.get(f"{API}/spaces", params={"lat": 55.7558, "lon": 37.6173, "radius_km": 0.1,
                                           "sort": "rating", "page_size": 100})
    assert r.status_code == 200, r.text
    [card] = [c for c in r.json()["items"] if c["id"] == space_id]
    return card


def _notifications(client, auth: dict) -> list[dict]:
    r = client.get(f"{API}/notifications", headers=auth)
    assert r.status_code == 200, r.text
    return r.json()["items"]


# --- who may write a review --------------------------------------------------------------------


def test_own_completed_booking_within_30_days_gets_a_pending_review(client, place):
    renter, auth = signed_in()
    booking = insert_booking(place, renter, ended_days_ago=29)
    r = client.post(f"{API}/bookings/{booking}/review", headers=auth, json=review_body(4))
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["booking_id"] == booking and created["status"] == "pending" and created["flags"] == []
    # Pending reviews are neither shown nor counted.
    assert created["id"] not in [i["id"] for i in public_reviews(client, place.space_id)["items"]]

    again = client.post(f"{API}/bookings/{booking}/review", headers=auth, json=review_body(5))
    assert again.status_code == 409 and error_fields(again) == ["booking_id"]


def test_reviews_are_refused_for_bookings_that_do_not_qualify(client, place):
    renter, auth = signed_in()
    stranger, stranger_auth = signed_in()
    completed = insert_booking(place, renter)
    confirmed = insert_booking(place, renter, status="confirmed")
    cancelled = insert_booking(place, renter, status="cancelled")
    too_old = insert_booking(place, renter, ended_days_ago=31)

    def post(booking_id, headers=auth):
        return client.post(f"{API}/bookings/{booking_id}/review", headers=headers, json=review_body(5))

    assert post(completed, stranger_auth).status_code == 403  # someone else's booking
    assert post(confirmed).status_code == 403
    assert post(cancelled).status_code == 403
    assert post(too_old).status_code == 403
    assert post(MISSING).status_code == 404
    assert client.post(f"{API}/bookings/{completed}/review", json=review_body(5)).status_code == 401
    assert client.post(f"{API}/bookings/{completed}/review", json=review_body(5),
                       headers={"Authorization": "Bearer nonsense"}).status_code == 401
    # None of those refusals used the booking up: its guest can still review it.
    assert post(completed).status_code == 201


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize("body, field", [
    (review_body(0), "rating"),
    (review_body(6), "rating"),
    (review_body("5"), "rating"),
    (review_body(True), "rating"),
    (review_body(4.5), "rating"),
    ({"text": GOOD_TEXT}, "rating"),
    (review_body(5, subratings={"parking": 5}), "subratings.parking"),
    (review_body(5, subratings={"wifi": 6}), "subratings.wifi"),
    (review_body(5, subratings={"staff": "5"}), "subratings.staff"),
    (review_body(5, subratings=[5]), "subratings"),
    (review_body(5, "x" * 9), "text"),
    (review_body(5, "   " + "x" * 9 + "   "), "text"),
    (review_body(5, "x" * 3001), "text"),
    (review_body(5, None), "text"),
    (review_body(5, 12345678901), "text"),
])
def test_invalid_reviews_name_the_field_and_write_nothing(client, place, moderator, body, field):
    renter, auth = signed_in()
    booking = insert_booking(place, renter)
    _, pending_before = _queue(client, moderator)
    r = client.post(f"{API}/bookings/{booking}/review", headers=auth, json=body)
    assert r.status_code == 422, r.text
    assert error_fields(r) == [field]
    _, pending_after = _queue(client, moderator)
    assert pending_after == pending_before
    with transaction() as s:
        assert s.scalar(text("SELECT count(*) FROM review WHERE booking_id = :b"), {"b": booking}) == 0


def test_text_length_limits_are_inclusive(client, place):
    renter, auth = signed_in()
    shortest = create_review(client, auth, insert_booking(place, renter), text_="x" * 10)
    longest = create_review(client, auth, insert_booking(place, renter), text_="y" * 3000,
                            subratings={s: 1 for s in SUBRATINGS})
    assert shortest["status"] == longest["status"] == "pending"


# --- the automatic pre-check -------------------------------------------------------------------


@pytest.mark.parametrize("review_text, flags", [
    ("Подробности на www.example.com, заходите", ["link"]),
    ("Мой обзор: https://example.org/review?id=1", ["link"]),
    ("Звоните мне +7 999 123-45-67, расскажу больше", ["phone"]),
    ("What the fuck, the wifi kept dropping all day", ["profanity"]),
    ("Сука, опять шумно. Пишите www.spam.ru или 8 (999) 123 45 67", ["link", "phone", "profanity"]),
    ("Был тут 2 раза, оценка 10 из 10, кофе за 150 руб.", []),
])
def test_precheck_flags_are_returned_and_shown_to_the_moderator(client, place, moderator, review_text, flags):
    renter, auth = signed_in()
    created = create_review(client, auth, insert_booking(place, renter), text_=review_text)
    assert created["flags"] == flags and created["status"] == "pending"
    queue, _ = _queue(client, moderator)
    assert queue[created["id"]]["flags"] == flags
    assert queue[created["id"]]["text"] == review_text


# --- moderation ----------------------------------------------------------------------------------


def test_only_staff_see_the_moderation_queue(client, place, moderator):
    renter, auth = signed_in()
    review = create_review(client, auth, insert_booking(place, renter))
    owner_auth = headers_for(place.owner_id)
    for headers in (auth, owner_auth):
        assert client.get(f"{API}/admin/moderation/reviews", headers=headers).status_code == 403
        assert client.post(f"{API}/admin/moderation/reviews/{review['id']}/approve",
                           headers=headers).status_code == 403
        assert client.post(f"{API}/admin/moderation/reviews/{review['id']}/reject", headers=headers,
                           json={"reason": "не нравится"}).status_code == 403
    assert client.get(f"{API}/admin/moderation/reviews").status_code == 401
    assert client.post(f"{API}/admin/moderation/reviews/{MISSING}/approve", headers=moderator).status_code == 404
    bad = client.get(f"{API}/admin/moderation/reviews", headers=moderator, params={"status": "all"})
    assert bad.status_code == 422 and error_fields(bad) == ["status"]
    # The refusals changed nothing.
    queue, _ = _queue(client, moderator)
    assert queue[review["id"]]["status"] == "pending"


def test_approval_publishes_and_counts_rejection_hides_and_the_author_is_told(client, moderator):
    b = make_bookable(name="Коворкинг «Модерация»")
    before = _space_card(client, b.space_id)  # also fills the page cache
    assert (before["rating"], before["reviews_count"]) == (0, 0)
    empty = public_reviews(client, b.space_id)
    assert empty["total"] == 0 and empty["rating"]["count"] == 0 and empty["items"] == []

    alice, alice_auth = signed_in()
    bob, bob_auth = signed_in()
    carol, carol_auth = signed_in()
    a = create_review(client, alice_auth, insert_booking(b, alice), rating=5,
                      subratings={"wifi": 5, "quietness": 4})
    c = create_review(client, bob_auth, insert_booking(b, bob), rating=2, subratings={"wifi": 2})
    x = create_review(client, carol_auth, insert_booking(b, carol), rating=1)
    approve(client, moderator, a["id"])
    approve(client, moderator, c["id"])

    page = public_reviews(client, b.space_id)
    assert [i["id"] for i in page["items"]] == [c["id"], a["id"]]  # newest first
    assert page["total"] == 2
    assert page["rating"] == {"average": 3.5, "count": 2,
                              "distribution": {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1},
                              "subratings": {"wifi": 3.5, "quietness": 4.0}}
    shown = page["items"][1]
    assert shown["author"] == "Иван А." and shown["rating"] == 5 and shown["text"] == GOOD_TEXT
    assert shown["subratings"] == {"wifi": 5, "quietness": 4} and shown["resource_kind"] == "hot_desk"
    assert shown["reply"] is None and shown["edited"] is False
    card = _space_card(client, b.space_id)
    assert (card["rating"], card["reviews_count"]) == (3.5, 2)
    found = _search_card(client, b.space_id)
    assert (found["rating"], found["reviews_count"]) == (3.5, 2)

    # Rejecting needs a reason.
    for body in ({}, {"reason": None}, {"reason": "  "}, {"reason": 42}):
        r = client.post(f"{API}/admin/moderation/reviews/{x['id']}/reject", headers=moderator, json=body)
        assert r.status_code == 422 and error_fields(r) == ["reason"], r.text
    queue, _ = _queue(client, moderator)
    assert queue[x["id"]]["status"] == "pending"

    r = client.post(f"{API}/admin/moderation/reviews/{x['id']}/reject", headers=moderator,
                    json={"reason": "Оскорбления в тексте"})
    assert r.status_code == 200 and r.json() == {"id": x["id"], "status": "rejected",
                                                 "reject_reason": "Оскорбления в тексте"}
    # An approved review rejected later leaves the page and the rating.
    r = client.post(f"{API}/admin/moderation/reviews/{a['id']}/reject", headers=moderator,
                    json={"reason": "Реклама другого места"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    page = public_reviews(client, b.space_id)
    assert [i["id"] for i in page["items"]] == [c["id"]] and page["total"] == 1
    assert page["rating"]["average"] == 2.0 and page["rating"]["count"] == 1
    assert page["rating"]["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 0}
    assert page["rating"]["subratings"] == {"wifi": 2.0}
    card = _space_card(client, b.space_id)
    assert (card["rating"], card["reviews_count"]) == (2.0, 1)
    found = _search_card(client, b.space_id)
    assert (found["rating"], found["reviews_count"]) == (2.0, 1)
    rejected, _ = _queue(client, moderator, "rejected")
    assert rejected[x["id"]]["reject_reason"] == "Оскорбления в тексте"

    # The authors hear about it in the cabinet.
    [told] = [n for n in _notifications(client, carol_auth) if n["type"] == "review_rejected"]
    assert "Модерация" in told["title"] and "Оскорбления в тексте" in told["body"]
    bob_types = [n["type"] for n in _notifications(client, bob_auth)]
    assert bob_types.count("review_approved") == 1
    [approved] = [n for n in _notifications(client, bob_auth) if n["type"] == "review_approved"]
    assert "Модерация" in approved["title"]
    alice_types = [n["type"] for n in _notifications(client, alice_auth)]
    assert alice_types.count("review_approved") == 1 and alice_types.count("review_rejected") == 1
    owner_types = [n["type"] for n in _notifications(client, headers_for(b.owner_id))]
    assert owner_types.count("owner_new_review") == 2


# --- editing --------------------------------------------------------------------------------------


def test_the_author_edits_within_48_hours_and_the_review_is_moderated_again(client, moderator):
    b = make_bookable(name="Коворкинг «Правки»")
    renter, auth = signed_in()
    other, other_auth = signed_in()
    keep = create_review(client, other_auth, insert_booking(b, other), rating=3)
    review = create_review(client, auth, insert_booking(b, renter), rating=5, subratings={"wifi": 5})
    approve(client, moderator, keep["id"])
    approve(client, moderator, review["id"])
    _space_card(client, b.space_id)  # cached with two reviews
    assert public_reviews(client, b.space_id)["rating"]["count"] == 2

    url = f"{API}/reviews/{review['id']}"
    assert client.patch(url, headers=other_auth, json=review_body(1)).status_code == 404
    assert client.patch(f"{API}/reviews/{MISSING}", headers=auth, json=review_body(1)).status_code == 404
    assert client.patch(url, json=review_body(1)).status_code == 401
    bad = client.patch(url, headers=auth, json=review_body(1, "коротко"))
    assert bad.status_code == 422 and error_fields(bad) == ["text"]
    assert public_reviews(client, b.space_id)["rating"]["count"] == 2  # the refusals changed nothing

    r = client.patch(url, headers=auth, json=review_body(2, "Стало хуже: сломался кондиционер, душно."))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "pending" and r.json()["id"] == review["id"]
    page = public_reviews(client, b.space_id)
    assert [i["id"] for i in page["items"]] == [keep["id"]]
    assert page["rating"] == {"average": 3.0, "count": 1,
                              "distribution": {"1": 0, "2": 0, "3": 1, "4": 0, "5": 0}, "subratings": {}}
    card = _space_card(client, b.space_id)
    assert (card["rating"], card["reviews_count"]) == (3.0, 1)
    queue, _ = _queue(client, moderator)
    assert queue[review["id"]]["edited"] is True and queue[review["id"]]["rating"] == 2
    assert queue[review["id"]]["subratings"] == {}  # dropped by the edit

    approve(client, moderator, review["id"])
    page = public_reviews(client, b.space_id)
    assert page["rating"]["average"] == 2.5 and page["items"][0]["edited"] is True
    assert page["items"][0]["text"] == "Стало хуже: сломался кондиционер, душно."

    # After 48 hours the text is final.
    sql("UPDATE review SET created_at = now() - interval '49 hours' WHERE id = :id", id=review["id"])
    late = client.patch(url, headers=auth, json=review_body(5))
    assert late.status_code == 403
    assert public_reviews(client, b.space_id)["rating"]["average"] == 2.5


# --- the owner's reply -----------------------------------------------------------------------------


def test_the_owner_replies_once_to_an_approved_review(client, moderator):
    b = make_bookable(name="Коворкинг «Ответы»")
    owner_auth = headers_for(b.owner_id)
    renter, auth = signed_in()
    _stranger, stranger_auth = signed_in()
    review = create_review(client, auth, insert_booking(b, renter), rating=4)
    url = f"{API}/reviews/{review['id']}/reply"

    assert client.post(url, headers=owner_auth, json={"text": "Спасибо!"}).status_code == 404  # pending
    approve(client, moderator, review["id"])
    assert client.post(url, headers=stranger_auth, json={"text": "Спасибо!"}).status_code == 403
    assert client.post(url, headers=auth, json={"text": "Спасибо!"}).status_code == 403  # the author
    assert client.post(url, json={"text": "Спасибо!"}).status_code == 401
    empty = client.post(url, headers=owner_auth, json={"text": " "})
    assert empty.status_code == 422 and error_fields(empty) == ["text"]

    r = client.post(url, headers=owner_auth, json={"text": "Спасибо, ждём снова!"})
    assert r.status_code == 201, r.text
    assert r.json()["reply"] == "Спасибо, ждём снова!" and r.json()["reply_at"]
    second = client.post(url, headers=owner_auth, json={"text": "И ещё раз спасибо"})
    assert second.status_code == 409
    [shown] = public_reviews(client, b.space_id)["items"]
    assert shown["reply"] == "Спасибо, ждём снова!" and shown["reply_at"]
    assert [n["type"] for n in _notifications(client, auth)].count("review_replied") == 1


# --- abuse reports -----------------------------------------------------------------------------------


def test_reports_reach_the_moderator_once_per_person_and_close_with_a_decision(client, moderator):
    b = make_bookable(name="Коворкинг «Жалобы»")
    author, auth = signed_in()
    _reader, reader_auth = signed_in()
    _second, second_auth = signed_in()
    review = create_review(client, auth, insert_booking(b, author), rating=1)
    url = f"{API}/reviews/{review['id']}/report"

    assert client.post(url, headers=reader_auth, json={"reason": "Спам"}).status_code == 404  # pending
    approve(client, moderator, review["id"])
    assert client.post(url, json={"reason": "Спам"}).status_code == 401
    no_reason = client.post(url, headers=reader_auth, json={})
    assert no_reason.status_code == 422 and error_fields(no_reason) == ["reason"]
    assert client.post(url, headers=auth, json={"reason": "Передумал"}).status_code == 403  # own review

    r = client.post(url, headers=reader_auth, json={"reason": "Неправда про персонал"})
    assert r.status_code == 201 and r.json()["review_id"] == review["id"]
    again = client.post(url, headers=reader_auth, json={"reason": "Ещё раз"})
    assert again.status_code == 409

    reported, _ = _queue(client, moderator, "reported")
    item = reported[review["id"]]
    assert item["open_reports"] == 1 and item["report_reasons"] == ["Неправда про персонал"]
    assert item["status"] == "approved"

    # Keeping the review closes the report; it stays published.
    r = client.post(f"{API}/admin/moderation/reviews/{review['id']}/dismiss-reports", headers=moderator)
    assert r.status_code == 200 and r.json() == {"id": review["id"], "closed": 1}
    assert review["id"] not in _queue(client, moderator, "reported")[0]
    assert [i["id"] for i in public_reviews(client, b.space_id)["items"]] == [review["id"]]

    # A new report (another person), then approving again also closes it.
    assert client.post(url, headers=second_auth, json={"reason": "Оскорбительно"}).status_code == 201
    assert _queue(client, moderator, "reported")[0][review["id"]]["open_reports"] == 1
    approve(client, moderator, review["id"])
    assert review["id"] not in _queue(client, moderator, "reported")[0]

    # And a third one, closed by rejecting: the review leaves the page.
    _third, third_auth = signed_in()
    assert client.post(url, headers=third_auth, json={"reason": "Ложь"}).status_code == 201
    r = client.post(f"{API}/admin/moderation/reviews/{review['id']}/reject", headers=moderator,
                    json={"reason": "Подтвердилась жалоба"})
    assert r.status_code == 200
    assert review["id"] not in _queue(client, moderator, "reported")[0]
    page = public_reviews(client, b.space_id)
    assert page["items"] == [] and page["rating"]["count"] == 0
    # A rejected review cannot be reported.
    _fourth, fourth_auth = signed_in()
    assert client.post(url, headers=fourth_auth, json={"reason": "Ложь"}).status_code == 404


# --- the public list -----------------------------------------------------------------------------------


def test_public_list_pages_newest_first_and_shows_only_approved(client, moderator):
    b = make_bookable(name="Коворкинг «Страницы»")
    ids = []
    for n in range(12):
        renter, auth = signed_in()
        ids.append(create_review(client, auth, insert_booking(b, renter), rating=n % 5 + 1,
                                 text_=f"Отзыв номер {n}: всё хорошо")["id"])
    for review_id in reversed(ids[:11]):  # the approval order does not matter
        approve(client, moderator, review_id)
    # ids[11] stays pending.
    newest_first = list(reversed(ids[:11]))

    first = public_reviews(client, b.space_id, page=1, page_size=5)
    assert (first["total"], first["page"], first["page_size"]) == (11, 1, 5)
    assert [i["id"] for i in first["items"]] == newest_first[:5]
    second = public_reviews(client, b.space_id, page=2, page_size=5)
    assert [i["id"] for i in second["items"]] == newest_first[5:10]
    third = public_reviews(client, b.space_id, page=3, page_size=5)
    assert [i["id"] for i in third["items"]] == newest_first[10:] and third["total"] == 11
    assert public_reviews(client, b.space_id, page=4, page_size=5)["items"] == []
    default = public_reviews(client, b.space_id)
    assert default["page_size"] == 10 and len(default["items"]) == 10
    assert default["rating"]["count"] == 11
    assert sum(default["rating"]["distribution"].values()) == 11

    assert client.get(f"{API}/spaces/{MISSING}/reviews").status_code == 404
    assert client.get(f"{API}/spaces/{b.space_id}/reviews", params={"page_size": 51}).status_code == 422
    assert client.get(f"{API}/spaces/{b.space_id}/reviews", params={"page": 0}).status_code == 422
    sql("UPDATE space SET status = 'hidden' WHERE id = :id", id=b.space_id)
    assert client.get(f"{API}/spaces/{b.space_id}/reviews").status_code == 404


# --- the aggregate equals a recount ----------------------------------------------------------------------

N_BOOKINGS = 3
# Each operation: (kind, booking index, rating, sub-ratings). A decision or an edit aimed at a
# booking without a review first creates that review (with the rating given), so that
# nearly every step changes something.
_OPS = st.lists(st.tuples(
    st.sampled_from(["create", "approve", "reject", "edit"]),
    st.integers(0, N_BOOKINGS - 1),
    st.integers(1, 5),
    st.dictionaries(st.sampled_from(SUBRATINGS), st.integers(1, 5), max_size=len(SUBRATINGS)),
), min_size=1, max_size=16)


@pytest.fixture(scope="module")
def rated(world):
    """A space for the property test, two renters and a moderator (ids)."""
    b = make_bookable(name="Коворкинг «Пересчёт»")
    return b, [signed_in()[0] for _ in range(2)], signed_in("operator")[0]


def _recount(s, space_id: int) -> dict:
    rows = s.execute(text(
        "SELECT rating, wifi, quietness, comfort, location, staff FROM review "
        "WHERE space_id = :s AND status = 'approved'"), {"s": space_id}).all()
    ratings = [r[0] for r in rows]
    subs = {}
    for i, name in enumerate(SUBRATINGS, start=1):
        given_ = [r[i] for r in rows if r[i] is not None]
        if given_:
            subs[name] = (sum(given_) / len(given_), len(given_))
    return {"count": len(ratings), "average": sum(ratings) / len(ratings) if ratings else 0.0,
            "distribution": {str(k): ratings.count(k) for k in range(1, 6)}, "subratings": subs}


def _check_against_recount(space_id: int, model: dict[int, dict], review_ids: dict[int, int]) -> dict:
    with transaction() as s:
        # The reviews are what the operations made them...
        for index, expected in model.items():
            review = s.get(Review, review_ids[index])
            assert (review.status, review.rating) == (expected["status"], expected["rating"])
            assert {n: getattr(review, n) for n in SUBRATINGS if getattr(review, n) is not None} == expected["subs"]
        # ...and the stored aggregate is exactly their recount.
        expected = _recount(s, space_id)
        aggregate = s.get(SpaceRating, space_id)
        space = s.get(Space, space_id)
        if aggregate is None:
            assert expected["count"] == 0
        else:
            assert aggregate.count == expected["count"]
            assert aggregate.average == pytest.approx(expected["average"], abs=1e-4)
            assert aggregate.distribution == expected["distribution"]
            assert set(aggregate.subratings) == set(expected["subratings"])
            for name, (average, count) in expected["subratings"].items():
                assert aggregate.subratings[name]["count"] == count
                assert aggregate.subratings[name]["average"] == pytest.approx(average, abs=1e-4)
        assert space.reviews_count == expected["count"]
        assert space.rating == pytest.approx(round(expected["average"], 2), abs=1e-9)
        return expected


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=_OPS)
@example(ops=[("approve", 0, 5, {"wifi": 4}), ("approve", 1, 2, {}), ("reject", 0, 1, {})])
@example(ops=[("approve", 0, 5, {"wifi": 4}), ("approve", 1, 2, {"staff": 1}), ("edit", 1, 4, {"wifi": 1})])
@example(ops=[("approve", 2, 3, {}), ("approve", 2, 3, {}), ("create", 2, 1, {}), ("reject", 2, 1, {}),
              ("approve", 2, 1, {})])
def test_rating_aggregate_equals_a_recount_of_approved_reviews(client, rated, ops):
    b, renters, moderator_id = rated
    bookings = [insert_booking(b, renters[i % 2], ended_days_ago=1 + i) for i in range(N_BOOKINGS)]
    model: dict[int, dict] = {}  # booking index -> what the review should now be
    review_ids: dict[int, int] = {}
    expected = _check_against_recount(b.space_id, model, review_ids)

    for kind, index, rating, subs in ops:
        with UnitOfWork() as uow:
            s, fx = uow.session, uow.effects
            moderator = s.get(User, moderator_id)
            author = s.get(User, renters[index % 2])
            if kind == "create" and index in model:
                with pytest.raises(Conflict):
                    svc.do_create_review(s, user=author, booking_id=bookings[index], rating=rating,
                                         subratings=subs, text_=GOOD_TEXT)
                continue
            if index not in model:
                review = svc.do_create_review(s, user=author, booking_id=bookings[index], rating=rating,
                                              subratings=subs, text_=GOOD_TEXT)
                review_ids[index] = review.id
                model[index] = {"rating": rating, "subs": dict(subs), "status": "pending"}
            if kind == "edit":
                svc.do_edit_review(s, fx, user=author, review_id=review_ids[index], rating=rating,
                                   subratings=subs, text_=GOOD_TEXT + " (правка)")
                model[index].update(rating=rating, subs=dict(subs), status="pending")
            elif kind in ("approve", "reject"):
                svc.do_moderate_review(s, fx, moderator=moderator, review_id=review_ids[index],
                                       approve=kind == "approve", reason="Не по правилам")
                model[index]["status"] = "approved" if kind == "approve" else "rejected"
        # After every committed change, not only at the end: a later change must not be
        # what repairs a stale aggregate.
        expected = _check_against_recount(b.space_id, model, review_ids)

    summary = public_reviews(client, b.space_id)["rating"]
    assert summary["count"] == expected["count"]
    assert summary["distribution"] == expected["distribution"]
    assert summary["average"] == pytest.approx(round(expected["average"], 2), abs=1e-9)
