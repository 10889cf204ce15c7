"""Identity: who a person is. The account found by id or email, the checks of an email
address, a phone number and a name, the profile a person edits, and where a request comes
from (ClientInfo). Signing in: sessions.py; passwords: passwords.py; creating accounts:
signup.py; what a person may do: permissions.py.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlmodel import Session

from coworking_app.services.common.errors import InvalidInput
from coworking_app.services.common.text import has_bad_chars
from coworking_app.services.messaging.preferences import do_set_preferences, preferences
from models import User
from coworking_app.i18n import tr


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class ClientInfo:
    """Where a request comes from, for rate limits and the list of devices; `ip` is
    security.client_address() of the request (the client behind trusted proxies)."""

    ip: str = ""
    user_agent: str = ""


# --- validation ---------------------------------------------------------------------


def check_email(email: str) -> str:
    """The normalised address (domain lower-cased) or InvalidInput("email")."""
    email = (email or "").strip()
    if not email:
        raise InvalidInput("email", tr("Укажите email"))
    if len(email) > 254:
        raise InvalidInput("email", tr("Слишком длинный email"))
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidInput("email", _email_problem(str(exc))) from exc


def _email_problem(english: str) -> str:
    """email_validator explains in English; a person reads one of these."""
    if "must have an @-sign" in english or "small commercial at" in english:
        return tr("В адресе нет символа @: проверьте email")
    if "something before the @-sign" in english:
        return tr("Перед @ ничего нет: проверьте email")
    if "something after the @-sign" in english or "should have a period" in english \
            or "top-level domain" in english:
        return tr("После @ должен быть домен, например mail.ru")
    if "too long" in english:
        return tr("Слишком длинный email")
    if "two periods" in english or "period" in english:
        return tr("Лишняя точка в адресе: проверьте email")
    if "character" in english or "ASCII" in english:
        return tr("В адресе недопустимые символы: проверьте email")
    return tr("Некорректный email: проверьте адрес")


def check_phone(phone: str | None) -> str | None:
    """E.164 (+79123456789) or None when empty; Russian numbers may start with 8."""
    phone = (phone or "").strip()
    if not phone:
        return None
    if len(phone) > 32:
        raise InvalidInput("phone", tr("Слишком длинный номер"))
    try:
        parsed = phonenumbers.parse(phone, "RU")
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput("phone", tr("Не похоже на номер телефона")) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidInput("phone", tr("Такого номера не существует: проверьте цифры"))
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def check_full_name(full_name: str) -> str:
    name = " ".join((full_name or "").split())
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    if len(name) < 2:
        raise InvalidInput("full_name", tr("Укажите имя"))
    if len(name) > 120:
        raise InvalidInput("full_name", tr("Не длиннее 120 символов"))
    return name

# --- finding and editing ------------------------------------------------------------


def find_user(session: Session, user_id: int) -> User | None:
    """The account with this id, or None."""
    return session.get(User, user_id) if 0 < user_id < 2**31 else None


def find_user_by_email(session: Session, email: str) -> User | None:
    if has_bad_chars(email):  # no such address can exist (and PostgreSQL cannot hold NUL)
        return None
    return session.scalars(
        select(User).where(func.lower(User.email) == email.strip().lower())
    ).first()


def do_update_profile(session: Session, user: User, *, full_name: str | None = None,
                      phone: str | None = None, language: str | None = None,
                      notification_prefs: dict | None = None) -> User:
    if full_name is not None:
        user.full_name = check_full_name(full_name)
    if phone is not None:
        user.phone = check_phone(phone)
    if language is not None:
        if language not in ("ru", "en"):
            raise InvalidInput("language", tr("ru или en"))
        user.language = language
    if notification_prefs is not None:
        allowed = {"email", "browser"}
        if not isinstance(notification_prefs, dict) or not set(notification_prefs) <= allowed \
                or not all(isinstance(v, bool) for v in notification_prefs.values()):
            raise InvalidInput("notification_prefs", tr("ожидается {email: bool, browser: bool}"))
        # Switches over every group, stored in the one shape preferences() reads.
        prefs = preferences(user)
        if "email" in notification_prefs:
            prefs.email = dict.fromkeys(prefs.email, notification_prefs["email"])
        if "browser" in notification_prefs:
            prefs.in_app = dict.fromkeys(prefs.in_app, notification_prefs["browser"])
        do_set_preferences(session, user, prefs)
    session.flush()
    return user
