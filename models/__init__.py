"""SQLModel tables. Importing this package registers every table on SQLModel.metadata."""

from models.account import (
    STAFF_ROLES,
    AuthSession,
    OneTimeToken,
    OutboxEmail,
    RecoveryCode,
    Role,
    TokenPurpose,
    User,
)
from models.geo import City, District, TransitStop
from models.space import (
    PHOTO_LIMIT,
    Amenity,
    Photo,
    PriceUnit,
    Resource,
    ResourceKind,
    Space,
    SpaceStatus,
    Tariff,
)

__all__ = [
    "STAFF_ROLES",
    "AuthSession",
    "OneTimeToken",
    "OutboxEmail",
    "RecoveryCode",
    "Role",
    "TokenPurpose",
    "User",
    "PHOTO_LIMIT",
    "Amenity",
    "City",
    "District",
    "Photo",
    "PriceUnit",
    "Resource",
    "ResourceKind",
    "Space",
    "SpaceStatus",
    "Tariff",
    "TransitStop",
]
