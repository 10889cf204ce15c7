"""Days an owner closed (services/catalog/owner_spaces.py closures, the rule in
services/booking/availability.py): no booking, quote, change, calendar day, day slot or
free-time search result on them; bookings already there are listed for the owner, who
cancels each with a full refund (bookings.do_cancel_for_closure, the owner's cancellation).
The REST contract under /owner/spaces/{id}/closures. Real PostgreSQL and Redis."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from coworking_app.services.booking import availability as av
from coworking_app.services.booking import bookings
from coworking_app.services.catalog import owner_editor
from coworking_app.services.catalog import owner_spaces as editor
from coworking_app.services.catalog.owner_spaces import ClosureInput
from coworking_app.services.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from coworking_app.uow import run_use_case
from models import Booking, Resource, Space, SpaceClosure, User
from tests.booking_auth import headers_for, signed_in
from tests.booking_helpers import API, body, in_days, local, make_bookable, pay_test
from tests.uow_helpers import transaction


def _close(b, first: date, last: date | None = None, reason: str = "Ремонт зала") -> int:
    return run_use_case(lambda s, fx: editor.do_add_closure(
        s, s.get(User, b.owner_id), b.space_id, ClosureInput(first_day=first, last_day=last, reason=reason))).id


def _refused(response, field: str) -> str:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    assert detail["loc"][-1] == field, detail
    return detail["msg"]


def _free_days(b, first: date, last: date) -> list[date]:
    with transaction() as s:
        return av.month_free_days(s, s.get(Space, b.space_id), s.get(Resource, b.desk_id), first, last)


def _slots(b, day: date) -> list:
    with transaction() as s:
        return av.day_slots(s, s.get(Space, b.space_id), [s.get(Resource, b.desk_id)], day)[0].slots


# --- nothing can be booked on a closed day ----------------------------------------------------------


def test_a_closed_day_has_no_slots_no_calendar_day_and_takes_no_booking(client):
    b = make_bookable()
    _renter, auth = signed_in()
    closed, open_day = in_days(6), in_days(7)
    assert _slots(b, closed) and closed in _free_days(b, in_days(5), in_days(8))
    _close(b, closed, reason="Санитарный день")

    assert _slots(b, closed) == [] and _slots(b, open_day)
    assert _free_days(b, in_days(5), in_days(8)) == [in_days(5), open_day, in_days(8)]
    r = client.get(f"{API}/spaces/{b.space_id}/availability", params={"date": closed.isoformat()})
    assert r.status_code == 200 and all(res["slots"] == [] for res in r.json()["resources"])

    message = f"пространство закрыто {closed:%d.%m.%Y}: Санитарный день"
    r = client.post(f"{API}/bookings/quote", headers=auth, json=body(b.desk_id, local(closed, 10), local(closed, 12)))
    assert _refused(r, "start") == message
    r = client.post(f"{API}/bookings", headers=auth, json=body(b.room_id, local(closed, 10), local(closed, 11)))
    assert _refused(r, "start") == message
    # Whole days across it too; the days around it are free.
    r = client.post(f"{API}/bookings", headers=auth, json=body(
        b.desk_id, local(in_days(5), 0), local(in_days(8), 0)))
    assert _refused(r, "start") == message
    with transaction() as s:
        assert s.scalar(select(func.count()).where(Booking.space_id == b.space_id)) == 0
    r = client.post(f"{API}/bookings", headers=auth, json=body(b.desk_id, local(open_day, 10), local(open_day, 12)))
    assert r.status_code == 201, r.text
    # Moving that booking onto the closed day is refused, and it stays where it was.
    booking_id = r.json()["id"]
    r = client.patch(f"{API}/bookings/{booking_id}", headers=auth, json={
        "start": local(closed, 10).isoformat(), "end": local(closed, 12).isoformat()})
    assert _refused(r, "start") == message
    with transaction() as s:
        assert s.get(Booking, booking_id).start_at == local(open_day, 10)


def test_closed_days_are_the_space_s_own_local_days():
    """01:00 in Novosibirsk on a closed day is still the evening before in Moscow: closed."""
    round_the_clock = {d: {"open": "00:00", "close": "00:00"} for d in ("mon", "tue", "wed", "thu", "fri", "sat",
                                                                        "sun")}
    b = make_bookable(timezone="Asia/Novosibirsk", hours=round_the_clock)
    closed = in_days(9, "Asia/Novosibirsk")
    _close(b, closed)
    with transaction() as s, pytest.raises(InvalidInput) as refused:
        bookings.quote_booking(s, None, bookings.BookingRequest(
            resource_id=b.desk_id, start=local(closed, 1, tz="Asia/Novosibirsk"),
            end=local(closed, 2, tz="Asia/Novosibirsk")))
    assert "пространство закрыто" in refused.value.message
    with transaction() as s:  # 23:00-24:00 the day before is open, and so is the next midnight on
        for start, end in ((local(closed - timedelta(days=1), 23, tz="Asia/Novosibirsk"),
                            local(closed, 0, tz="Asia/Novosibirsk")),
                           (local(closed + timedelta(days=1), 0, tz="Asia/Novosibirsk"),
                            local(closed + timedelta(days=1), 1, tz="Asia/Novosibirsk"))):
            bookings.quote_booking(s, None, bookings.BookingRequest(resource_id=b.desk_id, start=start, end=end))


def test_search_for_free_time_leaves_out_a_space_closed_then(client):
    token = f"zk{uuid.uuid4().hex[:8]}"
    b = make_bookable(name=f"Коворкинг {token}")
    closed = in_days(4)

    def found(start, end) -> bool:
        r = client.get(f"{API}/spaces", params={"q": token, "start": start.isoformat(), "end": end.isoformat()})
        assert r.status_code == 200, r.text
        return b.space_id in [item["id"] for item in r.json()["items"]]

    assert found(local(closed, 10), local(closed, 12))
    _close(b, closed, closed + timedelta(days=1), reason="Праздники")
    assert not found(local(closed, 10), local(closed, 12))
    assert not found(local(closed - timedelta(days=1), 0), local(closed + timedelta(days=3), 0))  # days across
    assert found(local(closed + timedelta(days=2), 10), local(closed + timedelta(days=2), 12))
    assert found(local(closed - timedelta(days=1), 0), local(closed, 0))  # the day before, up to midnight


# --- bookings already on the days ---------------------------------------------------------------------


def test_bookings_on_newly_closed_days_are_listed_and_cancelled_with_a_full_refund(client):
    b = make_bookable(policy="strict")  # a renter would get 50 % back at most: the owner refunds all
    day = in_days(3)
    _paid_renter, paid_auth = signed_in()
    _hold_renter, hold_auth = signed_in()
    paid = client.post(f"{API}/bookings", headers=paid_auth, json=body(b.desk_id, local(day, 10), local(day, 12))).json()
    pay_test(client, paid_auth, paid["id"])
    hold = client.post(f"{API}/bookings", headers=hold_auth, json=body(b.room_id, local(day, 9), local(day, 10))).json()
    gone = client.post(f"{API}/bookings", headers=hold_auth, json=body(b.desk_id, local(day, 14), local(day, 15))).json()
    assert client.post(f"{API}/bookings/{gone['id']}/cancel", headers=hold_auth).status_code == 200
    other_day = client.post(f"{API}/bookings", headers=hold_auth,
                            json=body(b.desk_id, local(in_days(4), 10), local(in_days(4), 11))).json()

    owner = headers_for(b.owner_id)
    r = client.post(f"{API}/owner/spaces/{b.space_id}/closures", headers=owner,
                    json={"first_day": day.isoformat(), "reason": "  Прорвало   трубу "})
    assert r.status_code == 201, r.text
    closure = r.json()
    assert (closure["period"], closure["reason"]) == (f"{day:%d.%m.%Y}", "Прорвало трубу")
    listed = {v["id"]: v for v in closure["bookings"]}
    assert set(listed) == {paid["id"], hold["id"]}  # not the cancelled one, not the other day's
    assert listed[paid["id"]]["refund_if_cancelled_now"] == listed[paid["id"]]["paid"] > 0
    assert "cancel" in listed[paid["id"]]["actions"] and listed[paid["id"]]["renter_name"]
    assert [c["id"] for c in client.get(f"{API}/owner/spaces/{b.space_id}/closures", headers=owner).json()] == \
        [closure["id"]]

    cancel = f"{API}/owner/spaces/{b.space_id}/closures/{closure['id']}/bookings"
    r = client.post(f"{cancel}/{paid['id']}/cancel", headers=owner)
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["status"] == "cancelled" and view["refunded"] == view["paid"] > 0
    assert view["cancel_reason"] == f"пространство закрыто {day:%d.%m.%Y}: Прорвало трубу"
    # Only bookings on the closed days, of this space; not twice.
    assert client.post(f"{cancel}/{other_day['id']}/cancel", headers=owner).status_code == 404
    assert client.post(f"{cancel}/{paid['id']}/cancel", headers=owner).status_code == 404
    assert client.post(f"{cancel}/{hold['id']}/cancel", headers=owner).status_code == 200
    assert client.get(f"{API}/owner/spaces/{b.space_id}/closures", headers=owner).json()[0]["bookings"] == []
    notices = client.get(f"{API}/notifications", headers=paid_auth).json()["items"]
    assert any("Прорвало трубу" in n["body"] for n in notices)


# --- what the owner may close -------------------------------------------------------------------------


@pytest.mark.parametrize(("first", "last", "reason", "field", "message"), [
    (-1, None, "Ремонт", "first_day", "Этот день уже прошёл: закрыть можно сегодняшний день или будущие"),
    (5, 3, "Ремонт", "last_day", "Последний закрытый день не может быть раньше первого"),
    (5, 800, "Ремонт", "last_day", "Закрыть можно дни не дальше чем на 2 года вперёд: до "),
    (800, None, "Ремонт", "first_day", "Закрыть можно дни не дальше чем на 2 года вперёд: до "),
    (5, None, " . ", "reason", "Напишите причину, например «Новогодние праздники» или «Ремонт»"),
    (5, None, "я" * 201, "reason", "Причина — не длиннее 200 символов (сейчас 201)"),
], ids=["past", "backwards", "last-too-far", "first-too-far", "no-reason", "long-reason"])
def test_wrong_closures_are_refused_in_words_and_nothing_is_written(first, last, reason, field, message):
    b = make_bookable()
    with pytest.raises(InvalidInput) as refused:
        _close(b, in_days(first), in_days(last) if last is not None else None, reason=reason)
    assert refused.value.field == field and refused.value.message.startswith(message), refused.value
    with transaction() as s:
        assert s.scalar(select(func.count()).where(SpaceClosure.space_id == b.space_id)) == 0


def test_closures_do_not_overlap_and_reopening_frees_the_days(client):
    b = make_bookable()
    first_id = _close(b, in_days(10), in_days(12), reason="Новогодние праздники")
    with pytest.raises(Conflict) as refused:
        _close(b, in_days(12), in_days(14))
    assert refused.value.message == (f"Эти дни уже закрыты: с {in_days(10):%d.%m.%Y} по {in_days(12):%d.%m.%Y} "
                                     "(«Новогодние праздники»). Выберите другие даты или сначала откройте те")
    _close(b, in_days(13), in_days(14))  # right after: fine
    assert _slots(b, in_days(11)) == []
    run_use_case(lambda s, fx: editor.do_delete_closure(s, s.get(User, b.owner_id), b.space_id, first_id))
    assert _slots(b, in_days(11))
    with transaction() as s:
        _space, left = editor.list_closures(s, s.get(User, b.owner_id), b.space_id)
        assert [(c.first_day, c.last_day) for c in left] == [(in_days(13), in_days(14))]


def test_a_closure_that_has_ended_stays_as_the_record(client):
    """Reopening days already past would erase why their bookings were cancelled: refused
    (409 naming the closure), the row stays; a current one still reopens."""
    b = make_bookable()
    with transaction() as s:
        past = SpaceClosure(space_id=b.space_id, first_day=in_days(-5), last_day=in_days(-3), reason="Ремонт")
        s.add(past)
        s.flush()
        past_id = past.id
    r = client.delete(f"{API}/owner/spaces/{b.space_id}/closures/{past_id}", headers=headers_for(b.owner_id))
    assert r.status_code == 409, r.text
    assert "уже прошли" in str(r.json()["detail"]) and "closure" in str(r.json()["detail"])
    with transaction() as s:
        assert s.get(SpaceClosure, past_id) is not None
    current_id = _close(b, in_days(0), in_days(2))
    r = client.delete(f"{API}/owner/spaces/{b.space_id}/closures/{current_id}", headers=headers_for(b.owner_id))
    assert r.status_code in (200, 204), r.text


def test_only_the_owner_and_staff_see_or_change_closures(client):
    b = make_bookable()
    other = make_bookable()
    closure_id = _close(b, in_days(20))
    renter_id, renter = signed_in()
    for who, expected in ((headers_for(other.owner_id), 404), (renter, 403)):
        assert client.get(f"{API}/owner/spaces/{b.space_id}/closures", headers=who).status_code == expected
        assert client.post(f"{API}/owner/spaces/{b.space_id}/closures", headers=who,
                           json={"first_day": in_days(21).isoformat(), "reason": "Чужое"}).status_code == expected
        assert client.delete(f"{API}/owner/spaces/{b.space_id}/closures/{closure_id}",
                             headers=who).status_code == expected
    assert client.get(f"{API}/owner/spaces/{b.space_id}/closures").status_code == 401
    # A closure id of another space is not found through this one.
    other_closure = _close(other, in_days(20))
    owner = headers_for(b.owner_id)
    assert client.delete(f"{API}/owner/spaces/{b.space_id}/closures/{other_closure}", headers=owner).status_code == 404
    with transaction() as s, pytest.raises(PermissionDenied):
        owner_editor.space_closures(s, s.get(User, renter_id), b.space_id)
    with transaction() as s, pytest.raises(NotFound):
        owner_editor.space_closures(s, s.get(User, other.owner_id), b.space_id)


def test_closure_api_input_is_refused_in_russian(client):
    b = make_bookable()
    owner = headers_for(b.owner_id)
    url = f"{API}/owner/spaces/{b.space_id}/closures"
    assert _refused(client.post(url, headers=owner, json={"first_day": in_days(3).isoformat(),
                                                          "last_day": in_days(1).isoformat(), "reason": "Ремонт"}),
                    "last_day") == "Последний закрытый день не может быть раньше первого"
    assert _refused(client.post(url, headers=owner, json={"first_day": "31.12.2026", "reason": "Ремонт"}),
                    "first_day")
    assert _refused(client.post(url, headers=owner, json={"first_day": in_days(3).isoformat()}), "reason")
    r = client.post(url, headers=owner, json={"first_day": in_days(3).isoformat(), "reason": "Ремонт"})
    assert r.status_code == 201 and r.json()["last_day"] == in_days(3).isoformat()
    r = client.post(url, headers=owner, json={"first_day": in_days(3).isoformat(), "reason": "Ещё раз"})
    assert r.status_code == 409 and r.json()["detail"][0]["msg"].startswith("Эти дни уже закрыты")
