"""Notifications: written in the same transaction as the change they announce (a
transactional outbox), delivered by RQ jobs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Index, Integer, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.common import created_column


class Channel(StrEnum):
    in_app = "in_app"
    email = "email"


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
        CheckConstraint("channel IN ('in_app', 'email')", name="ck_notification_channel"),
        CheckConstraint("status IN ('pending', 'sent', 'failed', 'cancelled')",
                        name="ck_notification_status"),
        Index("ix_notification_user_feed", "user_id", "channel", text("created_at DESC")),
        Index("ix_notification_pending", "status", "created_at",
              postgresql_where=text("status = 'pending'")),
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
