"""Notifications: written in the same transaction as the change they announce (a
transactional outbox), delivered by RQ jobs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Column, DateTime, ForeignKey, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.common import created_column


class Channel(StrEnum):
    in_app = "in_app"
    email = "email"
    telegram = "telegram"  # sent by the bot process only (coworking_app/bot/outbox.py)


class DeliveryStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"
    cancelled = "cancelled"


class Notification(SQLModel, table=True):
    """One message to one person on one channel. `dedupe_key` is unique: the same event
    never produces two rows, and a delivery job re-run finds the row already sent."""

    __tablename__ = "notification"
    __table_args__ = (
        CheckConstraint("channel IN ('in_app', 'email', 'telegram')", name="ck_notification_channel"),
        CheckConstraint("status IN ('pending', 'sent', 'failed', 'cancelled')",
                        name="ck_notification_status"),
        Index("ix_notification_user_feed", "user_id", "channel", text("created_at DESC")),
        Index("ix_notification_pending", "status", "created_at",
              postgresql_where=text("status = 'pending'")),
        # The bot's outbox: Telegram rows waiting to be sent, oldest first.
        Index("ix_notification_telegram_pending", "id",
              postgresql_where=text("status = 'pending' AND channel = 'telegram'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="CASCADE"),
                                          nullable=False))
    booking_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("booking.id", ondelete="SET NULL"), nullable=True, index=True))
    type: str = Field(max_length=40)  # snake_case event type: booking_paid, ...
    channel: str = Field(max_length=8)
    title: str = Field(max_length=200)
    body: str  # plain text (in-app, and the text part of an email)
    html: str = Field(default="")  # the HTML part of an email
    payload: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False,
                                                                server_default="{}"))
    dedupe_key: str = Field(max_length=200, unique=True)
    status: str = Field(default=DeliveryStatus.pending.value, max_length=10)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=500)
    # Not before this moment: a Telegram row being sent (a lease, so two bot processes never
    # send it both) or waiting for its next try.
    retry_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    read_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    sent_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime | None = Field(default=None, sa_column=created_column())


class Offer(SQLModel, table=True):
    """A special offer written by an owner (for their spaces) or an admin (for a city or
    the whole network); sent once to the people who opted in to offers."""

    __tablename__ = "offer"
    # The owner's limit, one offer per space a week (services/messaging/offers.py), reads this.
    __table_args__ = (Index("ix_offer_space_created", "space_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="CASCADE"),
                                            nullable=False))
    title: str = Field(max_length=120)
    text: str = Field(max_length=2000)
    promo_code: str | None = Field(default=None, max_length=32)
    city_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("city.id", ondelete="CASCADE"), nullable=True))
    space_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("space.id", ondelete="CASCADE"), nullable=True))
    valid_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    recipients: int = Field(default=0)
    created_at: datetime | None = Field(default=None, sa_column=created_column())


class TelegramLink(SQLModel, table=True):
    """A one-time code linking a Telegram chat to an account (10 minutes, single use). Made
    on the site for a person (`user_id`; the bot's `/start <code>` names the chat) or by the
    bot for a chat (`chat_id`; the person signs in on the site and confirms). Only the
    SHA-256 of the code is stored."""

    __tablename__ = "telegram_link"
    __table_args__ = (
        CheckConstraint("user_id IS NOT NULL OR chat_id IS NOT NULL", name="ck_telegram_link_side"),
        Index("ix_telegram_link_user_created", "user_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code_digest: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    user_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=True))
    chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    chat_name: str | None = Field(default=None, max_length=100)
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime | None = Field(default=None, sa_column=created_column())
