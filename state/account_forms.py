"""Sign-up, sign-in, email verification and password reset forms (thin: the accounts
service validates and decides)."""

from __future__ import annotations

import math
from urllib.parse import quote

import reflex as rx

from coworking_app.services.accounts import identity, lifecycle, passwords, sessions, signup
from coworking_app.services.common.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    RateLimited,
    SecondFactorRequired,
)
from coworking_app.services.messaging.mailer import file_outbox
from coworking_app.settings import get_settings
from coworking_app.uow import run_use_case
from models import User
from state.auth import AuthState

STRENGTH_LABELS = ["Слишком простой", "Слабый", "Средний", "Хороший", "Надёжный"]
SIGNUP_FIELDS = ("full_name", "email", "phone", "password", "accepted_terms")


def _safe_next(value: str | None, default: str) -> str:
    """Only local paths, so a crafted link cannot send people elsewhere after sign-in."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value[:200]
    return default


def _landing(user: User) -> str:
    """Where a person goes after signing in when no page asked for it."""
    return "/owner" if user.has_role("owner") else "/cabinet"


def _wait(exc: RateLimited) -> str:
    return f"через {math.ceil(exc.retry_after / 60)} мин."


def _with_next(path: str, next_path: str) -> str:
    return f"{path}?next={quote(next_path, safe='/')}" if next_path else path


def _typed(form: dict, name: str, current: str, limit: int) -> str:
    """What the submitted form holds for `name` (a password manager's autofill or text typed
    before the page was live never reached on_change), else the state's own value."""
    value = form.get(name) if isinstance(form, dict) else None
    return str(value)[:limit] if isinstance(value, str) and value else current


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
    # Step 2: the mail went to `sent_to`; the person types its code (or opens its link).
    step: str = "form"
    sent_to: str = ""
    code: str = ""
    code_error: str = ""
    outbox_hint: str = ""  # development without a mail transport: where the mail is

    @rx.var
    def strength_label(self) -> str:
        return STRENGTH_LABELS[self.strength] if self.password else ""

    @rx.var
    def login_href(self) -> str:
        return _with_next("/login", _safe_next(self.router.url.query_parameters.get("next"), ""))

    def _check(self, field: str) -> None:
        """Re-validates one field and replaces (or removes) its message."""
        def terms() -> None:
            if not self.accepted_terms:
                raise InvalidInput("accepted_terms", "Нужно согласие с условиями сервиса")

        checks = {
            "full_name": lambda: identity.check_full_name(self.full_name),
            "email": lambda: identity.check_email(self.email),
            "phone": lambda: identity.check_phone(self.phone),
            "password": lambda: passwords.check_password(self.password, self.email),
            "accepted_terms": terms,
        }
        errors = dict(self.errors)
        errors.pop(field, None)
        errors.pop("form", None)
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
            self.strength = passwords.password_strength(self.password, self.email)
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
        if "accepted_terms" in self.errors:
            self._check("accepted_terms")

    @rx.event
    async def submit(self, form: dict):
        for field in ("full_name", "email", "phone", "password"):
            setattr(self, field, _typed(form, field, getattr(self, field), 320))
        for field in SIGNUP_FIELDS:
            self._check(field)
        if self.errors:
            return
        self.submitting = True
        yield
        auth = await self.get_state(AuthState)
        try:
            next_path, client = _safe_next(self.router.url.query_parameters.get("next"), ""), auth._client()
            self.sent_to = run_use_case(lambda s, fx: signup.do_request_sign_up(
                s, fx, email=self.email, password=self.password, full_name=self.full_name,
                phone=self.phone, role=self.role, accepted_terms=self.accepted_terms,
                next_path=next_path, client=client))
            outbox = file_outbox() if get_settings().environment == "development" else None
            self.outbox_hint = str(outbox) if outbox is not None else ""
            self.password, self.strength, self.code, self.code_error = "", 0, "", ""
            self.step = "code"
        except InvalidInput as exc:
            self.errors = {**self.errors, exc.field: exc.message}
        except RateLimited as exc:
            self.errors = {**self.errors, "form": f"Слишком много регистраций с этого адреса. "
                                                  f"Попробуйте снова {_wait(exc)}"}
        finally:
            self.submitting = False

    @rx.event
    def load(self):
        """A finished sign-up leaves a fresh form for the next visit."""
        if self.step == "done":
            self.step, self.sent_to, self.errors = "form", "", {}
            self.full_name = self.email = self.phone = ""
            self.accepted_terms = False

    @rx.event
    def set_code(self, value: str):
        self.code = str(value)[:32]
        self.code_error = ""

    @rx.event
    def change_email(self):
        """Back to the form (a typo in the address, or to send the mail again)."""
        self.step, self.code, self.code_error = "form", "", ""

    @rx.event
    async def confirm_code(self, form: dict):
        self.code = _typed(form, "code", self.code, 32)
        if not self.code.strip():
            self.code_error = "Введите код из письма"
            return
        self.submitting = True
        yield
        auth = await self.get_state(AuthState)
        try:
            client = auth._client()

            def work(session, effects):
                user, next_path = signup.do_confirm_sign_up(session, email=self.sent_to, code=self.code)
                _row, token, _refresh = sessions.do_start_session(session, effects, user, client)
                return user, next_path, token
            user, next_path, token = run_use_case(work)
            self.code, self.code_error, self.step = "", "", "done"
            yield auth._signed_in_as(token, user, _safe_next(next_path, _landing(user)))
        except (InvalidInput, Conflict) as exc:
            self.code_error = exc.message
        finally:
            self.submitting = False


class SignupConfirmState(rx.State):
    """/signup/confirm?token=…: the link from the sign-up mail."""

    error: str = ""

    @rx.event
    async def load(self):
        token = self.router.url.query_parameters.get("token", "")
        auth = await self.get_state(AuthState)
        try:
            client = auth._client()

            def work(session, effects):
                user, next_path = signup.do_confirm_sign_up(session, token=token)
                _row, session_token, _refresh = sessions.do_start_session(session, effects, user, client)
                return user, next_path, session_token
            user, next_path, session_token = run_use_case(work)
            self.error = ""
            return auth._signed_in_as(session_token, user, _safe_next(next_path, _landing(user)))
        except (InvalidInput, Conflict) as exc:
            self.error = exc.message


class LoginState(rx.State):
    email: str = ""
    password: str = ""
    totp_code: str = ""
    need_code: bool = False
    error: str = ""
    submitting: bool = False

    @rx.var
    def signup_href(self) -> str:
        return _with_next("/signup", _safe_next(self.router.url.query_parameters.get("next"), ""))

    @rx.event
    async def load(self):
        """Already signed in (in another tab, say): straight on to where they were going."""
        auth = await self.get_state(AuthState)
        if auth.signed_in:
            return rx.redirect(_safe_next(self.router.url.query_parameters.get("next"), "/cabinet"))
        return None

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
    async def submit(self, form: dict):
        self.email = _typed(form, "email", self.email, 320)
        self.password = _typed(form, "password", self.password, 1024)
        self.totp_code = _typed(form, "code", self.totp_code, 32)
        self.submitting, self.error = True, ""
        yield
        auth = await self.get_state(AuthState)
        try:
            client = auth._client()

            def work(session, effects):
                user = sessions.authenticate(session, email=self.email, password=self.password,
                                             totp_code=self.totp_code or None, client=client)
                _row, token, _refresh = sessions.do_start_session(session, effects, user, client)
                return user, token
            user, token = run_use_case(work)
            self.password, self.totp_code, self.need_code = "", "", False
            yield auth._signed_in_as(token, user, _safe_next(self.router.url.query_parameters.get("next"),
                                                             _landing(user)))
        except RateLimited as exc:
            self.error = f"Слишком много попыток входа. Попробуйте снова {_wait(exc)}"
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
            run_use_case(lambda s, _fx: lifecycle.do_verify_email(s, token))
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
    async def request(self, form: dict):
        self.email = _typed(form, "email", self.email, 320)
        auth = await self.get_state(AuthState)
        try:
            client = auth._client()
            run_use_case(lambda s, fx: passwords.do_request_password_reset(s, fx, self.email, client))
        except RateLimited as exc:
            self.error = f"Слишком много запросов. Попробуйте снова {_wait(exc)}"
            return
        self.sent, self.error = True, ""  # the same answer whether or not the account exists

    @rx.event
    def confirm(self, form: dict):
        self.new_password = _typed(form, "new-password", self.new_password, 1024)
        token = self.router.url.query_parameters.get("token", "")
        try:
            run_use_case(lambda s, fx: passwords.do_reset_password(s, fx, token, self.new_password))
            self.done, self.error, self.new_password = True, "", ""
        except InvalidInput as exc:
            self.error = exc.message
