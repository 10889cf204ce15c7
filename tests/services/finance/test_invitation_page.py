"""The invitation page (/company/join) before "Принять": whose invitation it is, and why this
account cannot accept it (another address, revoked, accepted, expired), in the words the
acceptance itself would refuse with."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from coworking_app.services.common.errors import NotFound
from coworking_app.services.finance import companies
from coworking_app.uow import run_use_case
from models import CompanyInvitation, User
from tests.booking_auth import signed_in
from tests.uow_helpers import transaction

COMPANY = {"name": "ООО «Ромашка»", "inn": "7709123453", "kpp": "770901001",
           "address": "101000, г. Москва, ул. Мясницкая, д. 2", "billing_email": "buh@romashka.example"}


def _tampered(token: str) -> str:
    return token[:-1] + ("1" if token.endswith("0") else "0")


def _as(user_id: int, work):
    return run_use_case(lambda s, fx: work(s, fx, s.get(User, user_id)))


def test_the_page_names_the_company_and_says_why_an_account_cannot_accept(client):
    admin_id, admin = signed_in()
    invitee_id, _ = signed_in()
    stranger_id, _ = signed_in()
    company = client.post("/api/v1/companies", headers=admin, json=COMPANY).json()
    with transaction() as s:
        email = s.get(User, invitee_id).email
    invitation, link = _as(admin_id, lambda s, fx, u: companies.do_invite(
        s, fx, u, company["id"], companies.InvitationIn(email=email, monthly_limit_minor=1_500_000)))
    token = link.split("token=")[1]

    seen = _as(invitee_id, lambda s, _fx, u: companies.access_invitation(s, u, token))
    assert (seen.company, seen.email, seen.role_label, seen.monthly_limit_minor, seen.refusal, seen.member_already) == (
        "ООО «Ромашка»", email, "Сотрудник", 1_500_000, "", False)
    other = _as(stranger_id, lambda s, _fx, u: companies.access_invitation(s, u, token))
    assert other.refusal == f"Приглашение отправлено на {email}: войдите с этим адресом"
    with pytest.raises(NotFound):
        _as(invitee_id, lambda s, _fx, u: companies.access_invitation(s, u, _tampered(token)))

    # Expired, then revoked: the page says so before anyone presses "Принять".
    with transaction() as s:  # as if a week had passed (the link signs its expiry: signed again)
        row = s.get(CompanyInvitation, invitation.id)
        row.expires_at = (datetime.now(timezone.utc) - timedelta(minutes=1)).replace(microsecond=0)
        s.flush()
        token = companies.invitation_token(row)
    assert _as(invitee_id, lambda s, _fx, u: companies.access_invitation(s, u, token)).refusal.startswith(
        "Срок приглашения истёк")
    _as(admin_id, lambda s, _fx, u: companies.do_revoke_invitation(s, u, company["id"], invitation.id))
    assert _as(invitee_id, lambda s, _fx, u: companies.access_invitation(s, u, token)).refusal == (
        "Приглашение отозвано администратором компании")


def test_an_accepted_invitation_shows_the_membership(client):
    admin_id, admin = signed_in()
    invitee_id, _ = signed_in()
    company = client.post("/api/v1/companies", headers=admin, json=COMPANY).json()
    with transaction() as s:
        email = s.get(User, invitee_id).email
    _, link = _as(admin_id, lambda s, fx, u: companies.do_invite(
        s, fx, u, company["id"], companies.InvitationIn(email=email)))
    token = link.split("token=")[1]
    _as(invitee_id, lambda s, _fx, u: companies.do_accept_invitation(s, u, token))
    seen = _as(invitee_id, lambda s, _fx, u: companies.access_invitation(s, u, token))
    assert (seen.refusal, seen.member_already) == ("Приглашение уже принято", True)
