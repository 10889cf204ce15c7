"""Bookings, their history, money (payments, refunds, promo codes, add-ons) and documents.

Money is always integer minor units (kopecks for RUB) plus a 3-letter currency code.
Times are timestamptz (UTC in the database); the space's IANA time zone is how people see them.
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
    LargeBinary,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, ExcludeConstraint
from sqlmodel import Field, SQLModel

from models.common import created_column, updated_column


class BookingStatus(StrEnum):
    pending_payment = "pending_payment"
    paid = "paid"
    confirmed = "confirmed"
    cancelled = "cancelled"
    expired = "expired"
    completed = "completed"
    no_show = "no_show"


# Statuses that hold seats. A pending_payment row holds them only until expires_at; the
# booking service turns overdue holds into `expired` before it counts or inserts.
HOLDING_STATUSES = (BookingStatus.pending_payment, BookingStatus.paid, BookingStatus.confirmed)
_HOLDING_SQL = ", ".join(f"'{s.value}'" for s in HOLDING_STATUSES)
# Statuses whose seats were really taken (the dashboard's occupancy, heat map, "active now";
# services/admin/analytics.py SEAT_SQL and the `booking_rollup_cells` database function).
SEAT_STATUSES = (BookingStatus.paid, BookingStatus.confirmed, BookingStatus.completed, BookingStatus.no_show)


def holds_seats_sql(alias: str) -> str:
    """SQL: the booking row `alias` holds its seats now (a holding status, and an unpaid
    hold only until its expiry). The one definition of "seats held": every seat-counting
    query (services/booking/availability.py, services/catalog/owner_spaces.py) and the `booked_seats`
    database function (built from it by migration 7f3a2c9e5d10) use it. Its status list
    implies the partial index ix_booking_resource_period, so counting uses that index."""
    return (f"{alias}.status IN ({_HOLDING_SQL}) AND ({alias}.status <> "
            f"'{BookingStatus.pending_payment.value}' OR {alias}.expires_at > now())")


class CancellationPolicy(StrEnum):
    flexible = "flexible"
    moderate = "moderate"
    strict = "strict"


class AddonUnit(StrEnum):
    booking = "booking"  # once per booking
    hour = "hour"  # per hour of the booking
    seat = "seat"  # per booked seat


class PromoKind(StrEnum):
    percent = "percent"
    fixed = "fixed"


class PaymentStatus(StrEnum):
    pending = "pending"
    succeeded = "succeeded"
    failed = "failed"


class DocumentKind(StrEnum):
    receipt = "receipt"
    credit_note = "credit_note"


def _ts(nullable: bool = True) -> Column:
    return Column(DateTime(timezone=True), nullable=nullable)


def _fk(table: str, *, nullable: bool = False, ondelete: str = "RESTRICT", index: bool = False) -> Column:
    return Column(Integer, ForeignKey(f"{table}.id", ondelete=ondelete), nullable=nullable,
                  index=index)


class Addon(SQLModel, table=True):
    """Something extra a renter adds to a booking: a monitor, a locker, parking."""

    __tablename__ = "addon"
    __table_args__ = (
        Index("uq_addon_space_code", "space_id", "code", unique=True),
        CheckConstraint("price_minor >= 0", name="ck_addon_price"),
        CheckConstraint("unit IN ('booking', 'hour', 'seat')", name="ck_addon_unit"),
    )

    id: int | None = Field(default=None, primary_key=True)
    space_id: int = Field(sa_column=_fk("space", ondelete="CASCADE", index=True))
    code: str = Field(max_length=32)
    name: str = Field(max_length=120)
    unit: str = Field(max_length=8)
    price_minor: int
    # Resource kinds it applies to; empty = every kind.
    resource_kinds: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(String(16)), nullable=False, server_default="{}"),
    )
    max_quantity: int = Field(default=10)
    active: bool = Field(default=True)


class PromoCode(SQLModel, table=True):
    __tablename__ = "promo_code"
    __table_args__ = (
        Index("uq_promo_code_code", text("upper(code)"), unique=True),
        CheckConstraint("kind IN ('percent', 'fixed')", name="ck_promo_kind"),
        CheckConstraint("value > 0 AND (kind <> 'percent' OR value <= 100)", name="ck_promo_value"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32)
    # A promo of one space (made by its owner) or of the whole network (space_id null, admin).
    space_id: int | None = Field(default=None, sa_column=_fk("space", nullable=True,
                                                              ondelete="CASCADE"))
    kind: str = Field(max_length=8)
    value: int  # percent (1..100) or minor units
    currency: str = Field(default="RUB", max_length=3)
    valid_from: datetime | None = Field(default=None, sa_column=_ts())
    valid_until: datetime | None = Field(default=None, sa_column=_ts())
    max_uses_total: int | None = None
    max_uses_per_user: int | None = Field(default=1)
    min_amount_minor: int = Field(default=0)
    created_at: datetime | None = Field(default=None, sa_column=created_column())


class Booking(SQLModel, table=True):
    __tablename__ = "booking"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="ck_booking_interval"),
        CheckConstraint("seats >= 1", name="ck_booking_seats"),
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s.value}'" for s in BookingStatus) + ")",
            name="ck_booking_status",
        ),
        # Meeting rooms and offices are booked whole: PostgreSQL itself refuses two
        # holding bookings of one such resource whose [start, end) ranges overlap.
        ExcludeConstraint(
            (Column("resource_id"), "="),
            (text("tstzrange(start_at, end_at, '[)')"), "&&"),
            name="ex_booking_whole_resource",
            using="gist",
            where=text(f"whole AND status IN ({_HOLDING_SQL})"),
        ),
        # Seat counting: overlapping holding bookings of one resource.
        Index("ix_booking_resource_period", "resource_id",
              text("tstzrange(start_at, end_at, '[)')"), postgresql_using="gist",
              postgresql_where=text(f"status IN ({_HOLDING_SQL})")),
        Index("ix_booking_user_start", "user_id", text("start_at DESC")),
        Index("ix_booking_space_start", "space_id", text("start_at DESC")),
        # The admin dashboard and tables: periods over every space, newest first. It also
        # carries the columns the dashboard's figures read (services/admin/analytics.py), so they
        # are counted from the index alone (index-only scans) without visiting the rows.
        Index("ix_booking_start_cover", "start_at",
              postgresql_include=["end_at", "space_id", "status", "seats", "timezone",
                                  "paid_minor", "refunded_minor", "created_at"]),
        Index("ix_booking_created_at", "created_at"),
        # Bookings longer than a day, by start: what "active now" reads besides the last
        # day's starts (services/admin/analytics.py).
        Index("ix_booking_long_start", "start_at", postgresql_include=["end_at", "space_id", "status"],
              postgresql_where=text("end_at - start_at > interval '1 day'")),
        Index("ix_booking_hold_expiry", "expires_at",
              postgresql_where=text("status = 'pending_payment'")),
        Index("ix_booking_series_id", "series_id", postgresql_where=text("series_id IS NOT NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=_fk("app_user"))
    space_id: int = Field(sa_column=_fk("space"))
    resource_id: int = Field(sa_column=_fk("resource"))
    start_at: datetime = Field(sa_column=_ts(nullable=False))
    end_at: datetime = Field(sa_column=_ts(nullable=False))
    seats: int
    whole: bool = Field(default=False)  # the resource is booked whole (seats = capacity)
    status: str = Field(default=BookingStatus.pending_payment.value, max_length=16)
    expires_at: datetime | None = Field(default=None, sa_column=_ts())  # end of the hold
    timezone: str = Field(max_length=64)  # the space's zone when booked
    # The price breakdown shown before payment, stored as shown (see services/booking/pricing.py).
    price: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    addons: list = Field(default_factory=list, sa_column=Column(JSONB, nullable=False,
                                                               server_default="[]"))
    total_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    promo_id: int | None = Field(default=None, sa_column=_fk("promo_code", nullable=True,
                                                              ondelete="SET NULL"))
    policy: str = Field(max_length=16)  # cancellation policy at booking time
    # Paid minus refunded; what a cancellation can still give back.
    paid_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False,
                                                       server_default="0"))
    refunded_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False,
                                                           server_default="0"))
    balance_due_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False,
                                                              server_default="0"))
    # A paid booking's requested change that costs more: applied only when its payment
    # succeeds (and the seats are still free), so a renter cannot take more than they paid.
    pending_change: dict | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    cancel_reason: str | None = Field(default=None, max_length=500)
    # The platform's commission on this booking (basis points of its price before VAT),
    # fixed when its first money reaches the ledger (services/finance/ledger.py).
    commission_bp: int | None = None
    # Booked on a company's account (paid by the company's weekly invoice).
    company_id: int | None = Field(default=None, sa_column=_fk("company", nullable=True, index=True))
    # The guest's arrival (services/booking/checkin.py): when, how ("qr" scanned by the space's
    # staff, "geo" by the guest near the space) and who marked it.
    checked_in_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    checkin_method: str | None = Field(default=None, max_length=8)
    checked_in_by: int | None = Field(default=None, sa_column=_fk("app_user", nullable=True))
    # One occurrence of a recurring series (services/booking/series.py).
    series_id: int | None = Field(default=None, sa_column=_fk("booking_series", nullable=True))
    # Covered by a plan (services/booking/cover.py): its days or hours paid for the booking.
    plan_purchase_id: int | None = Field(default=None, sa_column=_fk("plan_purchase", nullable=True, index=True))
    created_at: datetime | None = Field(default=None, sa_column=created_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_column())


class BookingEvent(SQLModel, table=True):
    """Every status change (and modification) with who did it and when: append-only."""

    __tablename__ = "booking_event"

    id: int | None = Field(default=None, primary_key=True)
    booking_id: int = Field(sa_column=_fk("booking", ondelete="CASCADE", index=True))
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str = Field(max_length=16)
    action: str = Field(max_length=24)  # create, pay, confirm, accept, reject, cancel, ...
    actor_id: int | None = Field(default=None, sa_column=_fk("app_user", nullable=True))
    actor_role: str = Field(max_length=12)  # renter, owner, admin, system, provider
    reason: str | None = Field(default=None, max_length=500)
    data: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False,
                                                             server_default="{}"))
    created_at: datetime | None = Field(default=None, sa_column=created_column())


class Payment(SQLModel, table=True):
    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="ck_payment_amount"),
        CheckConstraint("refunded_minor >= 0 AND refunded_minor <= amount_minor",
                        name="ck_payment_refunded"),
        # A payment pays for one thing: a booking (or its change), a company's invoice or a plan.
        CheckConstraint("num_nonnulls(booking_id, invoice_id, plan_purchase_id) = 1", name="ck_payment_target"),
        # Money received by day (services/admin/analytics.py): succeeded payments by their date.
        Index("ix_payment_succeeded_at", "succeeded_at", postgresql_where=text("succeeded_at IS NOT NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    booking_id: int | None = Field(default=None, sa_column=_fk("booking", nullable=True, index=True))
    # A company's invoice paid by card online (services/finance/settlement.py).
    invoice_id: int | None = Field(default=None, sa_column=_fk("invoice", nullable=True, index=True))
    # A plan bought or renewed (services/plans/).
    plan_purchase_id: int | None = Field(default=None, sa_column=_fk("plan_purchase", nullable=True, index=True))
    provider: str = Field(max_length=16)  # stripe | yookassa | test | account (a company's)
    purpose: str = Field(default="booking", max_length=16)  # booking | change | invoice | plan
    # The provider's checkout; the occurrences of a series share one (paid together).
    provider_session_id: str | None = Field(default=None, max_length=255, index=True)
    provider_payment_id: str | None = Field(default=None, max_length=255)  # payment intent
    idempotency_key: str = Field(max_length=80, unique=True)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    status: str = Field(default=PaymentStatus.pending.value, max_length=16)
    refunded_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False,
                                                           server_default="0"))
    payment_url: str = Field(default="", max_length=1000)
    # For purpose "change": the booking's pending_change this payment pays for.
    change: dict | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    failure: str | None = Field(default=None, max_length=255)
    # When the money arrived (the "payment date" of the analytics); None until it does.
    succeeded_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    created_at: datetime | None = Field(default=None, sa_column=created_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_column())


class Refund(SQLModel, table=True):
    __tablename__ = "refund"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="ck_refund_amount"),
                      Index("ix_refund_created_at", "created_at"))

    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(sa_column=_fk("payment", index=True))
    # None for the refund of an invoice's card payment (its payment names the invoice).
    booking_id: int | None = Field(default=None, sa_column=_fk("booking", nullable=True, index=True))
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    provider_refund_id: str | None = Field(default=None, max_length=255)
    status: str = Field(default="succeeded", max_length=16)
    reason: str = Field(default="", max_length=255)
    created_at: datetime | None = Field(default=None, sa_column=created_column())


class WebhookEvent(SQLModel, table=True):
    """Provider events already handled: the primary key makes each one count once."""

    __tablename__ = "webhook_event"

    id: str = Field(primary_key=True, max_length=255)
    provider: str = Field(max_length=16)
    type: str = Field(max_length=80)
    created_at: datetime | None = Field(default=None, sa_column=created_column())


class DocumentCounter(SQLModel, table=True):
    """Gap-free numbering: the counter row is updated in the transaction that inserts the
    document, so a rollback gives the number back (a sequence would leave a gap)."""

    __tablename__ = "document_counter"

    kind: str = Field(primary_key=True, max_length=16)
    last_number: int = Field(default=0)


class Document(SQLModel, table=True):
    """A receipt or credit note as issued (PDF bytes kept: documents are private)."""

    __tablename__ = "document"
    __table_args__ = (Index("uq_document_kind_number", "kind", "number", unique=True),
                      # A booking's document, or a plan's receipt (services/payments/documents.py).
                      CheckConstraint("num_nonnulls(booking_id, plan_purchase_id) = 1", name="ck_document_target"))

    id: int | None = Field(default=None, primary_key=True)
    booking_id: int | None = Field(default=None, sa_column=_fk("booking", nullable=True, index=True))
    plan_purchase_id: int | None = Field(default=None, sa_column=_fk("plan_purchase", nullable=True, index=True))
    refund_id: int | None = Field(default=None, sa_column=_fk("refund", nullable=True))
    kind: str = Field(max_length=16)
    number: int
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    pdf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=created_column())


class BookingSeries(SQLModel, table=True):
    """A recurring booking (services/booking/series.py): the rule that made its occurrences
    (each a Booking with `series_id`), what each books, and the dates that did not fit."""

    __tablename__ = "booking_series"
    __table_args__ = (Index("ix_booking_series_user", "user_id", text("id DESC")),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=_fk("app_user"))
    space_id: int = Field(sa_column=_fk("space"))
    resource_id: int = Field(sa_column=_fk("resource"))
    rule: str = Field(max_length=300)  # RFC 5545, e.g. FREQ=WEEKLY;BYDAY=TU;COUNT=8
    seats: int = 1
    timezone: str = Field(max_length=64)
    addons: list = Field(default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]"))
    conflicts: list = Field(default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]"))
    created_at: datetime | None = Field(default=None, sa_column=created_column())


class WaitlistStatus(StrEnum):
    waiting = "waiting"  # in line
    offered = "offered"  # seats freed up: a hold was made for the person (booking_id)
    left = "left"  # the person left the line
    closed = "closed"  # the time came, or the request could no longer be offered


class WaitlistEntry(SQLModel, table=True):
    """A place in line for a resource's interval with no free seats (services/booking/waitlist.py):
    when seats free up, the first entry whose request fits gets a hold."""

    __tablename__ = "waitlist_entry"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="ck_waitlist_interval"),
        CheckConstraint("seats >= 1", name="ck_waitlist_seats"),
        CheckConstraint("status IN (" + ", ".join(f"'{s.value}'" for s in WaitlistStatus) + ")",
                        name="ck_waitlist_status"),
        # The line of a resource: waiting entries in order of arrival.
        Index("ix_waitlist_line", "resource_id", "id", postgresql_where=text("status = 'waiting'")),
        # One place in line per person, resource and interval.
        Index("uq_waitlist_waiting", "user_id", "resource_id", "start_at", "end_at", unique=True,
              postgresql_where=text("status = 'waiting'")),
        Index("ix_waitlist_user", "user_id", text("id DESC")),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=_fk("app_user"))
    space_id: int = Field(sa_column=_fk("space", ondelete="CASCADE", index=True))
    resource_id: int = Field(sa_column=_fk("resource", ondelete="CASCADE"))
    start_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    end_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    seats: int = 1
    status: str = Field(default=WaitlistStatus.waiting.value, max_length=8)
    booking_id: int | None = Field(default=None, sa_column=_fk("booking", nullable=True, ondelete="SET NULL"))
    offered_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    created_at: datetime | None = Field(default=None, sa_column=created_column())
