"""Users, their sign-in sessions and single-use tokens.

No secret is stored in clear: passwords as Argon2id hashes, session/refresh/reset/verify
tokens and recovery codes as SHA-256 digests of random values that only the user holds.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from models.common import created_column, updated_column


class Role(StrEnum):
    renter = "renter"
    owner = "owner"
    operator = "operator"
    admin = "admin"


STAFF_ROLES = frozenset({Role.operator, Role.admin})


class TokenPurpose(StrEnum):
    verify_email = "verify_email"
    reset_password = "reset_password"


def _ts(nullable: bool = True) -> Column:
    return Column(DateTime(timezone=True), nullable=nullable)


class User(SQLModel, table=True):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL
    __table_args__ = (
        # Emails are unique case-insensitively; the column keeps what the user typed.
        Index("uq_app_user_email_lower", text("lower(email)"), unique=True),
        CheckConstraint("cardinality(roles) >= 1", name="ck_app_user_roles"),
        CheckConstraint("language IN ('ru', 'en')", name="ck_app_user_language"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    email_verified_at: datetime | None = Field(default=None, sa_column=_ts())
    phone: str | None = Field(default=None, max_length=20)  # E.164
    full_name: str = Field(max_length=120)
    password_hash: str = Field(max_length=255)
    roles: list[str] = Field(sa_column=Column(ARRAY(String(16)), nullable=False))
    language: str = Field(default="ru", max_length=2)
    notification_prefs: dict = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default="{}")
    )
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_enabled_at: datetime | None = Field(default=None, sa_column=_ts())
    is_active: bool = Field(default=True)
    password_changed_at: datetime | None = Field(default=None, sa_column=_ts())
    # The Telegram chat this person linked (services/messaging/telegram.py): notices with the
    # telegram channel go there, the bot acts as this person in it. One chat, one person.
    telegram_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True, unique=True))
    telegram_name: str | None = Field(default=None, max_length=100)
    telegram_linked_at: datetime | None = Field(default=None, sa_column=_ts())
    created_at: datetime | None = Field(default=None, sa_column=created_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_column())

    def has_role(self, *roles: Role | str) -> bool:
        return any(str(r) in self.roles for r in roles)

    @property
    def is_staff(self) -> bool:
        return self.has_role(*STAFF_ROLES)

    @property
    def totp_enabled(self) -> bool:
        return self.totp_enabled_at is not None


class AuthSession(SQLModel, table=True):
    """One signed-in device. The UI cookie and the API refresh token both point here, so
    revoking the row signs that device out of both. Tokens name the row by `public_id`
    (random), never by the serial `id`; a refresh token carries it too, so that a rotated
    refresh token presented again is recognised and ends the session (reuse detection)."""

    __tablename__ = "auth_session"

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=32, unique=True)  # security.new_public_id()
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False,
                         index=True)
    )
    token_hash: str = Field(max_length=64, unique=True)
    refresh_hash: str | None = Field(default=None, max_length=64, unique=True)
    user_agent: str = Field(default="", max_length=255)
    ip: str = Field(default="", max_length=64)
    created_at: datetime | None = Field(default=None, sa_column=created_column())
    last_seen_at: datetime = Field(sa_column=_ts(nullable=False))
    expires_at: datetime = Field(sa_column=_ts(nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=_ts())


class OneTimeToken(SQLModel, table=True):
    """Email verification and password reset links: single use, short-lived."""

    __tablename__ = "one_time_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False,
                         index=True)
    )
    purpose: str = Field(max_length=20)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime | None = Field(default=None, sa_column=created_column())
    expires_at: datetime = Field(sa_column=_ts(nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=_ts())


class SignUpRequest(SQLModel, table=True):
    """A sign-up waiting for its email to be confirmed, and the mail that answers it.

    Every sign-up writes one row and one mail, whether the address is free or taken, so the
    answer and its timing say nothing about existing accounts. `kind` "new": the mail holds
    a code and a link; confirming either creates the account (verified) and signs the
    person in. `kind` "taken": the mail tells the address's owner that someone tried, and
    there is nothing to confirm. The password is kept only as its Argon2 hash."""

    __tablename__ = "sign_up_request"
    __table_args__ = (
        Index("ix_sign_up_request_email", text("lower(email)"), "created_at"),
        CheckConstraint("kind IN ('new', 'taken')", name="ck_sign_up_request_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=8)
    email: str = Field(max_length=254)  # normalised (identity.check_email)
    full_name: str = Field(default="", max_length=120)
    phone: str | None = Field(default=None, max_length=20)
    role: str = Field(default="renter", max_length=16)
    password_hash: str = Field(default="", max_length=255)
    code_hash: str | None = Field(default=None, max_length=64)
    link_hash: str | None = Field(default=None, max_length=64, unique=True)
    next_path: str = Field(default="", max_length=200)  # where the person goes once in
    failed_codes: int = Field(default=0)  # wrong codes typed; the code dies at a limit
    subject: str = Field(max_length=200)
    body: str
    created_at: datetime | None = Field(default=None, sa_column=created_column())
    expires_at: datetime = Field(sa_column=_ts(nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=_ts())
    confirmed_at: datetime | None = Field(default=None, sa_column=_ts())


class RecoveryCode(SQLModel, table=True):
    """Single-use codes that stand in for a TOTP code when the phone is lost."""

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False,
                         index=True)
    )
    code_hash: str = Field(max_length=64)
    used_at: datetime | None = Field(default=None, sa_column=_ts())
