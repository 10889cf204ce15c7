"""Spaces a person saved ("Сохранить" on a space page; the cabinet's "Избранное")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, text
from sqlmodel import Field, SQLModel

from models.common import created_column


class Favourite(SQLModel, table=True):
    """One saved space of one person: saving twice keeps one row (the primary key), and
    the row goes with the person or the space (ON DELETE CASCADE)."""

    __tablename__ = "favourite"
    __table_args__ = (
        # The cabinet's list, newest first.
        Index("ix_favourite_user_created", "user_id", text("created_at DESC")),
        # Deleting a space finds its rows without a scan.
        Index("ix_favourite_space", "space_id"),
    )

    user_id: int = Field(sa_column=Column(
        Integer, ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True))
    space_id: int = Field(sa_column=Column(
        Integer, ForeignKey("space.id", ondelete="CASCADE"), primary_key=True))
    created_at: datetime | None = Field(default=None, sa_column=created_column())
