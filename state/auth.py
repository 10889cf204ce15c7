"""Who is signed in. The session token lives in a strict same-site cookie; every protected
handler re-validates it on the server through the accounts service (page guards are only
cosmetic)."""

from __future__ import annotations

import reflex as rx
from pydantic import ValidationError
from sqlmodel import Session

from coworking_app.services.accounts import ClientInfo, access_user_by_session_token, do_sign_out
from coworking_app.services.errors import NotAuthenticated, ServiceError
from coworking_app.services.validation import first_message
from coworking_app.settings import get_settings
from models import User

COOKIE = "cw_session"
PROTECTED_PREFIXES = ("/cabinet", "/owner", "/checkout", "/inbox", "/admin")


class AuthState(rx.State):
    session_token: str = rx.Cookie(
        "", name=COOKIE, path="/", same_site="strict",
        max_age=get_settings().session_days * 24 * 3600,
        secure=get_settings().base_url.startswith("https://"),
    )
    signed_in: bool = False
    user_name: str = ""
    user_email: str = ""
    is_owner: bool = False
    is_staff: bool = False  # operator or admin: moderation
    email_verified: bool = True

    def _client(self) -> ClientInfo:
        headers = self.router.headers
        return ClientInfo(ip=self.router.session.client_ip or "",
                          user_agent=(headers.user_agent or "")[:255])

    def _user(self, session: Session) -> User:
        """The signed-in user, checked against the database now; NotAuthenticated else."""
        user, _row = access_user_by_session_token(session, self.session_token)
        return user

    def _show(self, user: User | None) -> None:
        self.signed_in = user is not None
        self.user_name = user.full_name if user else ""
        self.user_email = user.email if user else ""
        self.is_owner = bool(user and user.has_role("owner", "admin"))
        self.is_staff = bool(user and user.has_role("operator", "admin"))
        self.email_verified = bool(user is None or user.email_verified_at is not None)

    def _signed_in_as(self, token: str, user: User) -> None:
        self.session_token = token
        self._show(user)

    @rx.event
    def load_user(self):
        """on_load of every page: fill the header; send strangers away from private pages."""
        from coworking_app.db import session_scope

        with session_scope() as session:
            try:
                self._show(self._user(session))
                return None
            except NotAuthenticated:
                self._show(None)
        path = self.router.url.path
        if path.startswith(PROTECTED_PREFIXES):
            return rx.redirect(f"/login?next={path}")
        return None

    @rx.event
    def sign_out(self):
        from coworking_app.db import session_scope

        with session_scope() as session:
            try:
                _user, row = access_user_by_session_token(session, self.session_token)
                do_sign_out(session, row)
            except NotAuthenticated:
                pass
        self.session_token = ""
        self._show(None)
        return rx.redirect("/")


def act_as(token: str, work):
    """Runs `work(session, user)` in one transaction (retried on serialization failures) as
    the person signed in with this cookie token; ServiceError when they may not."""
    from coworking_app.db import run_in_transaction

    def run(session: Session):
        user, _row = access_user_by_session_token(session, token)
        return work(session, user)
    return run_in_transaction(run)


def invalid(exc: ValidationError) -> str:
    """What a form shows for input its model refused: the first problem, in Russian,
    without the parameter name (services/validation.py is the one place for the text)."""
    return first_message(exc.errors())


def refusal(exc: ServiceError) -> str:
    """What a form shows for a refused action."""
    if isinstance(exc, NotAuthenticated):
        return "Войдите снова"
    return getattr(exc, "message", str(exc))
