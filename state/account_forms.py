"""Sign-up, sign-in, email verification and password reset forms (thin: the accounts
service validates and decides)."""

from __future__ import annotations

import math

import reflex as rx

from coworking_app.db import session_scope
from coworking_app.services import accounts
from coworking_app.services.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    RateLimited,
    SecondFactorRequired,
)
from state.auth import AuthState

STRENGTH_LABELS = ["Слишком простой", "Слабый", "Средний", "Хороший", "Надёжный"]


def _safe_next(value: str | None, default: str) -> str:
    """Only local paths, so a crafted link cannot send people elsewhere after sign-in."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value[:200]
    return default


class SignupState(rx.State):
    full_name: str = ""
    email: str = ""
    phone: str = ""
    password: str = ""
    role: str = "renter"
    accepted_terms: bool = False
    errors: dict[str, str] = {}
    strength: int = 0
    submitting: bool = False

    @rx.var
    def strength_label(self) -> str:
        return STRENGTH_LABELS[self.strength] if self.password else ""

    def _check(self, field: str) -> None:
        checks = {
            "full_name": lambda: accounts.check_full_name(self.full_name),
            "email": lambda: accounts.check_email(self.email),
            "phone": lambda: accounts.check_phone(self.phone),
            "password": lambda: accounts.check_password(self.password, self.email),
        }
        errors = dict(self.errors)
        errors.pop(field, None)
        try:
            checks[field]()
        except InvalidInput as exc:
            errors[exc.field] = exc.message
        self.errors = errors

    @rx.event
    def set_field(self, field: str, value: str):
        if field not in ("full_name", "email", "phone", "password"):
            return
        setattr(self, field, str(value)[:320])
        if field == "password":
            self.strength = accounts.password_strength(self.password, self.email)
        if field in self.errors:  # re-check as they fix it
            self._check(field)

    @rx.event
    def blur(self, field: str):
        if field in ("full_name", "email", "phone", "password"):
            self._check(field)

    @rx.event
    def set_role(self, value: str | list[str]):
        self.role = "owner" if value == "owner" else "renter"

    @rx.event
    def set_terms(self, value: bool):
        self.accepted_terms = bool(value)

    @rx.event
    async def submit(self, _form: dict):
        for field in ("full_name", "email", "phone", "password"):
            self._check(field)
        if not self.accepted_terms:
            self.errors = {**self.errors, "accepted_terms": "Нужно согласие с условиями сервиса"}
        if self.errors:
            return
        self.submitting = True
        yield
        try:
            with session_scope() as session:
                user = accounts.do_register(
                    session, email=self.email, password=self.password, full_name=self.full_name,
                    phone=self.phone, role=self.role, accepted_terms=self.accepted_terms)
                auth = await self.get_state(AuthState)
                _row, token, _refresh = accounts.do_start_session(session, user, auth._client())
                auth._signed_in_as(token, user)
            self.errors, self.password = {}, ""
            yield rx.redirect("/owner" if self.role == "owner" else "/cabinet")
        except (InvalidInput, Conflict) as exc:
            self.errors = {**self.errors, exc.field: exc.message}
        finally:
            self.submitting = False


class LoginState(rx.State):
    email: str = ""
    password: str = ""
    totp_code: str = ""
    need_code: bool = False
    error: str = ""
    submitting: bool = False

    @rx.event
    def set_email(self, value: str):
        self.email = str(value)[:320]

    @rx.event
    def set_password(self, value: str):
        self.password = str(value)[:1024]

    @rx.event
    def set_totp_code(self, value: str):
        self.totp_code = str(value)[:32]

    @rx.event
    async def submit(self, _form: dict):
        self.submitting, self.error = True, ""
        yield
        auth = await self.get_state(AuthState)
        try:
            with session_scope() as session:
                user = accounts.authenticate(session, email=self.email, password=self.password,
                                             totp_code=self.totp_code or None, client=auth._client())
                _row, token, _refresh = accounts.do_start_session(session, user, auth._client())
                auth._signed_in_as(token, user)
            self.password, self.totp_code, self.need_code = "", "", False
            default = "/owner" if user.has_role("owner") else "/cabinet"
            yield rx.redirect(_safe_next(self.router.url.query_parameters.get("next"), default))
        except RateLimited as exc:
            self.error = (f"Слишком много неудачных попыток. Попробуйте снова через "
                          f"{math.ceil(exc.retry_after / 60)} мин.")
        except SecondFactorRequired:
            self.need_code = True
            self.error = "Введите код из приложения-аутентификатора или резервный код"
        except (NotAuthenticated, InvalidInput) as exc:
            self.error = exc.message
        finally:
            self.submitting = False


class VerifyEmailState(rx.State):
    done: bool = False
    error: str = ""

    @rx.event
    def load(self):
        token = self.router.url.query_parameters.get("token", "")
        try:
            with session_scope() as session:
                accounts.do_verify_email(session, token)
            self.done, self.error = True, ""
        except InvalidInput as exc:
            self.done, self.error = False, exc.message


class ResetState(rx.State):
    email: str = ""
    new_password: str = ""
    sent: bool = False
    done: bool = False
    error: str = ""

    @rx.event
    def set_email(self, value: str):
        self.email = str(value)[:320]

    @rx.event
    def set_new_password(self, value: str):
        self.new_password = str(value)[:1024]

    @rx.event
    async def request(self, _form: dict):
        auth = await self.get_state(AuthState)
        with session_scope() as session:
            accounts.do_request_password_reset(session, self.email, auth._client())
        self.sent = True  # the same answer whether or not the account exists

    @rx.event
    def confirm(self, _form: dict):
        token = self.router.url.query_parameters.get("token", "")
        try:
            with session_scope() as session:
                accounts.do_reset_password(session, token, self.new_password)
            self.done, self.error, self.new_password = True, "", ""
        except InvalidInput as exc:
            self.error = exc.message
