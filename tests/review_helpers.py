"""Builders shared by the review and messaging tests: bookings inserted directly in a given
status (a finished stay without running the clock), and small API shortcuts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from models import Booking
from tests.booking_helpers import API, Bookable
from tests.uow_helpers import transaction

GOOD_TEXT = "Тихо, быстрый интернет, удобные кресла. Вернусь ещё."


def insert_booking(b: Bookable, user_id: int, *, status: str = "completed", ended_days_ago: float = 1,
                   hours: int = 3) -> int:
    """A booking of the space's hot desk that ended `ended_days_ago` days ago (negative:
    in the future) with `status`, written straight to the database."""
    end = datetime.now(timezone.utc) - timedelta(days=ended_days_ago)
    with transaction() as s:
        booking = Booking(user_id=user_id, space_id=b.space_id, resource_id=b.desk_id,
                          start_at=end - timedelta(hours=hours), end_at=end, seats=1, status=status,
                          timezone="Europe/Moscow", price={}, total_minor=30000 * hours,
                          currency="RUB", policy="flexible")
        s.add(booking)
        s.flush()
        return booking.id


def review_body(rating: object = 5, text_: object = GOOD_TEXT, subratings: object = None) -> dict:
    body = {"rating": rating, "text": text_}
    if subratings is not None:
        body["subratings"] = subratings
    return body


def create_review(client, auth: dict, booking_id: int, **kwargs) -> dict:
    r = client.post(f"{API}/bookings/{booking_id}/review", headers=auth, json=review_body(**kwargs))
    assert r.status_code == 201, r.text
    return r.json()


def approve(client, moderator: dict, review_id: int) -> dict:
    r = client.post(f"{API}/admin/moderation/reviews/{review_id}/approve", headers=moderator)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved"
    return r.json()


def public_reviews(client, space_id: int, **params) -> dict:
    r = client.get(f"{API}/spaces/{space_id}/reviews", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def error_fields(response) -> list[str]:
    """The field names a 422/409 answer points at ("subratings.wifi", "text", ...)."""
    detail = response.json()["detail"]
    assert isinstance(detail, list), detail
    return [".".join(str(p) for p in item["loc"][1:]) for item in detail]


def sql(statement: str, **params) -> None:
    with transaction() as s:
        s.execute(text(statement), params)
