"""Column helpers shared by the tables."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import Column, DateTime, func


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def point_column(**kwargs: Any) -> Column:
    """A geography(POINT, 4326) column with its GiST index (created by geoalchemy2)."""
    return Column(Geography(geometry_type="POINT", srid=4326, spatial_index=True), **kwargs)


def created_column() -> Column:
    return Column(DateTime(timezone=True), nullable=False, server_default=func.now())


def updated_column() -> Column:
    return Column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=utcnow
    )
