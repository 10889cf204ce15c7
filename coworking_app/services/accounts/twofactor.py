"""Optional TOTP two-factor authentication with single-use recovery codes."""

from __future__ import annotations

import secrets

import pyotp
from sqlalchemy import delete, select
from sqlmodel import Session

from coworking_app.services.accounts import identity, ratelimit
from coworking_app.services.common.errors import Conflict, InvalidInput, PermissionDenied, SecondFactorRequired
from coworking_app.services.common.qr import qr_svg
from coworking_app.services.accounts.security import digest, verify_password
from coworking_app.settings import get_settings
from models import RecoveryCode, User
from coworking_app.i18n import tr

ISSUER = "CoSpace"
RECOVERY_CODES = 10


def _clean(code: str | None) -> str:
    return "".join(ch for ch in (code or "") if ch.isalnum()).lower()[:32]


def do_start_enrolment(session: Session, user: User) -> tuple[str, str, str]:
    """(secret, otpauth URI, QR code as SVG). Not active until confirmed with a code."""
    if user.totp_enabled:
        raise InvalidInput("totp", tr("Двухфакторная защита уже включена"))
    secret = pyotp.random_base32()
    user.totp_secret = secret
    session.flush()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return secret, uri, qr_svg(uri)


def do_confirm_enrolment(session: Session, user: User, code: str) -> list[str]:
    """Turns 2FA on when the code matches; returns the recovery codes (shown once)."""
    if user.totp_enabled or not user.totp_secret:
        raise InvalidInput("totp", tr("Сначала начните подключение"))
    if not pyotp.TOTP(user.totp_secret).verify(_clean(code), valid_window=1):
        raise InvalidInput("totp_code", tr("Код не подошёл: проверьте время на телефоне"))

    user.totp_enabled_at = identity.utcnow()
    codes = [f"{secrets.token_hex(2)}-{secrets.token_hex(2)}-{secrets.token_hex(2)}"
             for _ in range(RECOVERY_CODES)]
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.add_all(RecoveryCode(user_id=user.id, code_hash=digest(_clean(c))) for c in codes)
    session.flush()
    return codes


# Turning two-factor off: attempts per account and window (a stolen session must not be
# able to guess the 6 digits).
DISABLE_ATTEMPTS = 5
DISABLE_WINDOW_SECONDS = 15 * 60


def disable_refusal(user: User) -> str | None:
    """Why this person may not turn two-factor off at all (None: they may, with their
    password and a code). Operators and admins keep it while REQUIRE_2FA_FOR_STAFF is on:
    their role works only with it."""
    if not user.totp_enabled:
        return tr("Двухфакторная защита уже выключена")
    if get_settings().require_2fa_for_staff and user.is_staff:
        return tr("Для операторов и администраторов двухфакторная защита обязательна: выключить её нельзя")
    return None


def check_can_disable(user: User) -> None:
    """Refuses what `disable_refusal` says: 409 when it is off already, 403 for staff."""
    reason = disable_refusal(user)
    if reason is not None:
        raise (Conflict("totp", reason) if not user.totp_enabled else PermissionDenied(reason))


def do_disable(session: Session, user: User, *, password: str, code: str) -> None:
    """Turns two-factor sign-in off. Needs the current password and a current code from the
    authenticator app (or an unused recovery code, as at sign-in): a signed-in browser alone
    cannot lower the account's protection. Attempts are counted per account before the
    checks (RateLimited after DISABLE_ATTEMPTS in the window). The secret and the recovery
    codes go; the audit log records the change (the app_user trigger), as it does turning on."""
    check_can_disable(user)
    ratelimit.do_take(f"totp-off:{user.id}", DISABLE_ATTEMPTS, DISABLE_WINDOW_SECONDS,
                      message=tr("Слишком много попыток выключить двухфакторную защиту"))
    if not verify_password(password or "", user.password_hash):
        raise InvalidInput("current_password", tr("Текущий пароль неверен"))
    if not _clean(code):
        raise InvalidInput("totp_code", tr("Введите код из приложения-аутентификатора или резервный код"))
    check_second_factor(session, user, code)
    user.totp_secret, user.totp_enabled_at = None, None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.flush()


def check_second_factor(session: Session, user: User, code: str | None) -> None:
    """Accepts a current TOTP code or an unused recovery code (which is then spent)."""
    cleaned = _clean(code)
    if not cleaned:
        raise SecondFactorRequired()
    if cleaned.isdigit() and len(cleaned) == 6:
        if pyotp.TOTP(user.totp_secret or "").verify(cleaned, valid_window=1):
            return
        raise InvalidInput("totp_code", tr("Неверный код"))
    row = session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                   RecoveryCode.code_hash == digest(cleaned),
                                   RecoveryCode.used_at.is_(None)).with_for_update()
    ).first()
    if row is None:
        raise InvalidInput("totp_code", tr("Неверный код"))

    row.used_at = identity.utcnow()

