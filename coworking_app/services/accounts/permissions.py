"""What a person may do: roles (with the staff two-factor rule) and who may book. Apart from
identity and account life (identity.py, sessions.py, signup.py, ...), so any service may
check a permission without importing sign-in, mail or audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from coworking_app.services.common.errors import NotAuthenticated, PermissionDenied
from coworking_app.settings import get_settings
from models import STAFF_ROLES, Role, User
from coworking_app.i18n import tr

@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling, as the booking route needs it: read by one driver-level statement
    (db.DriverStatement), no ORM object. Services that accept a User accept it where they
    only need the id and the verified email (check_can_book, bookings.do_create_booking)."""

    id: int
    email_verified_at: datetime | None


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
            raise PermissionDenied(tr("Включите двухфакторную защиту в кабинете: она обязательна для операторов и администраторов"))
    if not user.has_role(*usable):
        raise PermissionDenied(tr("Недостаточно прав"))
    return user


def check_can_book(user: User | Caller | None) -> User | Caller:
    """Signed in and, when REQUIRE_EMAIL_VERIFICATION is on, with a verified email."""
    if user is None:
        raise NotAuthenticated()
    if get_settings().require_email_verification and user.email_verified_at is None:
        raise PermissionDenied(tr("Подтвердите email, чтобы бронировать: ссылка в письме"))
    return user
