"""The renter's money history ("Платежи"): payments by card and on a company's account,
refunds, the penalty a late cancellation kept, only the person's own bookings, the period
and kind filters, and the xlsx export read back."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from coworking_app.services.common.errors import InvalidInput
from coworking_app.services.finance import history
from coworking_app.uow import run_use_case
from models import User
from tests.booking_auth import signed_in
from tests.booking_helpers import API, body, in_days, local, make_bookable, pay_test
from tests.uow_helpers import transaction

DESK_2H = 60_000  # make_bookable(): 300 ₽ an hour
COMPANY = {"name": "ООО «Ромашка»", "inn": "7709123453", "kpp": "770901001",
           "address": "101000, г. Москва, ул. Мясницкая, д. 2", "billing_email": "buh@romashka.example"}


def _ops(user_id: int, **flt) -> list[history.RenterOperation]:
    def work(s, _fx):
        return history.renter_operations(s, s.get(User, user_id), history.OperationFilter(**flt))
    return run_use_case(work)


def _book(client, auth, space, days: int, hour: int = 10) -> int:
    day = in_days(days)
    r = client.post(f"{API}/bookings", headers=auth, json=body(space.desk_id, local(day, hour), local(day, hour + 2)))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_the_history_lists_payments_refunds_and_penalties_of_ones_own_bookings(client):
    strict = make_bookable(policy="strict", name="Коворкинг «Строгий»")
    renter_id, renter = signed_in()
    other_id, other = signed_in()

    # Paid by card, then cancelled 3 days ahead: strict gives back half, the other half is the fee.
    cancelled = _book(client, renter, strict, 3)
    pay_test(client, renter, cancelled)
    r = client.post(f"{API}/bookings/{cancelled}/cancel", headers=renter, json={})
    assert r.status_code == 200, r.text
    # On the company's account.
    company = client.post(f"{API}/companies", headers=renter, json=COMPANY).json()
    on_account = _book(client, renter, strict, 5)
    r = client.post(f"{API}/bookings/{on_account}/pay-on-account", headers=renter, json={"company_id": company["id"]})
    assert r.status_code == 200, r.text
    # Someone else's payment is not in this history.
    theirs = _book(client, other, strict, 6)
    pay_test(client, other, theirs)

    ops = _ops(renter_id)
    seen = sorted((o.booking_id, o.kind, o.kind_label, o.amount_minor, o.signed_minor, o.method) for o in ops)
    assert seen == sorted([
        (cancelled, "payment", "Оплата брони", DESK_2H, -DESK_2H, "Тестовая оплата"),
        (cancelled, "refund", "Возврат", DESK_2H // 2, DESK_2H // 2, "Тестовая оплата"),
        (cancelled, "penalty", "Штраф за позднюю отмену", DESK_2H // 2, 0, ""),
        (on_account, "payment", "Оплата брони", DESK_2H, -DESK_2H, "На счёт компании ООО «Ромашка»"),
    ])
    assert all(o.space == "Коворкинг «Строгий»" for o in ops)
    assert [o.at for o in ops] == sorted((o.at for o in ops), reverse=True)  # newest first
    assert next(o for o in ops if o.kind == "refund").note.startswith("Отмена")
    assert next(o for o in ops if o.kind == "penalty").note == "Удержан из оплаты"
    assert history.totals(ops) == {"RUB": (2 * DESK_2H, DESK_2H // 2)}
    assert {o.booking_id for o in _ops(other_id)} == {theirs}

    # Filters: the kind, and the period in local days (today has everything, tomorrow nothing).
    assert {o.kind for o in _ops(renter_id, kind="refund")} == {"refund"}
    assert [o.booking_id for o in _ops(renter_id, kind="penalty")] == [cancelled]
    today = datetime.now(ZoneInfo("Europe/Moscow")).date()
    assert len(_ops(renter_id, date_from=today, date_to=today)) == 4
    assert _ops(renter_id, date_from=today + timedelta(days=1)) == []
    assert _ops(renter_id, date_to=today - timedelta(days=1)) == []
    with pytest.raises(InvalidInput) as refused:
        _ops(renter_id, date_from=today, date_to=today - timedelta(days=1))
    assert refused.value.field == "date_from"

    # The export: oldest first, signed amounts in roubles, the penalty counts 0, the total.
    with transaction() as s:
        content = history.renter_operations_xlsx(s, s.get(User, renter_id), history.OperationFilter())
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]
    body_rows = [r for r in rows if r[0] != "Итого"]
    assert [(r[1], r[3], r[4]) for r in body_rows] == [
        (o.kind_label, o.booking_id, o.signed_minor / 100) for o in reversed(ops)]
    penalty = next(r for r in body_rows if r[1] == "Штраф за позднюю отмену")
    assert "сумма штрафа 300 ₽" in penalty[2]
    assert ["Итого", -(2 * DESK_2H - DESK_2H // 2) / 100, "RUB"] == [rows[-1][0], rows[-1][4], rows[-1][5]]
    assert "Операций: 4, за всё время" in sheet.cell(2, 1).value


def test_a_stranger_has_no_history():
    from coworking_app.services.common.errors import NotAuthenticated

    with pytest.raises(NotAuthenticated):
        run_use_case(lambda s, _fx: history.renter_operations(s, None, history.OperationFilter()))
