"""Plans a space sells (services/plans/, docs/plans.md): packs of day passes, monthly
memberships (hot desk, fixed desk, private office; with meeting-room hours each month) and
packs of meeting-room hours. A purchase is one period of a plan bought by one person; a
membership's next month is the next purchase (`previous_id`). What a purchase gave and what
bookings took from it is its usage history (`plan_usage`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Column, DateTime, ForeignKey, Index, Integer, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from models.common import created_column, updated_column


class PlanKind(StrEnum):
    day_pass = "day_pass"  # N days within a validity period
    membership = "membership"  # a month, renewed monthly
    credits = "credits"  # N meeting-room hours within a validity period


class MembershipType(StrEnum):
    hot_desk = "hot_desk"  # any free desk of the covered resources, every day of the month
    fixed_desk = "fixed_desk"  # one desk of them held for the member for the month
    office = "office"  # one private office held for the month


class PurchaseStatus(StrEnum):
    pending_payment = "pending_payment"
    active = "active"  # paid (its period may still be ahead)
    ended = "ended"  # the period is over
    cancelled = "cancelled"  # never paid, or its payment came too late and went back


def _in(values: type[StrEnum]) -> str:
    return ", ".join(f"'{v.value}'" for v in values)


def _fk(table: str, *, nullable: bool = False, ondelete: str = "RESTRICT") -> Column:
    return Column(Integer, ForeignKey(f"{table}.id", ondelete=ondelete), nullable=nullable)


def _ts(nullable: bool = True) -> Column:
    return Column(DateTime(timezone=True), nullable=nullable)


class Plan(SQLModel, table=True):
    __tablename__ = "plan"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(PlanKind)})", name="ck_plan_kind"),
        CheckConstraint(
            f"(kind = 'membership') = (membership_type IS NOT NULL) AND "
            f"(membership_type IS NULL OR membership_type IN ({_in(MembershipType)}))",
            name="ck_plan_membership_type"),
        CheckConstraint("price_minor > 0", name="ck_plan_price"),
        CheckConstraint("kind <> 'day_pass' OR (days > 0 AND validity_days > 0)", name="ck_plan_day_pass"),
        CheckConstraint("kind <> 'credits' OR (credit_minutes > 0 AND validity_days > 0)", name="ck_plan_credits"),
        CheckConstraint("credit_minutes >= 0 AND max_active_bookings BETWEEN 1 AND 50", name="ck_plan_limits"),
        Index("ix_plan_space", "space_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    space_id: int = Field(sa_column=_fk("space", ondelete="CASCADE"))
    kind: str = Field(max_length=12)
    membership_type: str | None = Field(default=None, max_length=12)
    name: str = Field(max_length=120)
    description: str = Field(default="", max_length=1000)
    price_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    vat_rate_bp: int = 0
    days: int | None = None  # a day-pass pack's days
    validity_days: int | None = None  # a pack's life from the purchase (a membership: a month)
    credit_minutes: int = 0  # meeting-room time: a pack's, or a membership's each month
    # Resources whose booking it covers: desks (day passes, hot desk), the desks or offices
    # one of which a fixed membership holds, the rooms of a credits pack.
    resource_ids: list[int] = Field(default_factory=list, sa_column=Column(ARRAY(Integer), nullable=False))
    max_active_bookings: int = 1  # upcoming bookings on the plan at once
    renews: bool = True  # memberships: renewed monthly unless cancelled
    active: bool = True  # on sale
    created_at: datetime | None = Field(default=None, sa_column=created_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_column())


class PlanPurchase(SQLModel, table=True):
    __tablename__ = "plan_purchase"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(PurchaseStatus)})", name="ck_plan_purchase_status"),
        CheckConstraint("ends_at > starts_at", name="ck_plan_purchase_period"),
        CheckConstraint("days_left >= 0 AND minutes_left >= 0", name="ck_plan_purchase_left"),
        Index("ix_plan_purchase_user", "user_id", text("id DESC")),
        Index("ix_plan_purchase_space", "space_id", "status"),
        # A membership's month has at most one next month.
        Index("uq_plan_purchase_previous", "previous_id", unique=True,
              postgresql_where=text("previous_id IS NOT NULL")),
        Index("ix_plan_purchase_renewal", "ends_at", postgresql_where=text("status = 'active' AND renews")),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(sa_column=_fk("plan"))
    user_id: int = Field(sa_column=_fk("app_user"))
    space_id: int = Field(sa_column=_fk("space"))
    kind: str = Field(max_length=12)
    membership_type: str | None = Field(default=None, max_length=12)
    name: str = Field(max_length=120)
    status: str = Field(default=PurchaseStatus.pending_payment.value, max_length=16)
    starts_at: datetime = Field(sa_column=_ts(nullable=False))
    ends_at: datetime = Field(sa_column=_ts(nullable=False))
    days_total: int = 0
    days_left: int = 0
    minutes_total: int = 0
    minutes_left: int = 0
    unlimited: bool = False  # a hot-desk membership: any number of desk days
    resource_ids: list[int] = Field(default_factory=list, sa_column=Column(ARRAY(Integer), nullable=False))
    resource_id: int | None = Field(default=None, sa_column=_fk("resource", nullable=True))  # held for the period
    # The booking that holds `resource_id` for the period (no foreign key: booking.plan_purchase_id
    # points this way, and two tables naming each other cannot be created or dropped in order).
    hold_booking_id: int | None = None
    max_active_bookings: int = 1
    renews: bool = False  # the next month follows (a membership not cancelled)
    previous_id: int | None = Field(default=None, sa_column=_fk("plan_purchase", nullable=True))
    price_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    vat_rate_bp: int = 0
    stripe_subscription_id: str | None = Field(default=None, max_length=255)
    expires_at: datetime | None = Field(default=None, sa_column=_ts())  # an unpaid purchase lapses
    paid_at: datetime | None = Field(default=None, sa_column=_ts())
    cancelled_at: datetime | None = Field(default=None, sa_column=_ts())  # renewal switched off
    created_at: datetime | None = Field(default=None, sa_column=created_column())


class PlanUsage(SQLModel, table=True):
    """What a purchase gave (`grant`) and what bookings took (`use`) or gave back (`return`)."""

    __tablename__ = "plan_usage"
    __table_args__ = (Index("ix_plan_usage_purchase", "purchase_id", "id"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    purchase_id: int = Field(sa_column=_fk("plan_purchase", ondelete="CASCADE"))
    booking_id: int | None = Field(default=None, sa_column=_fk("booking", nullable=True, ondelete="SET NULL"))
    kind: str = Field(max_length=8)  # grant | use | return
    days: int = 0
    minutes: int = 0
    created_at: datetime | None = Field(default=None, sa_column=created_column())
