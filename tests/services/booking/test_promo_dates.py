"""Promo code dates are checked at the edge (an end at most a few years ahead, a start before
the end), and every list of the operator panel survives any row the database can hold:
before, one code valid until 9999-12-31 broke /admin/promos with an OverflowError."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from coworking_app.formatting import format_moment
from coworking_app.services.admin import admin_tables, exports
from coworking_app.services.booking import promos
from models import PromoCode, User
from state.admin_promos import _row as promo_row
from tests.booking_auth import signed_in
from tests.booking_helpers import API
from tests.uow_helpers import transaction

NOW = datetime.now(timezone.utc)


def _code() -> str:
    return f"D{uuid.uuid4().hex[:8].upper()}"


@pytest.mark.parametrize("dates, field, words", [
    # Beyond what any date field takes (2000-2100, services/common/fields.py): the edge's message.
    ({"valid_until": "9999-12-31T23:59:59+00:00"}, "valid_until", "Дата между 01.01.2000 и 31.12.2100"),
    ({"valid_until": "2090-12-31T23:59:59+00:00"}, "valid_until", "не дольше 3 лет"),
    ({"valid_until": (NOW + timedelta(days=4 * 365)).isoformat()}, "valid_until", "не дольше 3 лет"),
    ({"valid_until": (NOW - timedelta(days=1)).isoformat()}, "valid_until", "уже прошла"),
    ({"valid_from": (NOW + timedelta(days=10)).isoformat(), "valid_until": (NOW + timedelta(days=5)).isoformat()},
     "valid_until", "позже даты начала"),
    ({"valid_from": "9999-01-01T00:00:00+00:00"}, "valid_from", "Дата между 01.01.2000 и 31.12.2100"),
    ({"valid_from": "2090-01-01T00:00:00+00:00"}, "valid_from", "не позже"),
])
def test_promo_dates_are_refused_at_the_edges(client, world, dates, field, words):
    _, operator = signed_in("operator")
    r = client.post(f"{API}/promo-codes", headers=operator, json={"code": _code(), "kind": "percent", "value": 10,
                                                                  **dates})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"][0]
    assert detail["loc"][-1] == field and words in detail["msg"]


def test_a_promo_within_three_years_is_accepted(client, world):
    _, operator = signed_in("operator")
    r = client.post(f"{API}/promo-codes", headers=operator, json={
        "code": _code(), "kind": "percent", "value": 10, "valid_from": NOW.isoformat(),
        "valid_until": (NOW + timedelta(days=2 * 365)).isoformat()})
    assert r.status_code == 201, r.text


def test_lists_show_rows_at_the_edges_of_the_calendar(world):
    """Rows written before the check (or by hand) still list: in the report zone where it
    has a local time, otherwise in UTC."""
    operator_id, _ = signed_in("operator")
    code = _code()
    with transaction() as s:
        s.add(PromoCode(code=code, kind="percent", value=10, currency="RUB",
                        valid_from=datetime(1, 1, 1, tzinfo=timezone.utc),
                        valid_until=datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)))
    with transaction() as s:
        rows = [promo_row(p) for p in promos.list_promos(s, s.get(User, operator_id))]
    row = next(r for r in rows if r.code == code)
    assert row.period == "с 01.01.1 до 31.12.9999 23:59 UTC"

    moscow, new_york = ZoneInfo("Europe/Moscow"), ZoneInfo("America/New_York")
    edge_late = datetime(9999, 12, 31, 23, 0, tzinfo=timezone.utc)
    edge_early = datetime(1, 1, 1, 1, 0, tzinfo=timezone.utc)
    assert format_moment(edge_late, moscow) == "31.12.9999 23:00 UTC"
    assert format_moment(edge_early, new_york) == "01.01.1 01:00 UTC"
    assert format_moment(datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc), moscow) == "01.03.2026 12:00"
    assert admin_tables.format_cell(admin_tables.Column("at", "Когда", "datetime"), {"at": edge_late}) == "31.12.9999 23:00 UTC"
    assert exports._local(edge_late) == datetime(9999, 12, 31, 23, 0)
