"""Reviews of a stay, their moderation and abuse reports, and each space's rating aggregate."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from models.common import created_column, updated_column

# Optional sub-ratings, each 1..5, in the order they are shown.
SUBRATINGS = ("wifi", "quietness", "comfort", "location", "staff")


class ReviewStatus(StrEnum):
    pending = "pending"  # waiting for a moderator (new or edited)
    approved = "approved"  # shown on the space page and counted in its rating
    rejected = "rejected"  # not shown; the author is told the reason


def _user_fk(*, nullable: bool = False, ondelete: str = "CASCADE") -> Column:
    return Column(Integer, ForeignKey("app_user.id", ondelete=ondelete), nullable=nullable)


def _one_to_five(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} BETWEEN 1 AND 5", name=f"ck_review_{column}")


class Review(SQLModel, table=True):
    """One review per completed booking, by its renter (services/reviews/reviews.py has the rules)."""

    __tablename__ = "review"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="ck_review_status"),
        _one_to_five("rating"), *(_one_to_five(name) for name in SUBRATINGS),
        CheckConstraint("char_length(text) BETWEEN 10 AND 3000", name="ck_review_text"),
        # The space page: approved reviews of a space, newest first.
        Index("ix_review_space_approved", "space_id", text("created_at DESC"), text("id DESC"),
              postgresql_where=text("status = 'approved'")),
        Index("ix_review_moderation", "status", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    booking_id: int = Field(sa_column=Column(Integer, ForeignKey("booking.id", ondelete="CASCADE"),
                                             nullable=False, unique=True))
    space_id: int = Field(sa_column=Column(Integer, ForeignKey("space.id", ondelete="CASCADE"),
                                           nullable=False))
    user_id: int = Field(sa_column=_user_fk())
    resource_kind: str = Field(max_length=16)  # shown with the review: "hot desk", ...
    stay_date: date = Field(sa_column=Column(Date, nullable=False))  # local date of the start
    rating: int
    wifi: int | None = None
    quietness: int | None = None
    comfort: int | None = None
    location: int | None = None
    staff: int | None = None
    text: str = Field(max_length=3000)
    status: str = Field(default=ReviewStatus.pending.value, max_length=10)
    # What the automatic pre-check saw, for the moderator: "link", "phone", "profanity".
    flags: list[str] = Field(default_factory=list,
                             sa_column=Column(ARRAY(String(16)), nullable=False, server_default="{}"))
    reject_reason: str | None = Field(default=None, max_length=500)
    moderated_by: int | None = Field(default=None, sa_column=_user_fk(nullable=True, ondelete="SET NULL"))
    moderated_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    reply_text: str | None = Field(default=None, max_length=2000)  # the owner's one public reply
    reply_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    edited_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime | None = Field(default=None, sa_column=created_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_column())


class ReviewReport(SQLModel, table=True):
    """"This review is abusive", once per person and review; open until a moderator acts."""

    __tablename__ = "review_report"
    __table_args__ = (
        Index("uq_review_report_user", "review_id", "user_id", unique=True),
        Index("ix_review_report_open", "review_id", postgresql_where=text("resolved_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(sa_column=Column(Integer, ForeignKey("review.id", ondelete="CASCADE"),
                                            nullable=False))
    user_id: int = Field(sa_column=_user_fk())
    reason: str = Field(max_length=500)
    created_at: datetime | None = Field(default=None, sa_column=created_column())
    resolved_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    resolved_by: int | None = Field(default=None, sa_column=_user_fk(nullable=True, ondelete="SET NULL"))


class SpaceRating(SQLModel, table=True):
    """The aggregate of a space's approved reviews, recomputed in the transaction that changes
    them (space.rating and space.reviews_count mirror average and count for search)."""

    __tablename__ = "space_rating"

    space_id: int = Field(sa_column=Column(Integer, ForeignKey("space.id", ondelete="CASCADE"),
                                           primary_key=True))
    count: int = Field(default=0)
    average: float = Field(default=0.0)
    # {"1": n1, ..., "5": n5}
    distribution: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    # {"wifi": {"average": 4.5, "count": 10}, ...}: only reviews that gave that sub-rating.
    subratings: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    updated_at: datetime | None = Field(default=None, sa_column=updated_column())
