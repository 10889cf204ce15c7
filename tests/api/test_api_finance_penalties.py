"""Penalties as renters, owners and admins meet them: a late cancellation keeps what the
policy does not give back, the credit note says so, an admin waives it with a reason (the
money goes back, the ledger follows, the renter is told); a no-show keeps the space's fee."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import select

from coworking_app.services.booking.bookings import do_complete_past, do_mark_no_show
from coworking_app.services.finance import ledger
from coworking_app.uow import UnitOfWork, run_use_case
from models import Notification, Space, User
from tests.booking_auth import headers_for, signed_in
from tests.booking_helpers import body, in_days, local, make_bookable, pay_test

API = "/api/v1"


def test_a_late_cancellation_fee_is_kept_shown_and_can_be_waived(client):
    space = make_bookable(policy="moderate")  # 72 h: all back, 24 h: half back
    renter_id, renter = signed_in("renter")
    admin_id, admin = signed_in("admin")
    day = in_days(2)  # 34 to 58 hours ahead: the half-refund tier
    r = client.post(f"{API}/bookings", headers=renter, json=body(space.desk_id, local(day, 10), local(day, 12)))
    booking_id = r.json()["id"]
    pay_test(client, renter, booking_id)
    r = client.post(f"{API}/bookings/{booking_id}/cancel", headers=renter, json={})
    assert r.status_code == 200 and r.json()["refund"]["amount"] == 30_000
    view = client.get(f"{API}/bookings/{booking_id}", headers=renter).json()
    assert view["penalties"] == [{"kind": "late_cancellation", "label": "Штраф за позднюю отмену",
                                  "amount": 30_000, "status": "charged", "status_label": "Удержан"}]
    note = client.get(f"{API}/bookings/{booking_id}/credit-notes/{view['credit_notes'][0]}.pdf", headers=renter)
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(note.content)).pages)
    assert "Удержано: штраф за позднюю отмену" in text
    with UnitOfWork() as uow:  # the fee is earned: the owner's share is payable at once
        assert -ledger.balance(uow.session, ledger.owner_payable(space.owner_id, "RUB")) == 30_000 - 4_500

    penalties = client.get(f"{API}/admin/finance/penalties", headers=admin, params={"status": "charged"}).json()
    penalty = next(p for p in penalties if p["booking_id"] == booking_id)
    assert client.post(f"{API}/admin/finance/penalties/{penalty['id']}/waive", headers=renter,
                       json={"reason": "x"}).status_code == 403
    r = client.post(f"{API}/admin/finance/penalties/{penalty['id']}/waive", headers=admin, json={"reason": ""})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "reason"
    r = client.post(f"{API}/admin/finance/penalties/{penalty['id']}/waive", headers=admin,
                    json={"reason": "гость заболел, справка"})
    assert r.status_code == 200 and r.json()["status"] == "waived"
    assert client.post(f"{API}/admin/finance/penalties/{penalty['id']}/waive", headers=admin,
                       json={"reason": "ещё раз"}).status_code == 409
    view = client.get(f"{API}/bookings/{booking_id}", headers=renter).json()
    assert view["refunded"] == 60_000 and view["penalties"][0]["status"] == "waived"
    with UnitOfWork() as uow:
        assert ledger.balance(uow.session, ledger.owner_payable(space.owner_id, "RUB")) == 0
        assert ledger.ledger_check(uow.session).balanced
        notice = uow.session.scalars(select(Notification).where(
            Notification.user_id == renter_id, Notification.type == "penalty_waived")).first()
        assert notice is not None and "гость заболел" in notice.body


def test_a_no_show_keeps_the_space_fee_and_returns_the_rest(client):
    space = make_bookable()
    with UnitOfWork() as uow:
        uow.session.get(Space, space.space_id).no_show_fee_percent = 40
    renter_id, renter = signed_in("renter")
    owner = headers_for(space.owner_id)
    day = in_days(1)
    r = client.post(f"{API}/bookings", headers=renter, json=body(space.desk_id, local(day, 10), local(day, 12)))
    booking_id = r.json()["id"]
    pay_test(client, renter, booking_id)
    r = client.post(f"{API}/bookings/{booking_id}/no-show", headers=owner)
    assert r.status_code == 409  # not before the start
    later = local(day, 11)
    run_use_case(lambda s, fx: do_mark_no_show(s, fx, s.get(User, space.owner_id), booking_id, now=later))
    view = client.get(f"{API}/bookings/{booking_id}", headers=renter).json()
    assert view["status"] == "no_show" and view["refunded"] == 36_000
    assert view["penalties"][0]["kind"] == "no_show" and view["penalties"][0]["amount"] == 24_000
    run_use_case(lambda s, fx: do_complete_past(s, fx))  # nothing more happens to it
    with UnitOfWork() as uow:
        assert -ledger.balance(uow.session, ledger.owner_payable(space.owner_id, "RUB")) == 24_000 - 3_600
