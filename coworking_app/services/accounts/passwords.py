"""Passwords: what a password must be (and how strong it looks), changing it, and resetting
a forgotten one by a mailed link. A new password signs out every other device.
"""

from __future__ import annotations

import re
from datetime import timedelta
from functools import lru_cache

from sqlalchemy import update
from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.services.accounts import ratelimit
from coworking_app.services.accounts.identity import ClientInfo, check_email, find_user_by_email, utcnow
from coworking_app.services.accounts.lifecycle import consume_one_time_token, issue_one_time_token, notify_account
from coworking_app.services.accounts.security import hash_password, verify_password
from coworking_app.services.accounts.sessions import do_sign_out_everywhere
from coworking_app.services.common.errors import InvalidInput
from coworking_app.services.messaging.outbox import do_queue_email
from coworking_app.settings import PROJECT_ROOT, get_settings
from models import OneTimeToken, TokenPurpose, User
from coworking_app import i18n
from coworking_app.i18n import tr

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256  # Argon2 takes any length; this bounds the work an attacker buys


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
        raise InvalidInput("password", tr("Не короче {MIN_PASSWORD_LENGTH} символов", MIN_PASSWORD_LENGTH=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput("password", tr("Не длиннее {MAX_PASSWORD_LENGTH} символов", MAX_PASSWORD_LENGTH=MAX_PASSWORD_LENGTH))
    lowered = password.strip().lower()
    email = (email or "").strip().lower()
    if email and (lowered == email or lowered == email.split("@")[0]):
        raise InvalidInput("password", tr("Пароль не должен совпадать с email"))
    if lowered in _common_passwords() or _is_trivial(password):
        raise InvalidInput("password", tr("Этот пароль слишком распространён, придумайте другой"))


def password_strength(password: str, email: str = "") -> int:
    """0 (unacceptable) .. 4 (strong), for the meter under the password field."""
    try:
        check_password(password, email)
    except InvalidInput:
        return 0
    classes = sum(bool(re.search(p, password)) for p in ("[a-zа-яё]", "[A-ZА-ЯЁ]", r"\d", r"[^\w\s]"))
    score = 1 + (len(password) >= 14) + (classes >= 3) + (len(password) >= 18 or classes == 4)
    return min(4, score)


def do_change_password(session: Session, effects: Effects, user: User, *, current_password: str,
                       new_password: str, keep_session_id: int | None = None) -> None:
    """Needs the current password; signs out every other device."""
    if not verify_password(current_password or "", user.password_hash):
        raise InvalidInput("current_password", tr("Текущий пароль неверен"))
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
    notify_account(session, effects, user, "password_changed", {})


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
                      message=tr("Слишком много запросов сброса пароля, попробуйте позже"))
    effects.queue_job("jobs.accounts.send_password_reset", email, retry_intervals=(10, 60, 300))


def do_send_password_reset(session: Session, effects: Effects, email: str) -> str:
    """The reset link for an active account with this address, queued as a mail."""
    settings = get_settings()
    user = find_user_by_email(session, email)
    if user is None or not user.is_active:
        return "skipped: no such account"
    minutes = settings.password_reset_minutes
    token = issue_one_time_token(session, user, TokenPurpose.reset_password,
                                 timedelta(minutes=minutes))
    link = f"{settings.base_url}/reset-password?token={token}"
    with i18n.use(user.language):
        subject, body = (tr("Сброс пароля CoSpace"),
                         tr("Чтобы задать новый пароль, откройте ссылку:\n{link}\n\nСсылка действует {minutes} минут и сработает один раз. Если вы не просили сброс, просто удалите это письмо.", link=link, minutes=minutes))
    do_queue_email(session, effects, user, kind="reset_password", subject=subject, body=body)
    return "queued"


def do_reset_password(session: Session, effects: Effects, token: str, new_password: str) -> User:
    """Sets the password from a reset link; every other reset link of the account and
    every session end with it."""
    row = consume_one_time_token(session, token, TokenPurpose.reset_password)
    user = session.get(User, row.user_id)
    check_password(new_password, user.email)
    _set_password(session, effects, user, new_password)
    return user
