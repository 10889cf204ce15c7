"""Operator tables: the append-only audit log, the search log behind the dashboard's map,
and generated reports/exports (see docs/admin.md)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Column, Date, DateTime, Index, LargeBinary, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

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
