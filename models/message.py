"""Conversations between a renter and the owner of a space, and their messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, DateTime, ForeignKey, Index, Integer, LargeBinary, text
from sqlmodel import Field, SQLModel

from models.common import created_column


def _fk(table: str, *, nullable: bool = False, ondelete: str = "CASCADE") -> Column:
    return Column(Integer, ForeignKey(f"{table}.id", ondelete=ondelete), nullable=nullable)


class Conversation(SQLModel, table=True):
    """"Ask the host" (no booking) or about one booking; one of each per renter and space."""

    __tablename__ = "conversation"
    __table_args__ = (
        Index("uq_conversation_question", "space_id", "renter_id", unique=True,
              postgresql_where=text("booking_id IS NULL")),
        Index("uq_conversation_booking", "booking_id", unique=True,
              postgresql_where=text("booking_id IS NOT NULL")),
        Index("ix_conversation_recent", text("last_message_at DESC")),
        CheckConstraint("renter_id <> owner_id", name="ck_conversation_two_people"),
    )

    id: int | None = Field(default=None, primary_key=True)
    space_id: int = Field(sa_column=_fk("space"))
    booking_id: int | None = Field(default=None, sa_column=_fk("booking", nullable=True))
    renter_id: int = Field(sa_column=_fk("app_user"))
    owner_id: int = Field(sa_column=_fk("app_user"))
    last_message_id: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    last_message_at: datetime | None = Field(default=None, sa_column=created_column())
    created_at: datetime | None = Field(default=None, sa_column=created_column())


class ConversationMember(SQLModel, table=True):
    """Each of the two people in a conversation, with what they have read and been emailed."""

    __tablename__ = "conversation_member"
    __table_args__ = (
        Index("ix_conversation_member_user", "user_id", "conversation_id"),
    )

    conversation_id: int = Field(sa_column=Column(
        Integer, ForeignKey("conversation.id", ondelete="CASCADE"), primary_key=True))
    user_id: int = Field(sa_column=Column(
        Integer, ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True))
    role: str = Field(max_length=8)  # renter | owner
    last_read_id: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    # The newest message an unread-email has covered, and when the last such email went.
    emailed_id: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    emailed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class Message(SQLModel, table=True):
    __tablename__ = "message"
    __table_args__ = (
        Index("ix_message_conversation", "conversation_id", "id"),
        CheckConstraint("char_length(text) <= 2000", name="ck_message_text"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    conversation_id: int = Field(sa_column=_fk("conversation"))
    sender_id: int = Field(sa_column=_fk("app_user"))
    text: str = Field(default="", max_length=2000)  # plain text, never rendered as HTML
    created_at: datetime | None = Field(default=None, sa_column=created_column())


class MessageImage(SQLModel, table=True):
    """An image attached to a message: re-encoded JPEG kept in the database, so it is only
    ever served to the conversation's participants (never a public URL)."""

    __tablename__ = "message_image"

    message_id: int = Field(sa_column=Column(
        BigInteger, ForeignKey("message.id", ondelete="CASCADE"), primary_key=True))
    width: int
    height: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    thumb: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class ConversationReport(SQLModel, table=True):
    """A participant's report of abuse: lets operators read the conversation until resolved."""

    __tablename__ = "conversation_report"
    __table_args__ = (
        Index("ix_conversation_report_open", "conversation_id",
              postgresql_where=text("resolved_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(sa_column=_fk("conversation"))
    user_id: int = Field(sa_column=_fk("app_user"))
    reason: str = Field(max_length=500)
    created_at: datetime | None = Field(default=None, sa_column=created_column())
    resolved_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    resolved_by: int | None = Field(default=None, sa_column=_fk("app_user", nullable=True, ondelete="SET NULL"))
