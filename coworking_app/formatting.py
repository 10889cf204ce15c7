"""How numbers, prices and hours are shown to people (Russian locale)."""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo

CURRENCY_SIGNS = {"RUB": "₽", "USD": "$", "EUR": "€", "KZT": "₸"}
UNIT_LABELS = {"hour": "час", "day": "день", "month": "месяц"}
UNIT_CHOICES = [("hour", "в час"), ("day", "в день"), ("month", "в месяц")]
WEEKDAY_LABELS = {"mon": "Пн", "tue": "Вт", "wed": "Ср", "thu": "Чт", "fri": "Пт",
                  "sat": "Сб", "sun": "Вс"}
RESOURCE_KIND_LABELS = {
    "hot_desk": "Незакреплённое место",
    "fixed_desk": "Закреплённое место",
    "meeting_room": "Переговорная",
    "private_office": "Отдельный офис",
}


def group_thousands(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


def format_money(minor: int | None, currency: str = "RUB") -> str:
    if minor is None:
        return "—"
    major, cents = divmod(minor, 100)
    amount = group_thousands(major) + (f",{cents:02d}" if cents else "")
    return f"{amount} {CURRENCY_SIGNS.get(currency, currency)}"


def format_price(minor: int | None, currency: str, unit: str | None) -> str:
    if minor is None or unit is None:
        return "Цена по запросу"
    return f"от {format_money(minor, currency)}/{UNIT_LABELS.get(unit, unit)}"


def plural(n: int, one: str, few: str, many: str) -> str:
    n10, n100 = n % 10, n % 100
    if n10 == 1 and n100 != 11:
        word = one
    elif 2 <= n10 <= 4 and not 12 <= n100 <= 14:
        word = few
    else:
        word = many
    return f"{group_thousands(n)} {word}"


def format_distance(metres: float | None) -> str:
    if metres is None:
        return ""
    if metres < 1000:
        return f"{round(metres)} м"
    return f"{metres / 1000:.1f} км".replace(".", ",")


def format_minutes(minutes: int) -> str:
    if minutes % 1440 == 0 and minutes >= 1440:
        days = minutes // 1440
        return plural(days, "день", "дня", "дней")
    if minutes % 60 == 0:
        return plural(minutes // 60, "час", "часа", "часов")
    return f"{minutes} мин"


def format_hours(open_: str | None, close: str | None) -> str:
    if not open_ or not close:
        return "закрыто"
    if open_ == close:
        return "круглосуточно"
    return f"{open_}–{close}"


def format_rating(rating: float, count: int) -> str:
    if count == 0:
        return "Нет отзывов"
    return f"{rating:.1f}".replace(".", ",") + " · " + plural(count, "отзыв", "отзыва", "отзывов")


SPACE_STATUS_LABELS = {"draft": "Черновик", "pending_review": "На проверке", "published": "Опубликовано",
                       "hidden": "Скрыто"}
PAYMENT_STATUS_LABELS = {"pending": "Ожидает", "succeeded": "Проведён", "failed": "Ошибка"}
ROLE_LABELS = {"renter": "Арендатор", "owner": "Владелец", "operator": "Оператор", "admin": "Администратор"}



def local_moment(value: datetime, zone: tzinfo) -> datetime:
    """A stored moment in `zone`; never raises: a moment at the edge of the calendar
    (0001-01-01 or 9999-12-31, which the database holds) may have no local time in a zone
    east or west of UTC, and is then given in UTC."""
    try:
        return value.astimezone(zone)
    except (OverflowError, ValueError):
        return value.astimezone(timezone.utc)


def format_moment(value: datetime, zone: tzinfo, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """A stored moment as `zone`'s local time, or in UTC (and said so) where it has none
    (see local_moment). Lists format their dates with this, so no row can break them."""
    try:
        return value.astimezone(zone).strftime(fmt)
    except (OverflowError, ValueError):
        return value.astimezone(timezone.utc).strftime(fmt) + " UTC"
