"""Geography reference data: cities, districts and transit stops."""

from __future__ import annotations

from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import CheckConstraint, Column, Index
from sqlmodel import Field, SQLModel

from models.common import point_column


class City(SQLModel, table=True):
    __tablename__ = "city"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name_ru: str = Field(max_length=128)
    name_en: str = Field(max_length=128)
    timezone: str = Field(max_length=64)
    center: Any = Field(sa_column=point_column(nullable=False))


class District(SQLModel, table=True):
    __tablename__ = "district"
    __table_args__ = (Index("uq_district_city_slug", "city_id", "slug", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    city_id: int = Field(foreign_key="city.id", index=True)
    slug: str = Field(max_length=64)
    name_ru: str = Field(max_length=128)
    name_en: str = Field(max_length=128)
    boundary: Any = Field(
        sa_column=Column(
            Geography(geometry_type="POLYGON", srid=4326, spatial_index=True),
            nullable=False,
        )
    )


class TransitStop(SQLModel, table=True):
    __tablename__ = "transit_stop"
    __table_args__ = (
        CheckConstraint("kind IN ('metro', 'tram', 'bus')", name="ck_transit_stop_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    city_id: int = Field(foreign_key="city.id", index=True)
    kind: str = Field(max_length=16, default="metro")
    name_ru: str = Field(max_length=128)
    name_en: str = Field(max_length=128, default="")
    line_name: str = Field(max_length=128)
    line_color: str = Field(max_length=7)  # "#RRGGBB"
    location: Any = Field(sa_column=point_column(nullable=False))
