"""Accounts: sign-up, sign-in, sessions, API tokens, password reset, email verification.

Every function takes the database session; Reflex handlers and REST routes only adapt.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from coworking_app.db import DriverStatement
from coworking_app.services import notifications, ratelimit
from coworking_app.services.audit import bind_actor
from coworking_app.services.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from coworking_app.services.outbox import do_queue_email
from coworking_app.services.text import has_bad_chars
from coworking_app.services.security import (
    InvalidAccessToken,
    digest,
    hash_password,
    issue_access_token,
    new_token,
    read_access_token,
    verify_password,
)
from coworking_app.settings import get_settings
from models import STAFF_ROLES, AuthSession, OneTimeToken, Role, TokenPurpose, User

SIGN_UP_ROLES = (Role.renter, Role.owner)
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256  # Argon2 takes any length; this bounds the work an attacker buys
BAD_CREDENTIALS = "Неверный email или пароль"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class ClientInfo:
    """Where a request comes from, for rate limits and the list of devices."""

    ip: str = ""
    user_agent: str = ""


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"


# --- validation ---------------------------------------------------------------------


def check_email(email: str) -> str:
    """The normalised address (domain lower-cased) or InvalidInput("email")."""
    email = (email or "").strip()
    if not email:
        raise InvalidInput("email", "Укажите email")
    if len(email) > 254:
        raise InvalidInput("email", "Слишком длинный email")
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidInput("email", _email_problem(str(exc))) from exc


def _email_problem(english: str) -> str:
    """email_validator explains in English; a person reads one of these."""
    if "must have an @-sign" in english or "small commercial at" in english:
        return "В адресе нет символа @: проверьте email"
    if "something before the @-sign" in english:
        return "Перед @ ничего нет: проверьте email"
    if "something after the @-sign" in english or "should have a period" in english \
            or "top-level domain" in english:
        return "После @ должен быть домен, например mail.ru"
    if "too long" in english:
        return "Слишком длинный email"
    if "two periods" in english or "period" in english:
        return "Лишняя точка в адресе: проверьте email"
    if "character" in english or "ASCII" in english:
        return "В адресе недопустимые символы: проверьте email"
    return "Некорректный email: проверьте адрес"


def check_phone(phone: str | None) -> str | None:
    """E.164 (+79123456789) or None when empty; Russian numbers may start with 8."""
    phone = (phone or "").strip()
    if not phone:
        return None
    if len(phone) > 32:
        raise InvalidInput("phone", "Слишком длинный номер")
    try:
        parsed = phonenumbers.parse(phone, "RU")
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput("phone", "Не похоже на номер телефона") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidInput("phone", "Такого номера не существует: проверьте цифры")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def check_full_name(full_name: str) -> str:
    name = " ".join((full_name or "").split())
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    if len(name) < 2:
        raise InvalidInput("full_name", "Укажите имя")
    if len(name) > 120:
        raise InvalidInput("full_name", "Не длиннее 120 символов")
    return name


@lru_cache
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def _is_trivial(password: str) -> bool:
    lowered = password.lower()
    if len(set(lowered)) <= 2:
        return True
    steps = {ord(b) - ord(a) for a, b in zip(lowered, lowered[1:])}
    return steps <= {1} or steps <= {-1}  # abcdefghij, 9876543210


def check_password(password: str, email: str = "") -> None:
    """InvalidInput("password") unless the password is long, not the email, not common."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("password", f"Не короче {MIN_PASSWORD_LENGTH} символов")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput("password", f"Не длиннее {MAX_PASSWORD_LENGTH} символов")
    lowered = password.strip().lower()
    email = (email or "").strip().lower()
    if email and (lowered == email or lowered == email.split("@")[0]):
        raise InvalidInput("password", "Пароль не должен совпадать с email")
    if lowered in _common_passwords() or _is_trivial(password):
        raise InvalidInput("password", "Этот пароль слишком распространён, придумайте другой")


def password_strength(password: str, email: str = "") -> int:
    """0 (unacceptable) .. 4 (strong), for the meter under the password field."""
    try:
        check_password(password, email)
    except InvalidInput:
        return 0
    classes = sum(bool(re.search(p, password)) for p in (r"[a-zа-яё]", r"[A-ZА-ЯЁ]", r"\d", r"[^\w\s]"))
    score = 1 + (len(password) >= 14) + (classes >= 3) + (len(password) >= 18 or classes == 4)
    return min(4, score)


# --- sign-up and email verification --------------------------------------------------


def find_user_by_email(session: Session, email: str) -> User | None:
    if has_bad_chars(email):  # no such address can exist (and PostgreSQL cannot hold NUL)
        return None
    return session.scalars(
        select(User).where(func.lower(User.email) == email.strip().lower())
    ).first()


def do_register(
    session: Session,
    *,
    email: str,
    password: str,
    full_name: str,
    phone: str | None = None,
    role: str = Role.renter.value,
    accepted_terms: bool = True,
) -> User:
    """A new renter or owner. Conflict("email") if the address is taken (any case)."""
    email = check_email(email)
    full_name = check_full_name(full_name)
    phone = check_phone(phone)
    check_password(password, email)
    if role not in {r.value for r in SIGN_UP_ROLES}:
        raise InvalidInput("role", "Выберите: арендатор или владелец")
    if not accepted_terms:
        raise InvalidInput("accepted_terms", "Нужно согласие с условиями сервиса")
    if find_user_by_email(session, email):
        raise Conflict("email", "Этот email уже зарегистрирован")
    user = User(email=email, full_name=full_name, phone=phone,
                password_hash=hash_password(password), roles=[role],
                password_changed_at=utcnow())
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # a concurrent sign-up with the same email won the race
        raise Conflict("email", "Этот email уже зарегистрирован") from exc
    do_send_email_verification(session, user)
    return user


def do_create_staff(session: Session, *, email: str, password: str, full_name: str,
                    role: Role = Role.admin) -> User:
    """Operators and admins (CLI `create-admin`, or an admin in the panel)."""
    email = check_email(email)
    check_password(password, email)
    user = find_user_by_email(session, email)
    if user is None:
        user = User(email=email, full_name=check_full_name(full_name), roles=[role.value],
                    password_hash=hash_password(password), email_verified_at=utcnow(),
                    password_changed_at=utcnow())
        session.add(user)
    elif role.value not in user.roles:
        user.roles = [*user.roles, role.value]
    session.flush()
    return user


def _issue_one_time_token(session: Session, user: User, purpose: TokenPurpose,
                          lifetime: timedelta) -> str:
    token = new_token()
    session.add(OneTimeToken(user_id=user.id, purpose=purpose.value, token_hash=digest(token),
                             expires_at=utcnow() + lifetime))
    session.flush()
    return token


def _consume_one_time_token(session: Session, token: str, purpose: TokenPurpose) -> OneTimeToken:
    row = session.scalars(
        select(OneTimeToken)
        .where(OneTimeToken.token_hash == digest(token or ""), OneTimeToken.purpose == purpose.value)
        .with_for_update()
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise InvalidInput("token", "Ссылка недействительна или устарела: запросите новую")
    row.used_at = utcnow()
    return row


def do_send_email_verification(session: Session, user: User) -> None:
    hours = get_settings().email_verification_hours
    token = _issue_one_time_token(session, user, TokenPurpose.verify_email, timedelta(hours=hours))
    link = f"{get_settings().base_url}/verify-email?token={token}"
    if user.language == "en":
        subject, body = ("Confirm your email for CoSpace",
                         f"Hello, {user.full_name}!\n\nConfirm your address by opening:\n{link}\n\n"
                         f"The link works for {hours} h.")
    else:
        subject, body = ("Подтвердите email в CoSpace",
                         f"Здравствуйте, {user.full_name}!\n\nПодтвердите адрес, открыв ссылку:\n{link}\n\n"
                         f"Ссылка действует {hours} ч.")
    do_queue_email(session, user, kind="verify_email", subject=subject, body=body)


def do_verify_email(session: Session, token: str) -> User:
    row = _consume_one_time_token(session, token, TokenPurpose.verify_email)
    user = session.get(User, row.user_id)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


# --- sign-in ---------------------------------------------------------------------------


def _login_keys(email: str, client: ClientInfo) -> list[str]:
    keys = [f"login:account:{email.strip().lower()[:254]}"]
    if client.ip:
        keys.append(f"login:ip:{client.ip}")
    return keys


def authenticate(session: Session, *, email: str, password: str, totp_code: str | None = None,
                 client: ClientInfo = ClientInfo()) -> User:
    """The user for these credentials, or NotAuthenticated / RateLimited /
    SecondFactorRequired. Failures count per account and per IP in Redis."""
    from coworking_app.services import twofactor  # imports accounts helpers itself

    settings = get_settings()
    keys = _login_keys(email or "", client)
    ratelimit.check_not_limited(keys, settings.login_attempts_per_window)
    user = find_user_by_email(session, email or "") if email and len(email) <= 254 else None
    if not verify_password(password or "", user.password_hash if user else None) \
            or user is None or not user.is_active:
        ratelimit.do_record_failure(keys, settings.login_window_seconds)
        raise NotAuthenticated(BAD_CREDENTIALS)
    if user.totp_enabled:
        try:
            twofactor.check_second_factor(session, user, totp_code)
        except InvalidInput:
            ratelimit.do_record_failure(keys, settings.login_window_seconds)
            raise
    ratelimit.do_clear(keys[:1])
    return user


def do_start_session(session: Session, user: User, client: ClientInfo = ClientInfo(),
                     *, with_refresh: bool = False) -> tuple[AuthSession, str, str | None]:
    """(row, session token, refresh token or None). Only digests are stored."""
    now = utcnow()
    token = new_token()
    refresh = new_token() if with_refresh else None
    row = AuthSession(
        user_id=user.id, token_hash=digest(token), refresh_hash=digest(refresh) if refresh else None,
        user_agent=(client.user_agent or "")[:255], ip=(client.ip or "")[:64],
        last_seen_at=now, expires_at=now + timedelta(days=get_settings().session_days),
    )
    known_device = session.scalars(select(AuthSession.id).where(
        AuthSession.user_id == user.id, AuthSession.user_agent == row.user_agent).limit(1)).first()
    session.add(row)
    session.flush()
    if known_device is None and user.created_at is not None and now - user.created_at > timedelta(minutes=5):
        # A browser this person has not used before (not right after sign-up).
        _notify_account(session, user, "new_sign_in",
                        {"device": row.user_agent[:120] or "неизвестное устройство", "ip": row.ip or "—"})
    return row, token, refresh


def do_sign_in_api(session: Session, user: User, client: ClientInfo = ClientInfo()) -> TokenPair:
    row, _token, refresh = do_start_session(session, user, client, with_refresh=True)
    access, lifetime = issue_access_token(user.id, row.id)
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
        raise NotAuthenticated("Сессия истекла, войдите снова")
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


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling, as the booking route needs it: read by one driver-level statement
    (db.DriverStatement), no ORM object. Services that accept a User accept it where they
    only need the id and the verified email (check_can_book, bookings.do_create_booking)."""

    id: int
    email_verified_at: datetime | None


def access_caller_by_bearer(session: Session, token: str | None) -> Caller:
    """The same check as access_user_by_bearer, for the busiest route (POST /bookings)."""
    def load(params: dict) -> tuple[Caller] | None:
        row = _LIVE_CALLER.execute(session, params).fetchone()
        return None if row is None else (Caller(*row),)

    return _live_token(session, token, load)[0]


# The token's session is live (not revoked, not expired), belongs to the token's user, and
# the user is active: checked by the statement that loads them.
_LIVE_WHERE = (AuthSession.id == bindparam("sid"), AuthSession.user_id == bindparam("uid"),
               AuthSession.revoked_at.is_(None), AuthSession.expires_at > bindparam("now"),
               User.is_active.is_(True))
_LIVE_USER = select(User).join(AuthSession, AuthSession.user_id == User.id).where(*_LIVE_WHERE)
_LIVE_USER_AND_SESSION = (select(User, AuthSession).join(AuthSession, AuthSession.user_id == User.id)
                          .where(*_LIVE_WHERE))
_LIVE_CALLER = DriverStatement(select(User.id, User.email_verified_at)
                               .join(AuthSession, AuthSession.user_id == User.id).where(*_LIVE_WHERE))


def _live_token(session: Session, token: str | None, load) -> tuple:
    """The row that `load(params)` reads (a statement with _LIVE_WHERE) for a valid token of
    a live session, the user first, with the user named as the actor of the transaction's
    writes; NotAuthenticated otherwise."""
    try:
        user_id, session_id = read_access_token(token or "")
    except InvalidAccessToken as exc:
        raise NotAuthenticated("Токен доступа недействителен или истёк: войдите снова") from exc
    # The token is signed: name its user as the actor before the first query, so that the
    # transaction's audit settings are sent once, with BEGIN's first statement (audit.py),
    # instead of once anonymous and again by bind_actor.
    early_actor = not session.in_transaction() and "audit_actor" not in session.info
    if early_actor:
        session.info["audit_actor"] = user_id
    row = load({"sid": session_id, "uid": user_id, "now": utcnow()}) if 0 < session_id < 2**31 else None
    if row is None:
        if early_actor:
            session.info.pop("audit_actor", None)
        raise NotAuthenticated("Сессия завершена или истекла: войдите снова")
    bind_actor(session, row[0])
    return row


def do_refresh_tokens(session: Session, refresh_token: str) -> TokenPair:
    """A new access token and a rotated refresh token; the old refresh token dies."""
    now = utcnow()
    row = session.scalars(
        select(AuthSession).where(AuthSession.refresh_hash == digest(refresh_token or ""))
        .with_for_update()
    ).first()
    if not _live(row, now):
        raise NotAuthenticated("Токен обновления недействителен или истёк: войдите снова")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated()
    refresh = new_token()
    row.refresh_hash = digest(refresh)
    row.last_seen_at, row.expires_at = now, now + timedelta(days=get_settings().session_days)
    access, lifetime = issue_access_token(user.id, row.id)
    return TokenPair(access_token=access, refresh_token=refresh, expires_in=lifetime)


def do_sign_out(session: Session, row: AuthSession) -> None:
    if row.revoked_at is None:
        row.revoked_at = utcnow()


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
        raise NotFound("Сессия не найдена")
    return row


# --- profile and password --------------------------------------------------------------


def do_update_profile(session: Session, user: User, *, full_name: str | None = None,
                      phone: str | None = None, language: str | None = None,
                      notification_prefs: dict | None = None) -> User:
    if full_name is not None:
        user.full_name = check_full_name(full_name)
    if phone is not None:
        user.phone = check_phone(phone)
    if language is not None:
        if language not in ("ru", "en"):
            raise InvalidInput("language", "ru или en")
        user.language = language
    if notification_prefs is not None:
        allowed = {"email", "browser"}
        if not isinstance(notification_prefs, dict) or not set(notification_prefs) <= allowed \
                or not all(isinstance(v, bool) for v in notification_prefs.values()):
            raise InvalidInput("notification_prefs", "ожидается {email: bool, browser: bool}")
        # Switches over every group, stored in the one shape notifications.preferences reads.
        prefs = notifications.preferences(user)
        if "email" in notification_prefs:
            prefs.email = dict.fromkeys(prefs.email, notification_prefs["email"])
        if "browser" in notification_prefs:
            prefs.in_app = dict.fromkeys(prefs.in_app, notification_prefs["browser"])
        notifications.do_set_preferences(session, user, prefs)
    session.flush()
    return user


def do_change_password(session: Session, user: User, *, current_password: str,
                       new_password: str, keep_session_id: int | None = None) -> None:
    """Needs the current password; signs out every other device."""
    if not verify_password(current_password or "", user.password_hash):
        raise InvalidInput("current_password", "Текущий пароль неверен")
    check_password(new_password, user.email)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    do_sign_out_everywhere(session, user, except_session_id=keep_session_id)
    _notify_account(session, user, "password_changed", {})


def do_request_password_reset(session: Session, email: str, client: ClientInfo = ClientInfo()) -> None:
    """Queues a reset link if the account exists; answers the same either way."""
    settings = get_settings()
    keys = [f"reset:{(email or '').strip().lower()[:254]}"] + ([f"reset:ip:{client.ip}"] if client.ip else [])
    try:
        ratelimit.check_not_limited(keys, 5)
    except Exception:
        return  # silently: the answer must not differ
    ratelimit.do_record_failure(keys, 3600)
    try:
        email = check_email(email)
    except InvalidInput:
        return
    user = find_user_by_email(session, email)
    if user is None or not user.is_active:
        return
    minutes = settings.password_reset_minutes
    token = _issue_one_time_token(session, user, TokenPurpose.reset_password,
                                  timedelta(minutes=minutes))
    link = f"{settings.base_url}/reset-password?token={token}"
    if user.language == "en":
        subject, body = ("Reset your CoSpace password",
                         f"To set a new password, open:\n{link}\n\nThe link works once, for "
                         f"{minutes} minutes. If you did not ask for a reset, delete this mail.")
    else:
        subject, body = ("Сброс пароля CoSpace",
                         f"Чтобы задать новый пароль, откройте ссылку:\n{link}\n\n"
                         f"Ссылка действует {minutes} минут и сработает один раз. "
                         f"Если вы не просили сброс, просто удалите это письмо.")
    do_queue_email(session, user, kind="reset_password", subject=subject, body=body)


def do_reset_password(session: Session, token: str, new_password: str) -> User:
    row = _consume_one_time_token(session, token, TokenPurpose.reset_password)
    user = session.get(User, row.user_id)
    check_password(new_password, user.email)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    do_sign_out_everywhere(session, user)
    _notify_account(session, user, "password_changed", {})
    return user


def _notify_account(session: Session, user: User, event: str, payload: dict) -> None:
    from coworking_app.services.notifications import do_notify

    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    do_notify(session, user, event, {"link": "/cabinet", **payload}, dedupe=f"{event}:{user.id}:{stamp}")


# --- roles ---------------------------------------------------------------------------


def check_role(user: User | None, *roles: Role) -> User:
    """401 for nobody, 403 for a user without any of the roles. With
    REQUIRE_2FA_FOR_STAFF, a role of operator/admin counts only once TOTP is on."""
    if user is None:
        raise NotAuthenticated()
    usable = set(roles)
    if get_settings().require_2fa_for_staff and not user.totp_enabled:
        usable -= STAFF_ROLES
        if not user.has_role(*usable) and user.has_role(*roles):
            raise PermissionDenied("Включите двухфакторную защиту в кабинете: она обязательна "
                                   "для операторов и администраторов")
    if not user.has_role(*usable):
        raise PermissionDenied("Недостаточно прав")
    return user


def check_can_book(user: User | Caller | None) -> User | Caller:
    """Signed in and, when REQUIRE_EMAIL_VERIFICATION is on, with a verified email."""
    if user is None:
        raise NotAuthenticated()
    if get_settings().require_email_verification and user.email_verified_at is None:
        raise PermissionDenied("Подтвердите email, чтобы бронировать: ссылка в письме")
    return user
