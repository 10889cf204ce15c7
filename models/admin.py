"""Operator tables: the append-only audit log, the search log behind the dashboard's map,
and generated reports/exports (see docs/admin.md)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Column, Date, DateTime, Index, LargeBinary, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.booking import BookingStatus
from models.common import created_column, point_column

# Tables whose every insert/update/delete a trigger records, and the entity name the audit
# API shows for each (singular snake_case; "user" is the app_user table).
AUDITED_TABLES = {
    "space": "space",
    "resource": "resource",
    "tariff": "tariff",
    "addon": "addon",
    "promo_code": "promo_code",
    "booking": "booking",
    "payment": "payment",
    "app_user": "user",
    "space_closure": "closure",
    "penalty": "penalty",
    "owner_finance": "owner_finance",
    "company": "company",
    "company_member": "company_member",
}
AUDIT_ENTITIES = tuple(AUDITED_TABLES.values())


class AuditLog(SQLModel, table=True):
    """One row per changed row, written by the `audit_row` trigger in the same transaction
    as the change. UPDATE, DELETE and TRUNCATE of this table are refused by triggers."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_entity", "entity", "entity_id", text("id DESC")),
        Index("ix_audit_log_actor", "actor_id", text("id DESC")),
        Index("ix_audit_log_at", "at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    at: datetime | None = Field(default=None, sa_column=Column(
        DateTime(timezone=True), nullable=False, server_default=text("clock_timestamp()")))
    actor_id: int | None = Field(default=None)  # no foreign key: the log outlives accounts
    actor_kind: str = Field(default="system", max_length=40)  # user | anonymous | system | job:<name>
    entity: str = Field(max_length=24)
    entity_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    action: str = Field(max_length=8)  # create | update | delete
    # {field: [old, new]}; secrets (password hash, TOTP secret) show as "***".
    changes: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    request_id: str | None = Field(default=None, max_length=64)
    ip: str | None = Field(default=None, max_length=64)


class SearchLog(SQLModel, table=True):
    """Where people search: one row per search (written in batches from a Redis buffer)."""

    __tablename__ = "search_log"
    __table_args__ = (Index("ix_search_log_at", "at"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    city_id: int | None = Field(default=None)
    point: Any = Field(default=None, sa_column=point_column(nullable=True))
    kind: str = Field(default="city", max_length=12)  # city | radius | metro | text
    results: int = Field(default=0)


class ReportStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class ReportFile(SQLModel, table=True):
    """A scheduled report (daily/weekly/monthly) or a large export run as a job: progress
    while it runs, the file once done."""

    __tablename__ = "report_file"
    __table_args__ = (
        CheckConstraint("kind IN ('daily', 'weekly', 'monthly', 'export')", name="ck_report_kind"),
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="ck_report_status"),
        CheckConstraint("progress >= 0 AND progress <= 100", name="ck_report_progress"),
        # One scheduled report per kind and period, however often the job runs.
        Index("uq_report_period", "kind", "fmt", "period_from", unique=True,
              postgresql_where=text("kind <> 'export'")),
        Index("ix_report_created", text("created_at DESC")),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=8)
    title: str = Field(max_length=200)
    table_name: str = Field(default="", max_length=16)  # exports: bookings | spaces | users | payments
    fmt: str = Field(default="xlsx", max_length=4)  # xlsx | pdf
    params: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False,
                                                               server_default="{}"))
    period_from: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    period_to: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    status: str = Field(default=ReportStatus.queued.value, max_length=8)
    progress: int = Field(default=0)
    rows: int = Field(default=0)
    error: str | None = Field(default=None, max_length=500)
    filename: str = Field(default="", max_length=120)
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_by: int | None = Field(default=None)
    created_at: datetime | None = Field(default=None, sa_column=created_column())
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


# --- the dashboard's daily rollups (services/admin/rollups.py, migration 0bdafa54968c) ------
#
# Figures of bookings per space and day, summed per city and day, kept by the per-minute job
# jobs.maintenance.refresh_dashboard_rollups from the changes triggers note. Never written by
# other code. Every figure column is NULL when zero (a NULL costs one bit), so a day with
# three one-hour bookings stores three hour columns, not twenty-four zeros.
ROLLUP_HOURS = tuple(f"h{hour:02d}" for hour in range(24))  # h00 .. h23: local hours
ROLLUP_STATUSES = tuple(status.value for status in BookingStatus)  # n_<status>, one column each
ROLLUP_FIGURES = ("booked_open_us", *ROLLUP_HOURS, *(f"n_{status}" for status in ROLLUP_STATUSES))


class BookingDayFigures(SQLModel):
    """What a (space or city, day) cell holds. Two kinds of day:
    - the local day of the booking's own zone: `booked_open_us` (seat-microseconds booked
      inside the space's opening hours: occupancy) and h00..h23 (seat-microseconds booked in
      each local hour: the heat map), from bookings whose seats were taken (SEAT_STATUSES);
    - the report-zone day the booking starts: n_<status>, every booking by its status now."""

    booked_open_us: int | None = Field(default=None, sa_type=BigInteger)
    h00: int | None = Field(default=None, sa_type=BigInteger)
    h01: int | None = Field(default=None, sa_type=BigInteger)
    h02: int | None = Field(default=None, sa_type=BigInteger)
    h03: int | None = Field(default=None, sa_type=BigInteger)
    h04: int | None = Field(default=None, sa_type=BigInteger)
    h05: int | None = Field(default=None, sa_type=BigInteger)
    h06: int | None = Field(default=None, sa_type=BigInteger)
    h07: int | None = Field(default=None, sa_type=BigInteger)
    h08: int | None = Field(default=None, sa_type=BigInteger)
    h09: int | None = Field(default=None, sa_type=BigInteger)
    h10: int | None = Field(default=None, sa_type=BigInteger)
    h11: int | None = Field(default=None, sa_type=BigInteger)
    h12: int | None = Field(default=None, sa_type=BigInteger)
    h13: int | None = Field(default=None, sa_type=BigInteger)
    h14: int | None = Field(default=None, sa_type=BigInteger)
    h15: int | None = Field(default=None, sa_type=BigInteger)
    h16: int | None = Field(default=None, sa_type=BigInteger)
    h17: int | None = Field(default=None, sa_type=BigInteger)
    h18: int | None = Field(default=None, sa_type=BigInteger)
    h19: int | None = Field(default=None, sa_type=BigInteger)
    h20: int | None = Field(default=None, sa_type=BigInteger)
    h21: int | None = Field(default=None, sa_type=BigInteger)
    h22: int | None = Field(default=None, sa_type=BigInteger)
    h23: int | None = Field(default=None, sa_type=BigInteger)
    n_pending_payment: int | None = None
    n_paid: int | None = None
    n_confirmed: int | None = None
    n_cancelled: int | None = None
    n_expired: int | None = None
    n_completed: int | None = None
    n_no_show: int | None = None


class BookingDaySpace(BookingDayFigures, table=True):
    """One space's cell of one day. `city_id`: the space's city when the cell was last
    written (its sums are in that city's booking_day_city row)."""

    __tablename__ = "booking_day_space"
    __table_args__ = (Index("ix_booking_day_space_day", "day"),)

    space_id: int = Field(primary_key=True)
    day: date = Field(sa_column=Column(Date, primary_key=True))
    city_id: int


class BookingDayCity(BookingDayFigures, table=True):
    """The sum of the booking_day_space rows of one city and day (the network and city
    views read these: a few rows a day instead of one per space)."""

    __tablename__ = "booking_day_city"

    day: date = Field(sa_column=Column(Date, primary_key=True))
    city_id: int = Field(primary_key=True)


class BookingRollupChange(SQLModel, table=True):
    """A booking version the rollups do not hold yet, written by the `booking_rollup_note`
    triggers in the transaction that changes the booking: +1 the new version (insert,
    update), -1 the old one (update, delete). No key and no index: the refresh takes every
    row at once (DELETE ... RETURNING) and readers add the pending ones to the rollups."""

    __tablename__ = "booking_rollup_change"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    sign: int
    space_id: int
    start_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    end_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    timezone: str = Field(max_length=64)
    seats: int
    status: str = Field(max_length=16)


class BookingRollupSpace(SQLModel, table=True):
    """A space whose cells must be counted again whole: its opening hours (occupancy) or its
    city changed (the `booking_rollup_space_note` trigger on space)."""

    __tablename__ = "booking_rollup_space"

    space_id: int = Field(primary_key=True)


class BookingRollupState(SQLModel, table=True):
    """One row: the report zone the status counts' days are in (a different REPORT_TIMEZONE
    makes the next refresh rebuild everything) and the last refresh."""

    __tablename__ = "booking_rollup_state"
    __table_args__ = (CheckConstraint("id", name="ck_booking_rollup_state_one"),)

    id: bool = Field(default=True, primary_key=True)
    report_timezone: str = Field(max_length=64)
    refreshed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    applied: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"),
                         description="change rows applied by the refreshes so far")
