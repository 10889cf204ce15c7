"""Market data (docs/market.md): competitors' listings crawled from sources an operator
manages, the runs of those crawls, the prices seen over time, and the scoped service keys
the crawler posts its batches with."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from models.common import created_column, point_column, updated_column


class SourceKind(StrEnum):
    jsonld = "jsonld"  # schema.org JSON-LD (microdata/RDFa as a fallback) on same-site pages
    css = "css"  # CSS selectors stored on the source


class SourceSchedule(StrEnum):
    daily = "daily"
    weekly = "weekly"


class RunStatus(StrEnum):
    queued = "queued"
    running = "running"
    finished = "finished"
    failed = "failed"


class MarketUnit(StrEnum):
    hour = "hour"
    day = "day"
    week = "week"
    month = "month"


def _in(values: type[StrEnum]) -> str:
    return ", ".join(f"'{v.value}'" for v in values)


class MarketSource(SQLModel, table=True):
    """A competitor's site to crawl: a row an operator manages, not code."""

    __tablename__ = "market_source"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(SourceKind)})", name="ck_market_source_kind"),
        CheckConstraint(f"schedule IS NULL OR schedule IN ({_in(SourceSchedule)})",
                        name="ck_market_source_schedule"),
        CheckConstraint("kind = 'css' OR selectors IS NULL", name="ck_market_source_selectors"),
        UniqueConstraint("name", name="uq_market_source_name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    start_url: str = Field(max_length=2000)
    kind: str = Field(max_length=16)
    selectors: dict | None = Field(default=None, sa_column=Column(JSONB(none_as_null=True), nullable=True))
    schedule: str | None = Field(default=None, max_length=16)
    enabled: bool = Field(default=True)
    created_by: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True))
    created_at: datetime | None = Field(default=None, sa_column=created_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_column())


class MarketRun(SQLModel, table=True):
    """One crawl of one source: queued by an operator or the schedule, run by a worker in a
    child process; the crawler's batches add to its counters as they arrive."""

    __tablename__ = "market_run"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(RunStatus)})", name="ck_market_run_status"),
        CheckConstraint("pages >= 0 AND items >= 0 AND stored >= 0 AND error_count >= 0",
                        name="ck_market_run_counts"),
        # A source's runs, newest first (the panel; "is one running already?").
        Index("ix_market_run_source_created", "source_id", text("created_at DESC")),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(sa_column=Column(
        Integer, ForeignKey("market_source.id", ondelete="CASCADE"), nullable=False))
    status: str = Field(default=RunStatus.queued.value, max_length=16)
    trigger: str = Field(default="manual", max_length=16)  # manual | schedule
    requested_by: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True))
    pages: int = 0
    items: int = 0
    stored: int = 0
    error_count: int = 0
    # The first ERRORS_KEPT errors as [{"url", "reason"}]; error_count counts them all.
    errors: list = Field(default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]"))
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # why it failed
    created_at: datetime | None = Field(default=None, sa_column=created_column())
    started_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


class MarketListing(SQLModel, table=True):
    """A competitor's listing, keyed by (source, external id); its current prices per unit
    in `prices` ({"hour": {"amount_minor", "currency"}, ...}), their changes in
    market_price."""

    __tablename__ = "market_listing"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id", name="uq_market_listing_source_external"),
        CheckConstraint("price_minor IS NULL OR price_minor > 0", name="ck_market_listing_price"),
        CheckConstraint(f"unit IS NULL OR unit IN ({_in(MarketUnit)})", name="ck_market_listing_unit"),
        # The operators' table by city, the owners' view by distance (GiST on location).
        Index("ix_market_listing_city_seen", "city_id", text("last_seen_at DESC")),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(sa_column=Column(
        Integer, ForeignKey("market_source.id", ondelete="CASCADE"), nullable=False))
    external_id: str = Field(max_length=200)
    url: str = Field(max_length=2000)
    name: str = Field(max_length=300)
    address: str | None = Field(default=None, max_length=500)
    location: Any = Field(default=None, sa_column=point_column(nullable=True))
    located_by: str = Field(default="none", max_length=16)  # page | address | city | none
    city_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("city.id", ondelete="SET NULL"), nullable=True))
    district_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("district.id", ondelete="SET NULL"), nullable=True))
    # The listing's "from" price: the first unit it states (hour, day, week, month).
    price_minor: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    currency: str | None = Field(default=None, max_length=3)
    unit: str | None = Field(default=None, max_length=16)
    prices: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default="{}"))
    terms: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    min_minutes: int | None = None
    cancellation: str = Field(default="unknown", max_length=16)
    amenities: list[str] = Field(
        default_factory=list, sa_column=Column(ARRAY(String(32)), nullable=False, server_default="{}"))
    first_seen_at: datetime | None = Field(default=None, sa_column=created_column())
    last_seen_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    gone_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


class MarketPrice(SQLModel, table=True):
    """A listing's price in one unit from the moment it was first seen at that amount: a
    row only when the price changed (the owners' trend per month)."""

    __tablename__ = "market_price"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="ck_market_price_amount"),
        Index("ix_market_price_listing_unit_seen", "listing_id", "unit", "seen_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    listing_id: int = Field(sa_column=Column(
        Integer, ForeignKey("market_listing.id", ondelete="CASCADE"), nullable=False))
    unit: str = Field(max_length=16)
    currency: str = Field(max_length=3)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    seen_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class ServiceKey(SQLModel, table=True):
    """A scoped key for a machine (the crawler posting its batches): only its SHA-256 is
    stored; the key itself is shown once. A run's own key (`run_id`) dies with the run."""

    __tablename__ = "service_key"
    __table_args__ = (
        UniqueConstraint("key_hash", name="uq_service_key_hash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    scope: str = Field(max_length=32)  # market:ingest
    prefix: str = Field(max_length=16)  # the key's first characters, to tell keys apart
    key_hash: str = Field(max_length=64)
    run_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("market_run.id", ondelete="CASCADE"), nullable=True))
    created_by: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True))
    created_at: datetime | None = Field(default=None, sa_column=created_column())
    expires_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    last_used_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
