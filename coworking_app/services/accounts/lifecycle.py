"""Account-lifecycle mail: the one-time links mailed to a person (issued and used once:
email verification here, the password reset link in passwords.py) and the notices about the
account itself (password changed, sign-in from a new device), which go in-app and by email.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.services.accounts.identity import utcnow
from coworking_app.services.accounts.security import digest, new_token
from coworking_app.services.common.errors import InvalidInput
from coworking_app.services.messaging import notifications
from coworking_app.services.messaging.outbox import do_queue_email
from coworking_app.settings import get_settings
from models import OneTimeToken, TokenPurpose, User
from coworking_app import i18n
from coworking_app.i18n import tr


def issue_one_time_token(session: Session, user: User, purpose: TokenPurpose,
                         lifetime: timedelta) -> str:
    """A new link's token (only its digest is stored), valid for `lifetime`, once."""
    token = new_token()
    session.add(OneTimeToken(user_id=user.id, purpose=purpose.value, token_hash=digest(token),
                             expires_at=utcnow() + lifetime))
    session.flush()
    return token


def consume_one_time_token(session: Session, token: str, purpose: TokenPurpose) -> OneTimeToken:
    """The token's row, marked used; InvalidInput("token") for a wrong, used or expired one."""
    row = session.scalars(
        select(OneTimeToken)
        .where(OneTimeToken.token_hash == digest(token or ""), OneTimeToken.purpose == purpose.value)
        .with_for_update()
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise InvalidInput("token", tr("Ссылка недействительна или устарела: запросите новую"))
    row.used_at = utcnow()
    return row


def do_send_email_verification(session: Session, effects: Effects, user: User) -> None:
    hours = get_settings().email_verification_hours
    token = issue_one_time_token(session, user, TokenPurpose.verify_email, timedelta(hours=hours))
    link = f"{get_settings().base_url}/verify-email?token={token}"
    with i18n.use(user.language):
        subject, body = (tr("Подтвердите email в CoSpace"),
                         tr("Здравствуйте, {full_name}!\n\nПодтвердите адрес, открыв ссылку:\n{link}\n\nСсылка действует {hours} ч.", full_name=user.full_name, link=link, hours=hours))
    do_queue_email(session, effects, user, kind="verify_email", subject=subject, body=body)


def do_verify_email(session: Session, token: str) -> User:
    row = consume_one_time_token(session, token, TokenPurpose.verify_email)
    user = session.get(User, row.user_id)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


def notify_account(session: Session, effects: Effects, user: User, event: str, payload: dict) -> None:
    """A notice about the account itself (templates: "password_changed", "new_sign_in")."""
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    notifications.do_notify(session, effects, user, event, {"link": "/cabinet", **payload},
                            dedupe=f"{event}:{user.id}:{stamp}")
