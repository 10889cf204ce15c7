"""Spaces and what is booked inside them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Computed,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, ExcludeConstraint
from sqlmodel import Field, SQLModel

from models.common import created_column, point_column, updated_column

PHOTO_LIMIT = 10


class SpaceStatus(StrEnum):
    draft = "draft"
    pending_review = "pending_review"
    published = "published"
    hidden = "hidden"


class ResourceKind(StrEnum):
    hot_desk = "hot_desk"
    fixed_desk = "fixed_desk"
    meeting_room = "meeting_room"
    private_office = "private_office"


class PriceUnit(StrEnum):
    hour = "hour"
    day = "day"
    month = "month"


def _in(values: type[StrEnum]) -> str:
    return ", ".join(f"'{v.value}'" for v in values)


SEARCH_VECTOR_SQL = (
    "setweight(to_tsvector('russian'::regconfig, coalesce(name, '')), 'A') || "
    "setweight(to_tsvector('russian'::regconfig, coalesce(description, '')), 'B') || "
    "setweight(to_tsvector('russian'::regconfig, coalesce(address, '')), 'C') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(name, '') || ' ' || "
    "coalesce(description, '')), 'D')"
)


class Amenity(SQLModel, table=True):
    __tablename__ = "amenity"

    code: str = Field(primary_key=True, max_length=32)
    name_ru: str = Field(max_length=64)
    name_en: str = Field(max_length=64)
    icon: str = Field(max_length=32, default="circle-check")  # lucide icon name
    position: int = Field(default=0)


class Space(SQLModel, table=True):
    __tablename__ = "space"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(SpaceStatus)})", name="ck_space_status"),
        CheckConstraint("rating >= 0 AND rating <= 5", name="ck_space_rating"),
        CheckConstraint("cancellation_policy IN ('flexible', 'moderate', 'strict')",
                        name="ck_space_cancellation_policy"),
        CheckConstraint("vat_rate_bp >= 0 AND vat_rate_bp <= 5000", name="ck_space_vat_rate"),
        CheckConstraint("checkin_grace_minutes >= 5 AND checkin_grace_minutes <= 240", name="ck_space_checkin_grace"),
        CheckConstraint("no_show_fee_percent >= 0 AND no_show_fee_percent <= 100",
                        name="ck_space_no_show_fee"),
        Index("ix_space_search_vector", "search_vector", postgresql_using="gin"),
        Index("ix_space_amenities", "amenities", postgresql_using="gin"),
        Index("ix_space_city_status", "city_id", "status"),
        # Sort orders within a city, so "newest/price/rating in Moscow" reads 20 index
        # entries instead of sorting every space of the city.
        Index("ix_space_city_rating", "city_id", text("rating DESC"),
              text("reviews_count DESC"), "id", postgresql_where=text("status = 'published'")),
        Index("ix_space_city_created", "city_id", text("created_at DESC"), text("id DESC"),
              postgresql_where=text("status = 'published'")),
        Index("ix_space_city_price_hour", "city_id", "price_hour_from", "id",
              postgresql_where=text("status = 'published'")),
        Index("ix_space_city_price_day", "city_id", "price_day_from", "id",
              postgresql_where=text("status = 'published'")),
        Index("ix_space_city_price_month", "city_id", "price_month_from", "id",
              postgresql_where=text("status = 'published'")),
        # The same orders without a city, walked by searches around a point (radius, metro).
        Index("ix_space_rating", text("rating DESC"), text("reviews_count DESC"), "id",
              postgresql_where=text("status = 'published'")),
        Index("ix_space_created", text("created_at DESC"), text("id DESC"),
              postgresql_where=text("status = 'published'")),
        Index("ix_space_price_hour_id", "price_hour_from", "id",
              postgresql_where=text("status = 'published'")),
        Index("ix_space_price_day_id", "price_day_from", "id",
              postgresql_where=text("status = 'published'")),
        Index("ix_space_price_month_id", "price_month_from", "id",
              postgresql_where=text("status = 'published'")),
        # Place suggestions (services/catalog/places.py): words of names and addresses.
        Index("ix_space_place_text",
              text("(translate(lower((name || ' ') || address), 'ё', 'е')) gin_trgm_ops"),
              postgresql_using="gin",
              postgresql_where=text("status = 'published' AND deleted_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Null only in synthetic benchmark data (demo.scale): a space nobody owns takes no bookings
    # or questions (services.catalog.spaces.is_bookable), and is never published by moderation.
    owner_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    name: str = Field(max_length=160)
    description: str = Field(default="", max_length=5000)
    # The owner's English name and description, shown to English readers when given.
    name_en: str = Field(default="", max_length=160, sa_column_kwargs={"server_default": ""})
    description_en: str = Field(default="", max_length=5000, sa_column_kwargs={"server_default": ""})
    address: str = Field(max_length=255)
    location: Any = Field(sa_column=point_column(nullable=False))
    city_id: int = Field(foreign_key="city.id")
    district_id: int | None = Field(default=None, foreign_key="district.id", index=True)
    timezone: str = Field(max_length=64)
    # {"mon": {"open": "09:00", "close": "21:00"}, ..., "sun": null}: null = closed.
    opening_hours: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    status: str = Field(default=SpaceStatus.draft.value, max_length=16)
    amenities: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(String(32)), nullable=False, server_default="{}"),
    )
    # Denormalised from resources/tariffs by services.catalog.spaces.do_refresh_space_summary.
    price_hour_from: int | None = Field(default=None)
    price_day_from: int | None = Field(default=None)
    price_month_from: int | None = Field(default=None)
    currency: str = Field(default="RUB", max_length=3)
    max_capacity: int = Field(default=0, index=True)
    # Booking rules (see docs/booking.md): approval, cancellation preset, VAT.
    # False: the owner accepts each paid booking.
    instant_book: bool = Field(default=True, sa_column_kwargs={"server_default": "true"})
    cancellation_policy: str = Field(default="flexible", max_length=16,
                                     sa_column_kwargs={"server_default": "flexible"})
    # What a no-show costs, in percent of what was paid (the rest goes back): 100 keeps it all.
    no_show_fee_percent: int = Field(default=100, sa_column_kwargs={"server_default": "100"})
    # Check-in (services/booking/checkin.py): a confirmed booking nobody checked in for within
    # `checkin_grace_minutes` of its start is released as a no-show, when the owner turned it on.
    no_show_release: bool = Field(default=False, sa_column_kwargs={"server_default": "false"})
    checkin_grace_minutes: int = Field(default=30, sa_column_kwargs={"server_default": "30"})
    # Basis points: 2200 = 22 %.
    vat_rate_bp: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    prices_include_vat: bool = Field(default=True, sa_column_kwargs={"server_default": "true"})
    # Moderation (docs/admin.md): the reason of the last rejection, shown to the owner, and
    # when a published space's text or photos changed and wait for a moderator's look.
    moderation_note: str | None = Field(default=None, max_length=500)
    changed_for_review_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    rating: float = Field(default=0.0)
    reviews_count: int = Field(default=0)
    search_vector: Any = Field(
        default=None,
        sa_column=Column(TSVECTOR, Computed(SEARCH_VECTOR_SQL, persisted=True)),
    )
    created_at: datetime | None = Field(default=None, sa_column=created_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_column())
    # Soft delete by the owner: the row stays for bookings and the audit trail.
    deleted_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


# A point in web-mercator, the projection of map tiles, as integers: the world is MERC_SCALE
# wide and high, x from the antimeridian eastwards, y from the north (about 4 cm a step at
# the equator). Generated on space_search from `location` (migration e7a9b3c5d1f2); the
# search map's boxes and clusters read them (services/catalog/search_map.py).
MERC_SCALE = 2 ** 30
MERC_MAX_LAT = 85.05112878
MERC_X_SQL = f"floor((st_x(location::geometry) + 180.0) / 360.0 * {MERC_SCALE})::integer"
MERC_Y_SQL = (
    "floor((0.5 - ln(tan(pi() / 4 + radians(least(greatest(st_y(location::geometry), "
    f"-{MERC_MAX_LAT}), {MERC_MAX_LAT})) / 2)) / (2 * pi())) * {MERC_SCALE})::integer"
)


class SpaceSearch(SQLModel, table=True):
    """What search filters and sorts on, one narrow row per published space, kept by the
    `space_search_sync` trigger on `space` (migration 5b2e9c41d7aa); never written by code.

    Search reads its conditions, counts and sort orders here and joins `space` only for
    the page it returns. A `space` row averages 1.2 kB (description, opening hours, the
    text vector): at 100k spaces the table is 190-260 MB, larger than PostgreSQL's default
    128 MB of shared buffers, and a count over a dense ring or a common amenity visited
    thousands of those wide rows. This table holds the same rows in a third of the space.
    """

    __tablename__ = "space_search"
    __table_args__ = (
        Index("ix_space_search_text", "search_vector", postgresql_using="gin"),
        Index("ix_space_search_amenities", "amenities", postgresql_using="gin"),
        Index("ix_space_search_district", "district_id"),
        Index("ix_space_search_capacity", "max_capacity"),
        # Sort orders within a city, and the same without one (searches around a point).
        Index("ix_space_search_city_rating", "city_id", text("rating DESC"),
              text("reviews_count DESC"), "space_id"),
        Index("ix_space_search_city_created", "city_id", text("created_at DESC"),
              text("space_id DESC")),
        Index("ix_space_search_city_price_hour", "city_id", "price_hour_from", "space_id"),
        Index("ix_space_search_city_price_day", "city_id", "price_day_from", "space_id"),
        Index("ix_space_search_city_price_month", "city_id", "price_month_from", "space_id"),
        Index("ix_space_search_rating", text("rating DESC"), text("reviews_count DESC"),
              "space_id"),
        Index("ix_space_search_created", text("created_at DESC"), text("space_id DESC")),
        Index("ix_space_search_price_hour", "price_hour_from", "space_id"),
        Index("ix_space_search_price_day", "price_day_from", "space_id"),
        Index("ix_space_search_price_month", "price_month_from", "space_id"),
        # The search map: boxes and clusters, a city's from an index-only scan.
        Index("ix_space_search_city_merc", "city_id", "merc_x", "merc_y", "space_id"),
        Index("ix_space_search_merc", "merc_x", "merc_y", "space_id"),
    )

    space_id: int = Field(
        sa_column=Column(Integer, ForeignKey("space.id", ondelete="CASCADE"), primary_key=True))
    city_id: int
    district_id: int | None = Field(default=None)
    location: Any = Field(sa_column=point_column(nullable=False))
    amenities: list[str] = Field(
        default_factory=list, sa_column=Column(ARRAY(String(32)), nullable=False))
    price_hour_from: int | None = Field(default=None)
    price_day_from: int | None = Field(default=None)
    price_month_from: int | None = Field(default=None)
    max_capacity: int
    rating: float
    reviews_count: int
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    search_vector: Any = Field(default=None, sa_column=Column(TSVECTOR))
    merc_x: int | None = Field(default=None, sa_column=Column(
        Integer, Computed(MERC_X_SQL, persisted=True)))
    merc_y: int | None = Field(default=None, sa_column=Column(
        Integer, Computed(MERC_Y_SQL, persisted=True)))


MAP_CELL_SHIFT = 14  # a map cell is 2^14 merc units wide: 611 m at the equator, 344 m at 55 N


class SpaceMapCell(SQLModel, table=True):
    """Published spaces counted per small square of the map (2^MAP_CELL_SHIFT merc units) and
    city, kept by the `space_map_cell_sync` trigger on space_search (migration e7a9b3c5d1f2);
    never written by code. The search map's clusters of an unfiltered view (a city, a box)
    are sums of these instead of a scan of every space in view."""

    __tablename__ = "space_map_cell"

    city_id: int = Field(primary_key=True)
    cx: int = Field(primary_key=True, description="merc_x >> MAP_CELL_SHIFT")
    cy: int = Field(primary_key=True, description="merc_y >> MAP_CELL_SHIFT")
    spaces: int
    sum_x: int = Field(sa_column=Column(BigInteger, nullable=False))
    sum_y: int = Field(sa_column=Column(BigInteger, nullable=False))
    min_id: int = Field(description="The smallest space id in the cell: the space of a cell of one")


CLOSURE_MAX_DAYS = 731  # a closure spans at most two years (services/catalog/owner_spaces.py)
CLOSURE_REASON_MAX = 200


class SpaceClosure(SQLModel, table=True):
    """Days the owner closed the space (holidays, repairs): local calendar dates of the
    space's time zone, `first_day` to `last_day` inclusive. No booking, search or calendar
    offers time on them (services/booking/availability.py, `closed_*`). Two closures of one
    space never overlap (the exclusion constraint; the owner gets a clear 409 first)."""

    __tablename__ = "space_closure"
    __table_args__ = (
        CheckConstraint("last_day >= first_day", name="ck_space_closure_order"),
        CheckConstraint(f"last_day - first_day < {CLOSURE_MAX_DAYS}", name="ck_space_closure_length"),
        CheckConstraint(f"char_length(reason) BETWEEN 2 AND {CLOSURE_REASON_MAX}",
                        name="ck_space_closure_reason"),
        ExcludeConstraint(
            (Column("space_id"), "="),
            (text("daterange(first_day, last_day, '[]')"), "&&"),
            name="ex_space_closure_overlap",
            using="gist",
        ),
        # "Is any of these days closed?" per space: booking, search and the calendars.
        Index("ix_space_closure_space_last", "space_id", "last_day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    space_id: int = Field(
        sa_column=Column(Integer, ForeignKey("space.id", ondelete="CASCADE"), nullable=False))
    first_day: date
    last_day: date
    reason: str = Field(max_length=CLOSURE_REASON_MAX)
    created_by: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True))
    created_at: datetime | None = Field(default=None, sa_column=created_column())


class Photo(SQLModel, table=True):
    __tablename__ = "photo"
    __table_args__ = (Index("ix_photo_space_position", "space_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    space_id: int = Field(
        sa_column=Column(Integer, ForeignKey("space.id", ondelete="CASCADE"), nullable=False)
    )
    position: int = Field(default=0)
    storage_key: str = Field(max_length=255)  # full-size image
    thumb_key: str = Field(max_length=255)
    width: int
    height: int
    caption: str = Field(default="", max_length=200)
    created_at: datetime | None = Field(default=None, sa_column=created_column())


class Resource(SQLModel, table=True):
    __tablename__ = "resource"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(ResourceKind)})", name="ck_resource_kind"),
        CheckConstraint("capacity > 0", name="ck_resource_capacity"),
        CheckConstraint(
            "min_minutes > 0 AND max_minutes >= min_minutes", name="ck_resource_duration"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    space_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("space.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    kind: str = Field(max_length=16)
    name: str = Field(max_length=120)
    capacity: int = Field(default=1)
    min_minutes: int = Field(default=60)
    max_minutes: int = Field(default=60 * 24 * 31)


class Tariff(SQLModel, table=True):
    __tablename__ = "tariff"
    __table_args__ = (
        CheckConstraint(f"unit IN ({_in(PriceUnit)})", name="ck_tariff_unit"),
        CheckConstraint("price_minor >= 0", name="ck_tariff_price"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="ck_tariff_currency"),
        Index("uq_tariff_resource_unit", "resource_id", "unit", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    resource_id: int = Field(
        sa_column=Column(Integer, ForeignKey("resource.id", ondelete="CASCADE"), nullable=False)
    )
    unit: str = Field(max_length=8)
    price_minor: int  # kopecks for RUB
    currency: str = Field(default="RUB", max_length=3)
