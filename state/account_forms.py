"""Sign-up, sign-in, email verification and password reset forms (thin: the accounts
service validates and decides)."""

from __future__ import annotations

import math
from urllib.parse import quote

import reflex as rx

from coworking_app.services.accounts import identity, lifecycle, passwords, sessions, signup
from coworking_app.services.accounts.identity import ClientInfo
from coworking_app.services.common.errors import InvalidInput, RateLimited, SecondFactorRequired
from coworking_app.services.messaging.mailer import file_outbox
from coworking_app.settings import get_settings
from models import User
from state.page import PageState
from coworking_app.i18n import N_, tr

STRENGTH_LABELS = [N_("Слишком простой"), N_("Слабый"), N_("Средний"), N_("Хороший"), N_("Надёжный")]
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
    return tr("через {ceil} мин.", ceil=math.ceil(exc.retry_after / 60))


def _confirmed(session, effects, client: ClientInfo, **proof: str) -> tuple[User, str, str]:
    """A sign-up confirmed by its code or its link, and the new person signed in."""
    user, next_path = signup.do_confirm_sign_up(session, **proof)
    _row, token, _refresh = sessions.do_start_session(session, effects, user, client)
    return user, next_path, token


def _with_next(path: str, next_path: str) -> str:
    return f"{path}?next={quote(next_path, safe='/')}" if next_path else path


def _typed(form: dict, name: str, current: str, limit: int) -> str:
    """What the submitted form holds for `name` (a password manager's autofill or text typed
    before the page was live never reached on_change), else the state's own value."""
    value = form.get(name) if isinstance(form, dict) else None
    return str(value)[:limit] if isinstance(value, str) and value else current


class SignupState(PageState):
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

    @rx.var(cache=False)  # worded in the tab's language
    def strength_label(self) -> str:
        return tr(STRENGTH_LABELS[self.strength]) if self.password else ""

    @rx.var
    def login_href(self) -> str:
        return _with_next("/login", _safe_next(self.router.url.query_parameters.get("next"), ""))

    def _check(self, field: str) -> None:
        """Re-validates one field and replaces (or removes) its message."""
        def terms() -> None:
            if not self.accepted_terms:
                raise InvalidInput("accepted_terms", tr("Нужно согласие с условиями сервиса"))

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
        next_path = _safe_next(self.router.url.query_parameters.get("next"), "")
        client = (await self._auth())._client()
        email, password, full_name, phone = self.email, self.password, self.full_name, self.phone
        role, accepted_terms = self.role, self.accepted_terms
        done = self._run(lambda s, fx: signup.do_request_sign_up(
            s, fx, email=email, password=password, full_name=full_name, phone=phone, role=role,
            accepted_terms=accepted_terms, next_path=next_path, client=client))
        self.submitting = False
        if isinstance(done.reason, RateLimited):
            self.errors = {**self.errors, "form": tr("Слишком много регистраций с этого адреса. Попробуйте снова {wait}", wait=_wait(done.reason))}
        elif not done.ok:
            self.errors = {**self.errors, **done.errors}
        else:
            self.sent_to = done.value
            outbox = file_outbox() if get_settings().environment == "development" else None
            self.outbox_hint = str(outbox) if outbox is not None else ""
            self.password, self.strength, self.code, self.code_error = "", 0, "", ""
            self.step = "code"

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
            self.code_error = tr("Введите код из письма")
            return
        self.submitting = True
        yield
        auth = await self._auth()
        client, email, code = auth._client(), self.sent_to, self.code
        done = self._run(lambda s, fx: _confirmed(s, fx, client, email=email, code=code))
        self.submitting = False
        if not done.ok:
            self.code_error = done.message
            return
        user, next_path, token = done.value
        self.code, self.code_error, self.step = "", "", "done"
        yield auth._signed_in_as(token, user, _safe_next(next_path, _landing(user)))


class SignupConfirmState(PageState):
    """/signup/confirm?token=…: the link from the sign-up mail."""

    error: str = ""

    @rx.event
    async def load(self):
        token = self.router.url.query_parameters.get("token", "")
        auth = await self._auth()
        client = auth._client()
        done = self._run(lambda s, fx: _confirmed(s, fx, client, token=token))
        self.error = done.message
        if not done.ok:
            return None
        user, next_path, session_token = done.value
        return auth._signed_in_as(session_token, user, _safe_next(next_path, _landing(user)))


class LoginState(PageState):
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
        auth = await self._auth()
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
        auth = await self._auth()
        client, email, password, code = auth._client(), self.email, self.password, self.totp_code or None

        def work(session, effects):
            user = sessions.authenticate(session, email=email, password=password, totp_code=code, client=client)
            _row, token, _refresh = sessions.do_start_session(session, effects, user, client)
            return user, token
        # (a wrong password is NotAuthenticated: a refusal here, not an ended session)
        done = self._run(work)
        self.submitting = False
        if isinstance(done.reason, RateLimited):
            self.error = tr("Слишком много попыток входа. Попробуйте снова {wait}", wait=_wait(done.reason))
        elif isinstance(done.reason, SecondFactorRequired):
            self.need_code = True
            self.error = tr("Введите код из приложения-аутентификатора или резервный код")
        elif not done.ok:
            self.error = done.message
        else:
            user, token = done.value
            self.password, self.totp_code, self.need_code = "", "", False
            yield auth._signed_in_as(token, user, _safe_next(self.router.url.query_parameters.get("next"),
                                                             _landing(user)))


class VerifyEmailState(PageState):
    done: bool = False
    error: str = ""

    @rx.event
    def load(self):
        token = self.router.url.query_parameters.get("token", "")
        done = self._run(lambda s, _fx: lifecycle.do_verify_email(s, token))
        self.done, self.error = done.ok, done.message


class ResetState(PageState):
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
        client, email = (await self._auth())._client(), self.email
        done = self._run(lambda s, fx: passwords.do_request_password_reset(s, fx, email, client))
        if isinstance(done.reason, RateLimited):
            self.error = tr("Слишком много запросов. Попробуйте снова {wait}", wait=_wait(done.reason))
            return
        self.sent, self.error = True, ""  # the same answer whether or not the account exists

    @rx.event
    def confirm(self, form: dict):
        self.new_password = _typed(form, "new-password", self.new_password, 1024)
        token, new_password = self.router.url.query_parameters.get("token", ""), self.new_password
        done = self._run(lambda s, fx: passwords.do_reset_password(s, fx, token, new_password))
        self.error = done.message
        if done.ok:
            self.done, self.new_password = True, ""
