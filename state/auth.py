"""Who is signed in. The session token lives in an HttpOnly, strict same-site cookie that
page scripts can neither read nor write: the server sets it (api/auth.py, from a one-time
ticket the sign-in handler issues) and reads it from the headers of the page's websocket
connection. A tab that signs in keeps its token on the server (a backend var, never sent
to the page) until its connection is renewed, since the connection it has was opened
before the cookie existed. Every protected handler re-validates it on the server through
the accounts service (page guards are only cosmetic)."""

from __future__ import annotations

import logging
from http.cookies import SimpleCookie
from urllib.parse import quote

import reflex as rx
from reflex.state import OnLoadInternalState
from pydantic import ValidationError
from sqlmodel import Session

from coworking_app import i18n, observability
from coworking_app.services.accounts.sessions import (
    SESSION_COOKIE,
    access_user_by_session_token,
    do_issue_cookie_ticket,
    do_sign_out,
)
from coworking_app.services.accounts.identity import ClientInfo, do_update_profile
from coworking_app.services.common.errors import NotAuthenticated
from coworking_app.services.accounts.security import client_address, new_token
from coworking_app.services.common.validation import first_message
from coworking_app.uow import run_use_case
from models import User
from state.lang import LanguageState, html_lang_script
from coworking_app.i18n import tr

log = logging.getLogger(__name__)

COOKIE = SESSION_COOKIE
SIGNED_OUT_KEY = "cospace-signed-out"  # localStorage: a tab signed out (pages/session.py)
PROTECTED_PREFIXES = ("/cabinet", "/owner", "/checkout", "/inbox", "/admin", "/telegram", "/company")


def client_of(router) -> ClientInfo:
    """The address and browser of the tab behind `router` (a state's `self.router`)."""
    headers = router.headers
    peer = headers.raw_headers.get("asgi-scope-client") or router.session.client_ip or ""
    return ClientInfo(ip=client_address(peer, headers.raw_headers.get("x-forwarded-for", "")),
                      user_agent=(headers.user_agent or "")[:255])


def login_url(path: str) -> str:
    """/login that comes back to `path` (a local path, with its query) once signed in."""
    return "/login?next=" + quote(path or "/", safe="/")


def _cookie(header: str, name: str) -> str:
    jar = SimpleCookie()
    try:
        jar.load(header or "")
    except Exception:  # noqa: BLE001  (a malformed Cookie header is no session)
        return ""
    morsel = jar.get(name)
    return morsel.value if morsel is not None else ""


class SessionEnded(Exception):
    """The person's session ended while a page was open (signed out in another tab or on
    another device, expired). Raised by state.page for a use case run as the person; the
    app's backend exception handler
    (on_backend_exception) sends the person to /login?next=<the page>."""


class AuthState(rx.State):
    signed_in: bool = False
    user_name: str = ""
    user_email: str = ""
    is_owner: bool = False
    is_staff: bool = False  # operator or admin: moderation
    email_verified: bool = True
    # After sign-in: a one-time ticket the page trades for the HttpOnly cookie. After
    # sign-out: `end_nonce` changes, the page has the cookie cleared and tells the
    # browser's other tabs. (pages/session.py does both.)
    cookie_ticket: str = ""
    end_nonce: str = ""
    # Backend only: the token of a sign-in made on this connection, and the connection.
    _session_token: str = ""
    _token_connection: str = ""
    _language: str = ""  # the signed-in person's setting

    @rx.var
    def login_href(self) -> str:
        """The header's "Войти": back to this page afterwards."""
        path = self.router.url.path.rstrip("/")
        if path in ("", "/login", "/signup", "/signup/confirm", "/reset-password", "/verify-email"):
            return "/login"
        return login_url(self._here())

    @property
    def session_token(self) -> str:
        """The session of this tab: one signed in on its current connection, else the
        cookie the browser sent when the connection was opened."""
        if self._session_token and self._token_connection == self.router.session.session_id:
            return self._session_token
        return _cookie(self.router.headers.cookie, COOKIE)

    def _here(self) -> str:
        """This page's path and query. Without a trailing slash: a page loaded from the
        server is at /cabinet/ until the router rewrites it to /cabinet, and an event sent
        in between must not send the person to /login?next=/cabinet/."""
        url = self.router.url
        return (url.path.rstrip("/") or "/") + (f"?{url.query}" if url.query else "")

    def _client(self) -> ClientInfo:
        return client_of(self.router)

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
        self._language = user.language if user else ""

    def _signed_in_as(self, token: str, user: User, go_to: str):
        """After a successful sign-in (session `token` started and committed): the page
        sets the cookie; on to `go_to` (return this)."""
        self._show(user)
        self._session_token, self._token_connection = token, self.router.session.session_id
        self.cookie_ticket = do_issue_cookie_ticket(token)
        return rx.redirect(go_to)

    def _signed_out(self, go_to: str = "/"):
        """After the session was ended on the server: the page clears the cookie; on to
        `go_to` (return this)."""
        self._show(None)
        self._session_token = self._token_connection = ""
        self.cookie_ticket, self.end_nonce = "", new_token()[:16]
        return rx.redirect(go_to)

    def _away_from_private(self):
        if self._here().startswith(PROTECTED_PREFIXES):
            return rx.redirect(login_url(self._here()))
        return None

    @rx.event
    async def load_user(self):
        """on_load of every page: fill the header; send strangers away from private pages;
        the tab's language (state/lang.py)."""
        away = self._refresh()
        language = (await self.get_state(LanguageState)).decide(
            self._language or None, self.router.headers.accept_language)
        return [html_lang_script(language), *([away] if away else [])]

    @rx.event
    async def switch_language(self, language: str):
        """The header's switcher: the tab's language now (the page's texts at once, what its
        handlers made loaded again with its filters kept), the cookie, the person's setting."""
        language = language if language in i18n.LANGUAGES else i18n.DEFAULT
        chosen = await self.get_state(LanguageState)
        chosen.lang = chosen.chosen = i18n.set_language(language)
        if self.signed_in:
            try:
                run_use_case(lambda session, _effects: do_update_profile(
                    session, self._user(session), language=language))
                self._language = language
            except NotAuthenticated:
                self._show(None)
        return [html_lang_script(language), OnLoadInternalState.on_load_internal]

    def _recheck(self):
        """A page whose session has ended stops showing private data and goes to sign-in."""
        return self._refresh() if self.signed_in else None

    def _refresh(self):
        """Who is signed in, read again; a redirect to sign-in from a private page if nobody."""
        try:
            run_use_case(lambda session, _effects: self._show(self._user(session)))
            return None
        except NotAuthenticated:
            self._show(None)
        return self._away_from_private()

    @rx.event
    def tab_shown(self, hidden: bool):
        """The tab came back into view (the session may have ended meanwhile)."""
        return None if hidden else self._recheck()

    @rx.event
    def storage_changed(self, key: str, _old: str, _new: str, _url: str):
        """Another tab of this browser signed out (pages/session.py)."""
        return self._recheck() if key == SIGNED_OUT_KEY else None

    @rx.event
    def session_ended(self):
        """A handler of this page found the session over (SessionEnded)."""
        self._show(None)
        return rx.redirect(login_url(self._here()))

    @rx.event
    def sign_out(self):
        try:
            run_use_case(lambda session, _effects: do_sign_out(
                session, access_user_by_session_token(session, self.session_token)[1]))
        except NotAuthenticated:
            pass
        return self._signed_out("/")


def on_backend_exception(exception: Exception):
    """The app's backend exception handler: an ended session goes to sign-in; anything
    else goes to Sentry and the log, and the person gets a toast in Russian (Reflex's own
    says "An error occurred. Contact the website administrator.")."""
    if isinstance(exception, SessionEnded):
        return AuthState.session_ended()
    observability.report(exception)  # before the log line, which would be the event without context
    log.error("Unhandled %s in a page's event handler", type(exception).__name__, exc_info=exception)
    return rx.toast.error(tr("Что-то пошло не так. Мы уже разбираемся — попробуйте ещё раз."),
                          id="backend_error", position="top-center")


def invalid(exc: ValidationError) -> str:
    """What a form shows for input its model refused: the first problem, in Russian,
    without the parameter name (services/common/validation.py is the one place for the text)."""
    return first_message(exc.errors())
