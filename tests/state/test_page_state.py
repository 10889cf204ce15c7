"""state/page.py against the real database: how a page state runs a use case as the person
signed in on the tab, what a refusal becomes, and that a refused use case writes nothing."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field
from sqlmodel import select

from coworking_app.services.accounts.identity import ClientInfo, do_update_profile
from coworking_app.services.accounts.sessions import authenticate, do_start_session
from coworking_app.services.common.errors import InvalidInput, PermissionDenied, RateLimited
from coworking_app.uow import run_use_case
from models import AuthSession, User
from state.auth import SessionEnded
from state.page import run, run_as


def _signed_in(make_user, role: str = "renter") -> tuple[int, str, str, str]:
    """A fresh account signed in on a device: (user id, email, password, cookie token)."""
    user_id, email, password = make_user(role)
    _row, token, _refresh = run_use_case(lambda s, fx: do_start_session(
        s, fx, s.get(User, user_id), ClientInfo(ip="10.1.2.3", user_agent="Firefox on Linux")))
    return user_id, email, password, token


def _name(user_id: int) -> str:
    return run_use_case(lambda s, _fx: s.get(User, user_id).full_name)


def test_a_use_case_runs_as_the_person_of_the_token(make_user):
    user_id, _email, _password, token = _signed_in(make_user)
    done = run_as(token, lambda s, _fx, user: (user.id, user.email))
    assert done.ok and done.value[0] == user_id and done.message == "" and done.errors == {}
    assert done.toast() is None


def test_a_change_is_committed_and_a_refusal_writes_nothing(make_user):
    user_id, _email, _password, token = _signed_in(make_user)
    assert run_as(token, lambda s, _fx, u: do_update_profile(s, u, full_name="Анна Петрова")).ok
    assert _name(user_id) == "Анна Петрова"

    def rename_then_refuse(session, _effects, user):
        do_update_profile(session, user, full_name="Не сохранится")
        raise InvalidInput("phone", "Телефон в формате +7 900 000-00-00")
    done = run_as(token, rename_then_refuse)
    assert not done.ok and done.value is None
    assert (done.field, done.message) == ("phone", "Телефон в формате +7 900 000-00-00")
    assert done.errors == {"phone": "Телефон в формате +7 900 000-00-00"}
    assert isinstance(done.reason, InvalidInput) and not done.denied and not done.from_model
    assert _name(user_id) == "Анна Петрова"  # rolled back with the refusal


def test_a_session_that_ended_takes_the_person_to_sign_in(make_user):
    _user_id, _email, _password, token = _signed_in(make_user)
    ran = []
    with pytest.raises(SessionEnded):
        run_as(token + "x", lambda s, _fx, u: ran.append(u))
    with pytest.raises(SessionEnded):
        run_as("", lambda s, _fx, u: ran.append(u))
    assert ran == []  # the use case never ran for nobody


def test_a_page_strangers_open_runs_for_them_as_nobody(make_user):
    user_id, _email, _password, token = _signed_in(make_user)
    assert run_as("", lambda s, _fx, u: u, optional=True).value is None
    assert run_as("not-a-token", lambda s, _fx, u: u, optional=True).value is None
    assert run_as(token, lambda s, _fx, u: u.id, optional=True).value == user_id


def test_the_device_s_own_sign_in_comes_with_it(make_user):
    user_id, _email, _password, token = _signed_in(make_user)
    done = run_as(token, lambda s, _fx, user, here: (user.id, here.id, here.user_agent), device=True)
    assert done.ok
    found_user, session_id, agent = done.value
    row = run_use_case(lambda s, _fx: s.exec(select(AuthSession).where(AuthSession.id == session_id)).one())
    assert (found_user, row.user_id, agent) == (user_id, user_id, "Firefox on Linux")


def test_a_person_who_may_not_is_told_so(make_user):
    _user_id, _email, _password, token = _signed_in(make_user)

    def staff_only(_session, _effects, _user):
        raise PermissionDenied()
    done = run_as(token, staff_only)
    assert not done.ok and done.denied and done.message == "Недостаточно прав для этого действия"


class _Form(BaseModel):
    seats: int = Field(ge=1)


def test_input_a_form_s_model_refuses_names_its_field_in_russian(make_user):
    _user_id, _email, _password, token = _signed_in(make_user)
    done = run_as(token, lambda s, _fx, u: _Form(seats=0))
    assert not done.ok and done.from_model
    assert (done.field, done.message) == ("seats", "Не меньше 1")


def test_for_nobody_in_particular_a_wrong_password_is_a_refusal_not_an_ended_session(make_user):
    _user_id, email, password, _token = _signed_in(make_user)
    client = ClientInfo(ip="10.9.9.9")
    done = run(lambda s, _fx: authenticate(s, email=email, password="wrong-" + password, client=client))
    assert not done.ok and done.message == "Неверный email или пароль"
    assert run(lambda s, _fx: authenticate(s, email=email, password=password, client=client)).ok


def test_a_rate_limit_says_how_long_to_wait(make_user):
    _user_id, _email, _password, token = _signed_in(make_user)

    def limited(_session, _effects, _user):
        raise RateLimited(120, "Слишком много сообщений")
    done = run_as(token, limited)
    assert done.message == "Слишком много сообщений. Попробуйте через 2 минуты"
    assert isinstance(done.reason, RateLimited) and done.reason.retry_after == 120
