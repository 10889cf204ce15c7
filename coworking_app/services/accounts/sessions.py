"""Signing in and staying signed in: credentials (with login limits and the second
factor), UI sessions (the cookie, its one-time ticket), API tokens (access JWT, rotating
refresh token), the signed-in person behind a cookie or a token (access_user_by_*), the
person's devices, and signing out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from coworking_app.db import DriverStatement, get_cache_redis
from coworking_app.effects import Effects
from coworking_app.services.accounts import ratelimit, twofactor
from coworking_app.services.accounts.identity import ClientInfo, find_user_by_email, utcnow
from coworking_app.services.accounts.lifecycle import notify_account
from coworking_app.services.accounts.permissions import Caller
from coworking_app.services.accounts.security import (
    InvalidAccessToken,
    digest,
    issue_access_token,
    new_public_id,
    new_token,
    read_access_token,
    verify_password,
)
from coworking_app.services.admin.audit import bind_actor
from coworking_app.services.common.errors import NotAuthenticated, NotFound, SecondFactorRequired
from coworking_app.settings import get_settings
from models import AuthSession, User
from coworking_app.i18n import N_, tr

BAD_CREDENTIALS = N_("Неверный email или пароль")


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"


def _login_limits(email: str, client: ClientInfo) -> list[tuple[str, int]]:
    """Per account (few: guessing one password) and per client address (many: an office
    or a mobile network shares one address, and must not lock its people out)."""
    settings = get_settings()
    limits = [(f"login:account:{email.strip().lower()[:254]}", settings.login_attempts_per_window)]
    if client.ip:
        limits.append((f"login:ip:{client.ip}", settings.login_attempts_per_ip))
    return limits


def authenticate(session: Session, *, email: str, password: str, totp_code: str | None = None,
                 client: ClientInfo = ClientInfo()) -> User:
    """The user for these credentials, or NotAuthenticated / RateLimited /
    SecondFactorRequired. Every attempt is counted (per account and per client address)
    before the password is checked, atomically: concurrent guesses cannot pass the limit,
    and once it is reached even the right password waits for the window to end. A success
    clears the account's count and gives back the address's."""
    settings = get_settings()
    limits = _login_limits(email or "", client)
    keys = [key for key, _limit in limits]
    ratelimit.do_take(limits, window_seconds=settings.login_window_seconds,
                      message=tr("Слишком много попыток входа"))
    user = find_user_by_email(session, email or "") if email and len(email) <= 254 else None
    if not verify_password(password or "", user.password_hash if user else None) \
            or user is None or not user.is_active:
        raise NotAuthenticated(BAD_CREDENTIALS)
    if user.totp_enabled:
        try:
            twofactor.check_second_factor(session, user, totp_code)
        except SecondFactorRequired:
            ratelimit.do_give_back(keys)  # the right password; the code is asked next
            raise
    ratelimit.do_clear(keys[:1])
    ratelimit.do_give_back(keys[1:])
    return user


def do_start_session(session: Session, effects: Effects, user: User, client: ClientInfo = ClientInfo(),
                     *, with_refresh: bool = False) -> tuple[AuthSession, str, str | None]:
    """(row, session token, refresh token or None). Only digests are stored."""
    now = utcnow()
    token = new_token()
    public_id = new_public_id()
    refresh = _new_refresh_token(public_id) if with_refresh else None
    row = AuthSession(
        user_id=user.id, public_id=public_id, token_hash=digest(token),
        refresh_hash=digest(refresh) if refresh else None,
        user_agent=(client.user_agent or "")[:255], ip=(client.ip or "")[:64],
        last_seen_at=now, expires_at=now + timedelta(days=get_settings().session_days),
    )
    known_device = session.scalars(select(AuthSession.id).where(
        AuthSession.user_id == user.id, AuthSession.user_agent == row.user_agent).limit(1)).first()
    session.add(row)
    session.flush()
    if known_device is None and user.created_at is not None and now - user.created_at > timedelta(minutes=5):
        # A browser this person has not used before (not right after sign-up).
        notify_account(session, effects, user, "new_sign_in",
                       {"device": row.user_agent[:120] or tr("неизвестное устройство"), "ip": row.ip or "—"})
    return row, token, refresh


def _new_refresh_token(public_id: str) -> str:
    """`<session public id>.<random>`: the first part lets a rotated token that comes back
    be recognised as its session's (do_refresh_tokens)."""
    return f"{public_id}.{new_token()}"


def do_sign_in_api(session: Session, effects: Effects, user: User,
                   client: ClientInfo = ClientInfo()) -> TokenPair:
    row, _token, refresh = do_start_session(session, effects, user, client, with_refresh=True)
    access, lifetime = issue_access_token(user.id, row.public_id)
    return TokenPair(access_token=access, refresh_token=refresh, expires_in=lifetime)


def _live(row: AuthSession | None, now: datetime) -> bool:
    return row is not None and row.revoked_at is None and row.expires_at > now


def _touch(row: AuthSession, now: datetime) -> None:
    """Sliding expiry, written at most once a minute per session."""
    if now - row.last_seen_at > timedelta(minutes=1):
        row.last_seen_at = now
        row.expires_at = now + timedelta(days=get_settings().session_days)


def access_user_by_session_token(session: Session, token: str | None) -> tuple[User, AuthSession]:
    """The signed-in user of a UI session cookie, or NotAuthenticated."""
    now = utcnow()
    if not token or len(token) > 200:
        raise NotAuthenticated()
    row = session.scalars(select(AuthSession).where(AuthSession.token_hash == digest(token))).first()
    if not _live(row, now):
        raise NotAuthenticated(tr("Сессия истекла, войдите снова"))
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated()
    _touch(row, now)
    bind_actor(session, user)
    return user, row


def access_user_by_access_token(session: Session, token: str | None) -> tuple[User, AuthSession]:
    """The user of an API bearer token and its session row; the session must still be live."""
    user, row = _live_token(session, token,
                            lambda params: session.execute(_LIVE_USER_AND_SESSION, params).first())
    return user, row


def access_user_by_bearer(session: Session, token: str | None) -> User:
    """The same check for routes that need only the user: the session row is not loaded
    (half the CPU of the check, measured)."""
    return _live_token(session, token, lambda params: session.execute(_LIVE_USER, params).first())[0]


def access_caller_by_bearer(session: Session, token: str | None) -> Caller:
    """The same check as access_user_by_bearer, for the busiest route (POST /bookings)."""
    def load(params: dict) -> tuple[Caller] | None:
        row = _LIVE_CALLER.execute(session, params).fetchone()
        return None if row is None else (Caller(*row),)

    return _live_token(session, token, load)[0]


# The token's session is live (not revoked, not expired), belongs to the token's user, and
# the user is active: checked by the statement that loads them.
_LIVE_WHERE = (AuthSession.public_id == bindparam("sid"), AuthSession.user_id == bindparam("uid"),
               AuthSession.revoked_at.is_(None), AuthSession.expires_at > bindparam("now"),
               User.is_active.is_(True))
_LIVE_USER = select(User).join(AuthSession, AuthSession.user_id == User.id).where(*_LIVE_WHERE)
_LIVE_USER_AND_SESSION = (select(User, AuthSession).join(AuthSession, AuthSession.user_id == User.id)
                          .where(*_LIVE_WHERE))
_LIVE_CALLER = DriverStatement(select(User.id, User.email_verified_at)
                               .join(AuthSession, AuthSession.user_id == User.id).where(*_LIVE_WHERE))


def token_user_id(token: str | None) -> int | None:
    """Whose access token this is, by its signature alone (no query), or None: a request's
    unit of work names them as the actor from its first statement (coworking_app/uow.py),
    so that the audit settings are sent once; the token check (access_user_by_*) then
    confirms that the token's session is live."""
    try:
        user_id, _session_id = read_access_token(token or "")
    except InvalidAccessToken:
        return None
    return user_id if 0 < user_id < 2**31 else None


def _live_token(session: Session, token: str | None, load) -> tuple:
    """The row that `load(params)` reads (a statement with _LIVE_WHERE) for a valid token of
    a live session, the user first, with the user named as the actor of the transaction's
    writes; NotAuthenticated otherwise."""
    try:
        user_id, session_id = read_access_token(token or "")
    except InvalidAccessToken as exc:
        raise NotAuthenticated(tr("Токен доступа недействителен или истёк: войдите снова")) from exc
    row = load({"sid": session_id, "uid": user_id, "now": utcnow()}) if 0 < user_id < 2**31 else None
    if row is None:
        raise NotAuthenticated(tr("Сессия завершена или истекла: войдите снова"))
    bind_actor(session, row[0])
    return row


def do_refresh_tokens(session: Session, refresh_token: str) -> TokenPair:
    """A new access token and a rotated refresh token; the old refresh token dies. A
    rotated (spent) token presented again means two holders, one of them a thief: the
    whole session ends, on every device that shares it (OAuth 2.0 Security BCP,
    refresh token reuse detection)."""
    now = utcnow()
    refresh_token = (refresh_token or "")[:200]
    row = session.scalars(
        select(AuthSession).where(AuthSession.refresh_hash == digest(refresh_token))
        .with_for_update()
    ).first()
    if row is None:
        public_id, dot, _secret = refresh_token.partition(".")
        spent = session.scalars(
            select(AuthSession).where(AuthSession.public_id == public_id,
                                      AuthSession.refresh_hash.is_not(None)).with_for_update()
        ).first() if dot and public_id else None
        if spent is not None and spent.revoked_at is None:
            spent.revoked_at = now
            raise NotAuthenticated(tr("Этот refresh-токен уже использован: сессия завершена, войдите снова")) \
                .keeping_changes()
        raise NotAuthenticated(tr("Токен обновления недействителен или истёк: войдите снова"))
    if not _live(row, now):
        raise NotAuthenticated(tr("Токен обновления недействителен или истёк: войдите снова"))
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated()
    refresh = _new_refresh_token(row.public_id)
    row.refresh_hash = digest(refresh)
    row.last_seen_at, row.expires_at = now, now + timedelta(days=get_settings().session_days)
    access, lifetime = issue_access_token(user.id, row.public_id)
    return TokenPair(access_token=access, refresh_token=refresh, expires_in=lifetime)


def do_sign_out(session: Session, row: AuthSession) -> None:
    if row.revoked_at is None:
        row.revoked_at = utcnow()


def do_sign_out_by_token(session: Session, token: str | None) -> None:
    """Ends the session of a UI cookie, if it is still live (the sign-out endpoint)."""
    if token and len(token) <= 200:
        row = session.scalars(select(AuthSession).where(AuthSession.token_hash == digest(token))).first()
        if row is not None:
            do_sign_out(session, row)


# The UI session cookie is HttpOnly, so page scripts never see the token: the sign-in
# handler (on the server) parks it in Redis under a one-time ticket, and the page trades
# the ticket for the cookie at POST /api/v1/auth/ui-session (api/auth.py).
SESSION_COOKIE = "cospace_session"
COOKIE_TICKET_SECONDS = 60
_TICKET_PREFIX = "ui-ticket:"


def do_issue_cookie_ticket(token: str) -> str:
    ticket = new_token()
    get_cache_redis().set(_TICKET_PREFIX + digest(ticket), token, ex=COOKIE_TICKET_SECONDS)
    return ticket


def do_take_cookie_ticket(ticket: str | None) -> str:
    """The session token a ticket stands for, once; NotAuthenticated for a used, expired
    or unknown ticket."""
    if not ticket or len(ticket) > 200:
        raise NotAuthenticated(tr("Вход устарел, войдите снова"))
    token = get_cache_redis().getdel(_TICKET_PREFIX + digest(ticket))
    if not token:
        raise NotAuthenticated(tr("Вход устарел, войдите снова"))
    return token.decode() if isinstance(token, bytes) else str(token)


def do_sign_out_everywhere(session: Session, user: User, *, except_session_id: int | None = None) -> int:
    query = update(AuthSession).where(
        AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None)
    )
    if except_session_id is not None:
        query = query.where(AuthSession.id != except_session_id)
    return session.execute(query.values(revoked_at=utcnow())).rowcount


def list_sessions(session: Session, user: User) -> list[AuthSession]:
    now = utcnow()
    return list(session.scalars(
        select(AuthSession)
        .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None),
               AuthSession.expires_at > now)
        .order_by(AuthSession.last_seen_at.desc())
    ))


def access_session_of_user(session: Session, user: User, session_id: int) -> AuthSession:
    """One of the user's own sessions; another user's id is simply not found."""
    row = session.get(AuthSession, session_id)
    if row is None or row.user_id != user.id:
        raise NotFound(tr("Сессия не найдена"))
    return row
