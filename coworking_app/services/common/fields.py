"""The field types every input model and API parameter uses: ids, money, text, dates,
coordinates. Each type carries its bounds into validation and into the OpenAPI, so the
schema says exactly what the code accepts, and nothing a column cannot hold (or a date
that overflows arithmetic) gets past the edge.

Use them directly in pydantic models and as FastAPI query parameters, and wrapped for a
path: `Annotated[Id, Path()]`. Messages are Russian (services/common/validation.py maps pydantic's
own error types; the custom ones below carry their Russian text).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, Field, StrictInt, StringConstraints
from pydantic_core import PydanticCustomError

from coworking_app.services.common.text import LINE_PATTERN, TEXT_PATTERN
from coworking_app.i18n import N_

MAX_ID = 2**31 - 1  # serial (integer) primary keys
MAX_BIG_ID = 2**63 - 1  # bigserial keys: messages, audit rows
MAX_MONEY_MINOR = 2**31 - 1  # integer money columns (tariffs, add-ons, promo minimums)
MIN_DAY = date(2000, 1, 1)
MAX_DAY = date(2100, 12, 31)
_MIN_MOMENT = datetime(2000, 1, 1, tzinfo=timezone.utc)
_MAX_MOMENT = datetime(2101, 1, 1, tzinfo=timezone.utc)
DAY_RANGE_MESSAGE = N_("Дата между 01.01.2000 и 31.12.2100")

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# Where "2" or true must not pass as a number (a client sending them has a bug).
StrictId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
BigId = Annotated[int, Field(ge=1, le=MAX_BIG_ID)]
MoneyMinor = Annotated[int, Field(ge=0, le=MAX_MONEY_MINOR, description="Integer minor units (kopecks)")]
StrictMoneyMinor = Annotated[StrictInt, Field(ge=0, le=MAX_MONEY_MINOR, description="Integer minor units (kopecks)")]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


def _check_day(value: date) -> date:
    if not MIN_DAY <= value <= MAX_DAY:
        raise PydanticCustomError("date_range", DAY_RANGE_MESSAGE)
    return value


def _check_moment(value: datetime) -> datetime:
    if not _MIN_MOMENT <= value < _MAX_MOMENT:
        raise PydanticCustomError("date_range", DAY_RANGE_MESSAGE)
    return value


Day = Annotated[date, AfterValidator(_check_day),
                Field(description="YYYY-MM-DD, from 2000-01-01 to 2100-12-31")]
Moment = Annotated[AwareDatetime, AfterValidator(_check_moment),
                   Field(description="ISO 8601 with a UTC offset, years 2000 to 2100")]


def Line(max_length: int, *, min_length: int = 0) -> Any:  # noqa: N802 (a type, named like one)
    """One line of text: no control characters, no lone surrogates, at most `max_length`."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length,
                                            pattern=LINE_PATTERN)]


def Text(max_length: int, *, min_length: int = 0) -> Any:  # noqa: N802
    """Text of several lines (tabs and line breaks allowed); otherwise as Line."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length,
                                            pattern=TEXT_PATTERN)]


def in_day_range(value: date) -> bool:
    """For code that reads dates from elsewhere (stored rows, URLs of Reflex pages)."""
    return MIN_DAY <= value <= MAX_DAY
