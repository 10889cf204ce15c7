"""What operators and admins do to accounts (services/admin/user_admin.py): blocking signs a
person out on every device, staff are blocked by admins only, nobody locks themselves out,
roles in their canonical order, accounts opened by an admin. Through the panel's API:
test_admin_api.py::test_blocking_users_and_changing_roles."""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from coworking_app.services.admin import user_admin
from coworking_app.services.accounts.sessions import access_user_by_access_token, do_sign_in_api
from coworking_app.services.common.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from coworking_app.uow import UnitOfWork
from models import AuthSession, User
from tests.booking_auth import signed_in


@contextmanager
def _work():
    """One unit of work, as an adapter runs a use case: (session, effects), committed on
    success (then its effects sent), rolled back on an error."""
    with UnitOfWork() as uow:
        yield uow.session, uow.effects


def _act(call, actor_id: int | None, *args):
    with _work() as (s, fx):
        return call(s, s.get(User, actor_id) if actor_id else None, *args)


def test_blocking_ends_every_session_and_unblocking_starts_none(world):
    renter = signed_in()[0]
    with _work() as (s, fx):
        tokens = [do_sign_in_api(s, fx, s.get(User, renter)).access_token for _ in range(2)]  # two more devices
    operator = signed_in("operator")[0]
    blocked = _act(user_admin.do_set_user_blocked, operator, renter, True)
    assert blocked.is_active is False
    with _work() as (s, fx):
        rows = s.scalars(select(AuthSession).where(AuthSession.user_id == renter)).all()
        assert len(rows) == 3 and all(row.revoked_at is not None for row in rows)
    _act(user_admin.do_set_user_blocked, operator, renter, False)
    for token in tokens:  # unblocked, but the old sessions stay ended
        with pytest.raises(NotAuthenticated), _work() as (s, fx):
            access_user_by_access_token(s, token)


def test_staff_are_blocked_by_an_admin_only_and_nobody_blocks_themselves(world):
    operator, other_operator, admin = signed_in("operator")[0], signed_in("operator")[0], signed_in("admin")[0]
    with pytest.raises(PermissionDenied) as refused:
        _act(user_admin.do_set_user_blocked, operator, other_operator, True)
    assert refused.value.message == "Операторов и администраторов блокирует только администратор"
    for who in (operator, admin):
        with pytest.raises(InvalidInput) as refused:
            _act(user_admin.do_set_user_blocked, who, who, True)
        assert (refused.value.field, refused.value.message) == ("blocked", "Себя заблокировать нельзя")
    assert _act(user_admin.do_set_user_blocked, admin, other_operator, True).is_active is False
    with pytest.raises(NotFound) as refused:
        _act(user_admin.do_set_user_blocked, admin, 2**31 - 1, True)
    assert refused.value.message == "Пользователь не найден"
    with pytest.raises(PermissionDenied):
        _act(user_admin.do_set_user_blocked, signed_in("owner")[0], operator, True)


def test_roles_are_kept_in_their_canonical_order_and_named_when_unknown():
    assert user_admin.check_roles(["admin", "renter", "renter"]) == ["renter", "admin"]
    with pytest.raises(InvalidInput) as refused:
        user_admin.check_roles(["owner", "god"])
    assert (refused.value.field, refused.value.message) == (
        "roles", "Нет таких ролей: god. Допустимые значения: renter, owner, operator, admin")
    with pytest.raises(InvalidInput) as refused:
        user_admin.check_roles([])
    assert refused.value.message == "Нужна хотя бы одна роль"


def test_only_an_admin_changes_roles_and_keeps_their_own_admin_role(world):
    admin, renter = signed_in("admin")[0], signed_in()[0]
    assert _act(user_admin.do_set_user_roles, admin, renter, ["owner", "renter"]).roles == ["renter", "owner"]
    with pytest.raises(PermissionDenied):
        _act(user_admin.do_set_user_roles, signed_in("operator")[0], renter, ["renter"])
    with pytest.raises(InvalidInput) as refused:
        _act(user_admin.do_set_user_roles, admin, admin, ["operator"])
    assert refused.value.message == "Свою роль администратора снять нельзя"
    with _work() as (s, fx):
        assert s.get(User, admin).roles == ["admin"] and s.get(User, renter).roles == ["renter", "owner"]


def test_an_admin_opens_a_verified_account_with_one_role(world):
    admin = signed_in("admin")[0]
    email = f"Opened-{uuid.uuid4().hex[:8]}@Example.com"
    user = _act(lambda s, a: user_admin.do_create_account(
        s, a, email=email, password="Opened-Account-42", full_name="Ольга Оператор", role="operator"), admin)
    assert (user.email, user.roles, user.email_verified_at is not None) == (
        email.replace("Example.com", "example.com"), ["operator"], True)  # the domain in lower case
    with pytest.raises(InvalidInput) as refused:
        _act(lambda s, a: user_admin.do_create_account(
            s, a, email="x" + email, password="Opened-Account-42", full_name="Кто-то", role="god"), admin)
    assert refused.value.field == "roles"
    with pytest.raises(PermissionDenied):
        _act(lambda s, a: user_admin.do_create_account(
            s, a, email="y" + email, password="Opened-Account-42", full_name="Кто-то", role="owner"),
             signed_in("operator")[0])
