"""Accounts: sign-up, sign-in, sessions, API tokens, password reset, email verification.

Every function takes the database session; Reflex handlers and REST routes only adapt.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from coworking_app.db import DriverStatement, get_cache_redis
from coworking_app.effects import Effects
from coworking_app.services.messaging import mailer, notifications, preferences
from coworking_app.services.accounts import ratelimit
from coworking_app.services.admin.audit import bind_actor
from coworking_app.services.common.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    SecondFactorRequired,
)
from coworking_app.services.messaging.outbox import do_queue_email
from coworking_app.services.common.text import has_bad_chars
from coworking_app.services.accounts.permissions import Caller
from coworking_app.services.accounts.security import (
    InvalidAccessToken,
    digest,
    hash_password,
    issue_access_token,
    new_code,
    new_public_id,
    new_token,
    read_access_token,
    verify_password,
)
from coworking_app.settings import PROJECT_ROOT, get_settings
from models import (
    STAFF_ROLES,
    AuthSession,
    OneTimeToken,
    Role,
    SignUpRequest,
    TokenPurpose,
    User,
)

SIGN_UP_ROLES = (Role.renter, Role.owner)
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256  # Argon2 takes any length; this bounds the work an attacker buys
BAD_CREDENTIALS = "Неверный email или пароль"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class ClientInfo:
    """Where a request comes from, for rate limits and the list of devices; `ip` is
    security.client_address() of the request (the client behind trusted proxies)."""

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
    path = PROJECT_ROOT / "coworking_app" / "data" / "common_passwords.txt"
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


def find_user(session: Session, user_id: int) -> User | None:
    """The account with this id, or None."""
    return session.get(User, user_id) if 0 < user_id < 2**31 else None


def find_user_by_email(session: Session, email: str) -> User | None:
    if has_bad_chars(email):  # no such address can exist (and PostgreSQL cannot hold NUL)
        return None
    return session.scalars(
        select(User).where(func.lower(User.email) == email.strip().lower())
    ).first()


EMAIL_TAKEN = "Этот email уже зарегистрирован"
WRONG_SIGN_UP_CODE = "Неверный код или срок его действия истёк"
SIGN_UP_CODE_TRIES = 5  # wrong codes per sign-up; then only the link in the mail works
SIGN_UP_PER_EMAIL_PER_HOUR = 5  # sign-up mails to one address (a free or a taken one)


def check_sign_up(*, email: str, password: str, full_name: str, phone: str | None,
                  role: str, accepted_terms: bool) -> tuple[str, str, str | None]:
    """(email, full name, phone) normalised, or InvalidInput naming the first bad field.
    Says nothing about whether the address is taken."""
    email = check_email(email)
    full_name = check_full_name(full_name)
    phone = check_phone(phone)
    check_password(password, email)
    if role not in {r.value for r in SIGN_UP_ROLES}:
        raise InvalidInput("role", "Выберите: арендатор или владелец")
    if not accepted_terms:
        raise InvalidInput("accepted_terms", "Нужно согласие с условиями сервиса")
    return email, full_name, phone


def _add_user(session: Session, *, email: str, full_name: str, phone: str | None,
              password_hash: str, role: str, verified: bool) -> User:
    user = User(email=email, full_name=full_name, phone=phone, password_hash=password_hash,
                roles=[role], password_changed_at=utcnow(),
                email_verified_at=utcnow() if verified else None)
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # a concurrent sign-up with the same email won the race
        raise Conflict("email", EMAIL_TAKEN) from exc
    return user


def do_register(
    session: Session,
    effects: Effects,
    *,
    email: str,
    password: str,
    full_name: str,
    phone: str | None = None,
    role: str = Role.renter.value,
    accepted_terms: bool = True,
) -> User:
    """An account created at once, its email still to be verified: demo data, tests, the
    bench. Conflict("email") if the address is taken (any case). People sign up through
    do_request_sign_up, which answers the same whether or not the address is taken."""
    email, full_name, phone = check_sign_up(email=email, password=password, full_name=full_name,
                                            phone=phone, role=role, accepted_terms=accepted_terms)
    if find_user_by_email(session, email):
        raise Conflict("email", EMAIL_TAKEN)
    user = _add_user(session, email=email, full_name=full_name, phone=phone,
                     password_hash=hash_password(password), role=role, verified=False)
    do_send_email_verification(session, effects, user)
    return user


def _sign_up_code_hash(email: str, code: str) -> str:
    return digest(f"sign-up:{email.lower()}:{code}")


def do_request_sign_up(
    session: Session,
    effects: Effects,
    *,
    email: str,
    password: str,
    full_name: str,
    phone: str | None = None,
    role: str = Role.renter.value,
    accepted_terms: bool = True,
    next_path: str = "",
    client: ClientInfo = ClientInfo(),
) -> str:
    """Sign-up, step 1: checks the form and mails the address; returns the normalised
    address. The same work, answer and mail count whether or not the address is taken
    (Argon2 hash, one sign_up_request row, one mail queued): a free address gets a code and
    a link that create the account (do_confirm_sign_up), a taken one a note to its owner.
    RateLimited per client address and per email (mail bombing)."""
    settings = get_settings()
    email, full_name, phone = check_sign_up(email=email, password=password, full_name=full_name,
                                            phone=phone, role=role, accepted_terms=accepted_terms)
    limits = [(f"sign-up:email:{email.lower()}", SIGN_UP_PER_EMAIL_PER_HOUR)]
    if client.ip:
        limits.append((f"sign-up:ip:{client.ip}", settings.signups_per_ip_per_hour))
    ratelimit.do_take(limits, window_seconds=3600,
                      message="Слишком много регистраций, попробуйте позже")
    password_hash = hash_password(password)
    owner = find_user_by_email(session, email)
    hours = settings.email_verification_hours
    row = SignUpRequest(email=email, subject="", body="", next_path=(next_path or "")[:200],
                        expires_at=utcnow() + timedelta(hours=hours))
    if owner is None:
        code, token = new_code(), new_token()
        link = f"{settings.base_url}/signup/confirm?token={token}"
        row.kind, row.full_name, row.phone, row.role = "new", full_name, phone, role
        row.password_hash, row.code_hash, row.link_hash = (password_hash, _sign_up_code_hash(email, code),
                                                           digest(token))
        row.subject = f"Код {code} — подтвердите email в CoSpace"
        row.body = (f"Здравствуйте, {full_name}!\n\nВаш код подтверждения: {code}\n\n"
                    f"Введите его на странице регистрации или откройте ссылку:\n{link}\n\n"
                    f"Код и ссылка действуют {hours} ч. Если вы не регистрировались в CoSpace, "
                    f"просто удалите это письмо.")
    else:
        row.kind = "taken"
        base = settings.base_url
        if owner.language == "en":
            row.subject = "Someone tried to sign up to CoSpace with your address"
            row.body = (f"Hello, {owner.full_name}!\n\nSomeone (perhaps you) tried to create a "
                        f"CoSpace account with this address, but you already have one.\n\n"
                        f"Sign in: {base}/login\nForgot your password? Reset it: {base}/reset-password\n\n"
                        f"If it was not you, you need not do anything: no account was created "
                        f"and your password has not changed.")
        else:
            row.subject = "Попытка регистрации в CoSpace с вашим адресом"
            row.body = (f"Здравствуйте, {owner.full_name}!\n\nКто-то (возможно, вы) пытался "
                        f"зарегистрироваться в CoSpace с этим адресом, но у вас уже есть аккаунт.\n\n"
                        f"Войти: {base}/login\nЗабыли пароль? Восстановите его: {base}/reset-password\n\n"
                        f"Если это были не вы, ничего делать не нужно: новый аккаунт не создан, "
                        f"ваш пароль не изменился.")
    session.add(row)
    session.flush()
    effects.queue_job("jobs.accounts.send_sign_up_mail", row.id, job_id=f"sign-up-mail-{row.id}",
                      retry_intervals=(10, 60, 300, 1800, 7200))
    return email


def do_confirm_sign_up(session: Session, *, email: str = "", code: str = "",
                       token: str = "") -> tuple[User, str]:
    """Sign-up, step 2: the code typed with its address, or the link's token, creates the
    account (email verified, as the mail reached its owner). Returns (user, where the person
    was going). A wrong code is counted against every pending sign-up of the address;
    InvalidInput("code"/"token") for a wrong, used or expired one, the same whether or not
    the address was free; Conflict("email") if the address got an account meanwhile."""
    now = utcnow()
    pending = (select(SignUpRequest).where(SignUpRequest.kind == "new",
                                           SignUpRequest.confirmed_at.is_(None),
                                           SignUpRequest.expires_at > now).with_for_update())
    if token:
        row = session.scalars(pending.where(SignUpRequest.link_hash == digest(token[:200]))).first()
        if row is None:
            raise InvalidInput("token", "Ссылка недействительна или устарела: зарегистрируйтесь снова")
    else:
        try:
            email = check_email(email)
        except InvalidInput as exc:
            raise InvalidInput("code", WRONG_SIGN_UP_CODE) from exc
        code = "".join(ch for ch in (code or "")[:32] if not ch.isspace())
        rows = list(session.scalars(pending.where(
            func.lower(SignUpRequest.email) == email.lower(),
            SignUpRequest.failed_codes < SIGN_UP_CODE_TRIES)))
        wanted = _sign_up_code_hash(email, code)
        row = next((r for r in rows if r.code_hash == wanted), None) if code.isdigit() else None
        if row is None:
            for other in rows:
                other.failed_codes += 1
            raise InvalidInput("code", WRONG_SIGN_UP_CODE).keeping_changes()
    row.confirmed_at = now
    if find_user_by_email(session, row.email):
        raise Conflict("email", f"{EMAIL_TAKEN}: войдите или восстановите пароль").keeping_changes()
    user = _add_user(session, email=row.email, full_name=row.full_name, phone=row.phone,
                     password_hash=row.password_hash, role=row.role, verified=True)
    row.password_hash = ""  # the account holds it now
    return user, row.next_path


def do_purge_sign_up_requests(session: Session) -> int:
    """Forgets sign-ups whose code and link have expired (with the password hash they kept)."""
    return session.execute(delete(SignUpRequest).where(SignUpRequest.expires_at < utcnow())).rowcount


def recent_sign_up_mails(session: Session, limit: int = 10) -> list[SignUpRequest]:
    """The latest sign-up mails (the CLI `outbox` command, development)."""
    return list(session.scalars(select(SignUpRequest).order_by(SignUpRequest.id.desc()).limit(limit)))


def do_send_sign_up_mail(session: Session, request_id: int) -> str:
    """Sends a sign-up request's mail once: "sent", "skipped: ..." or "retry: <error>"."""
    row = session.get(SignUpRequest, request_id, with_for_update=True)
    if row is None:
        return "skipped: no such sign-up"
    if row.sent_at is not None:
        return "skipped: already sent"
    try:
        mailer.send(mailer.Mail(to=row.email, subject=row.subject, text=row.body))
    except mailer.TransientMailError as exc:
        return f"retry: {exc}"
    except mailer.MailError as exc:
        return f"failed: {exc}"
    row.sent_at = utcnow()
    return "sent"


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


def do_send_email_verification(session: Session, effects: Effects, user: User) -> None:
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
    do_queue_email(session, effects, user, kind="verify_email", subject=subject, body=body)


def do_verify_email(session: Session, token: str) -> User:
    row = _consume_one_time_token(session, token, TokenPurpose.verify_email)
    user = session.get(User, row.user_id)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


# --- sign-in ---------------------------------------------------------------------------


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
    from coworking_app.services.accounts import twofactor  # imports accounts helpers itself

    settings = get_settings()
    limits = _login_limits(email or "", client)
    keys = [key for key, _limit in limits]
    ratelimit.do_take(limits, window_seconds=settings.login_window_seconds,
                      message="Слишком много попыток входа")
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
        _notify_account(session, effects, user, "new_sign_in",
                        {"device": row.user_agent[:120] or "неизвестное устройство", "ip": row.ip or "—"})
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
        raise NotAuthenticated("Токен доступа недействителен или истёк: войдите снова") from exc
    row = load({"sid": session_id, "uid": user_id, "now": utcnow()}) if 0 < user_id < 2**31 else None
    if row is None:
        raise NotAuthenticated("Сессия завершена или истекла: войдите снова")
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
            raise NotAuthenticated("Этот refresh-токен уже использован: сессия завершена, войдите снова") \
                .keeping_changes()
        raise NotAuthenticated("Токен обновления недействителен или истёк: войдите снова")
    if not _live(row, now):
        raise NotAuthenticated("Токен обновления недействителен или истёк: войдите снова")
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
        raise NotAuthenticated("Вход устарел, войдите снова")
    token = get_cache_redis().getdel(_TICKET_PREFIX + digest(ticket))
    if not token:
        raise NotAuthenticated("Вход устарел, войдите снова")
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
        # Switches over every group, stored in the one shape preferences.preferences reads.
        prefs = preferences.preferences(user)
        if "email" in notification_prefs:
            prefs.email = dict.fromkeys(prefs.email, notification_prefs["email"])
        if "browser" in notification_prefs:
            prefs.in_app = dict.fromkeys(prefs.in_app, notification_prefs["browser"])
        preferences.do_set_preferences(session, user, prefs)
    session.flush()
    return user


def do_change_password(session: Session, effects: Effects, user: User, *, current_password: str,
                       new_password: str, keep_session_id: int | None = None) -> None:
    """Needs the current password; signs out every other device."""
    if not verify_password(current_password or "", user.password_hash):
        raise InvalidInput("current_password", "Текущий пароль неверен")
    check_password(new_password, user.email)
    _set_password(session, effects, user, new_password, keep_session_id=keep_session_id)


def _set_password(session: Session, effects: Effects, user: User, new_password: str, *,
                  keep_session_id: int | None = None) -> None:
    """A new password ends everything the old one opened: every other session and every
    reset link still in a mailbox."""
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    session.execute(update(OneTimeToken).where(
        OneTimeToken.user_id == user.id, OneTimeToken.purpose == TokenPurpose.reset_password.value,
        OneTimeToken.used_at.is_(None)).values(used_at=utcnow()))
    do_sign_out_everywhere(session, user, except_session_id=keep_session_id)
    _notify_account(session, effects, user, "password_changed", {})


RESETS_PER_EMAIL_PER_HOUR = 5


def do_request_password_reset(session: Session, effects: Effects, email: str,
                              client: ClientInfo = ClientInfo()) -> None:
    """Queues the reset work (do_send_password_reset, an RQ job after commit): the request
    itself does the same, and takes the same time, whether or not the account exists.
    RateLimited per email and, much higher, per client address."""
    try:
        email = check_email(email)
    except InvalidInput:
        return  # no mail can reach it; the answer is the same
    limits = [(f"reset:{email.lower()}", RESETS_PER_EMAIL_PER_HOUR)]
    if client.ip:
        limits.append((f"reset:ip:{client.ip}", get_settings().password_resets_per_ip_per_hour))
    ratelimit.do_take(limits, window_seconds=3600,
                      message="Слишком много запросов сброса пароля, попробуйте позже")
    effects.queue_job("jobs.accounts.send_password_reset", email, retry_intervals=(10, 60, 300))


def do_send_password_reset(session: Session, effects: Effects, email: str) -> str:
    """The reset link for an active account with this address, queued as a mail."""
    settings = get_settings()
    user = find_user_by_email(session, email)
    if user is None or not user.is_active:
        return "skipped: no such account"
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
    do_queue_email(session, effects, user, kind="reset_password", subject=subject, body=body)
    return "queued"


def do_reset_password(session: Session, effects: Effects, token: str, new_password: str) -> User:
    """Sets the password from a reset link; every other reset link of the account and
    every session end with it."""
    row = _consume_one_time_token(session, token, TokenPurpose.reset_password)
    user = session.get(User, row.user_id)
    check_password(new_password, user.email)
    _set_password(session, effects, user, new_password)
    return user


def _notify_account(session: Session, effects: Effects, user: User, event: str, payload: dict) -> None:
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    notifications.do_notify(session, effects, user, event, {"link": "/cabinet", **payload}, dedupe=f"{event}:{user.id}:{stamp}")


