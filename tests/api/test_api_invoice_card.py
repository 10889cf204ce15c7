"""Paying a company's invoice by card (the offline test provider; the other providers run the
same in tests/services/payments/test_provider_contract.py): who may, what the test
provider's page shows, an old checkout replaced, and bad ids."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from coworking_app.services.common.errors import PermissionDenied
from coworking_app.services.payments import checkout
from coworking_app.uow import run_use_case
from models import Invoice, Payment, User
from tests.booking_auth import signed_in
from tests.booking_helpers import make_bookable
from tests.company_helpers import API, company_with_invoice
from tests.uow_helpers import transaction


@pytest.fixture(scope="module")
def space(world):
    return make_bookable(vat_rate_bp=2000, desk_capacity=50)


def pay(client, headers, invoice_id: int):
    return client.post(f"{API}/invoices/{invoice_id}/pay", headers=headers)


def test_only_the_companys_admins_pay_its_invoices(client, space):
    bill = company_with_invoice(client, space)
    r = pay(client, bill.member, bill.invoice_id)
    assert r.status_code == 403 and "администратор компании" in r.json()["detail"]
    _uid, stranger = signed_in("renter")
    assert pay(client, stranger, bill.invoice_id).status_code == 404
    _aid, network_admin = signed_in("admin")  # sees the company, but it is not theirs to pay
    assert pay(client, network_admin, bill.invoice_id).status_code == 403
    assert client.post(f"{API}/invoices/{bill.invoice_id}/pay").status_code == 401
    for bad in ("0", "-1", "99999999999", "abc"):
        assert pay(client, bill.admin, bad).status_code in (404, 422)
    with transaction() as s:
        assert s.scalars(select(Payment).where(Payment.invoice_id == bill.invoice_id)).all() == []


def test_the_test_providers_page_pays_the_invoice(client, space):
    bill = company_with_invoice(client, space)
    payment = pay(client, bill.admin, bill.invoice_id).json()
    assert payment["payment_url"] == f"/checkout/invoice/{payment['payment_id']}"

    def page(user_id):
        return run_use_case(lambda s, _fx: checkout.invoice_checkout_view(s, s.get(User, user_id), payment["payment_id"]))

    view = page(bill.admin_id)
    assert (view.number, view.company, view.amount, view.status, view.invoice_status) == (
        bill.number, "ООО «Ромашка»", bill.amount, "pending", "issued")
    with pytest.raises(PermissionDenied) as refused:
        page(bill.member_id)
    assert "администратор компании" in refused.value.message
    # The booking's page does not open an invoice's payment, nor the reverse.
    assert client.post(f"{API}/payments/test/{payment['payment_id']}/complete", headers=bill.member,
                       json={"outcome": "succeeded"}).status_code == 403

    r = client.post(f"{API}/payments/test/{payment['payment_id']}/complete", headers=bill.admin,
                    json={"outcome": "declined"})
    assert (r.status_code, r.json()["status"]) == (200, "failed")
    [listed] = client.get(f"{API}/companies/{bill.company_id}/invoices", headers=bill.admin).json()
    assert listed["status"] == "issued"

    second = pay(client, bill.admin, bill.invoice_id).json()  # a new try after the decline
    assert second["payment_id"] != payment["payment_id"]
    r = client.post(f"{API}/payments/test/{second['payment_id']}/complete", headers=bill.admin,
                    json={"outcome": "succeeded"})
    assert (r.status_code, r.json()["status"]) == (200, "succeeded")
    [listed] = client.get(f"{API}/companies/{bill.company_id}/invoices", headers=bill.admin).json()
    assert (listed["status"], listed["payment_reference"]) == ("paid", f"test_pi_{second['payment_id']}")
    with transaction() as s:
        assert s.get(Invoice, bill.invoice_id).payment_method == "card"
    assert page(bill.admin_id).invoice_status == "paid"


def test_an_old_checkout_is_replaced(client, space):
    bill = company_with_invoice(client, space, days=(5,))
    first = pay(client, bill.admin, bill.invoice_id).json()
    with transaction() as s:  # the payer left the page open for half an hour
        s.execute(update(Payment).where(Payment.id == first["payment_id"])
                  .values(created_at=Payment.created_at - timedelta(minutes=30)))
    second = pay(client, bill.admin, bill.invoice_id).json()
    assert second["payment_id"] != first["payment_id"] and second["status"] == "pending"
    with transaction() as s:
        old = s.get(Payment, first["payment_id"])
        assert (old.status, old.failure) == ("failed", "superseded")
