"""Keyboards, the month calendar and showing a screen within Telegram's limits (4096
characters per message, 1024 per caption, 64 bytes per callback data)."""

from __future__ import annotations

import calendar
import ipaddress
import logging
from datetime import date, timedelta
from urllib.parse import urlsplit

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from coworking_app.settings import get_settings
from coworking_app.i18n import N_, tr

log = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK = 64
MONTHS = (N_("Январь"), N_("Февраль"), N_("Март"), N_("Апрель"), N_("Май"), N_("Июнь"), N_("Июль"), N_("Август"), N_("Сентябрь"),
          N_("Октябрь"), N_("Ноябрь"), N_("Декабрь"))
WEEKDAYS = (N_("Пн"), N_("Вт"), N_("Ср"), N_("Чт"), N_("Пт"), N_("Сб"), N_("Вс"))
NOOP = "noop"

Row = list[tuple[str, str]]  # (label, callback data, or a URL when it starts with http)


def clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def site(path: str) -> str:
    """An absolute link to a page of the site."""
    return path if path.startswith(("http://", "https://")) else get_settings().base_url + path


def reachable(url: str) -> bool:
    """Telegram refuses URL buttons to hosts it cannot reach (localhost, private addresses):
    a development site without a public PUBLIC_URL gets no link buttons instead of no message."""
    host = (urlsplit(url).hostname or "").lower()
    if host in ("", "localhost") or host.endswith((".localhost", ".local", ".internal")):
        return False
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        return True


def keyboard(rows: list[Row]) -> InlineKeyboardMarkup | None:
    built = []
    for row in rows:
        buttons = []
        for label, target in row:
            if target.startswith(("http://", "https://")):
                if reachable(target):
                    buttons.append(InlineKeyboardButton(label, url=target))
            else:
                if len(target.encode()) > MAX_CALLBACK:  # a bug of ours, never a user's input
                    raise ValueError(f"callback data too long: {target!r}")
                buttons.append(InlineKeyboardButton(label, callback_data=target))
        if buttons:
            built.append(buttons)
    return InlineKeyboardMarkup(built) if built else None


def with_links(text: str, rows: list[Row]) -> str:
    """The text with the links Telegram would refuse as buttons (see `reachable`) written out."""
    lines = [f"{label}: {target}" for row in rows for label, target in row
             if target.startswith(("http://", "https://")) and not reachable(target)]
    return text + "\n\n" + "\n".join(lines) if lines else text


async def show(update: Update, text: str, rows: list[Row] | None = None, *, new: bool = False) -> None:
    """The screen in place of the message whose button was pressed (editMessageText), or as
    a new message (a command, a location, `new`)."""
    markup = keyboard(rows or [])
    text = with_links(tr(text), rows or [])  # a constant's text (N_) in the update's language
    query = update.callback_query
    if query is not None and query.message is not None and not new and getattr(query.message, "text", None):
        try:
            await query.edit_message_text(clip(text), reply_markup=markup, disable_web_page_preview=True)
            return
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
            log.info("Could not edit a message (%s), sending a new one", exc)
    chat = update.effective_chat
    await chat.send_message(clip(text), reply_markup=markup, disable_web_page_preview=True)


def month_grid(month: date, free: set[date], today: date, *, day_prefix: str, nav_prefix: str,
               last_month: date) -> list[Row]:
    """A month: weekday header, the days (free ones are buttons, others a dot), and arrows to
    the neighbouring months within [this month, last_month]."""
    rows: list[Row] = [[(f"{tr(MONTHS[month.month - 1])} {month.year}", NOOP)], [(tr(d), NOOP) for d in WEEKDAYS]]
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        row: Row = []
        for day in week:
            if day.month != month.month:
                row.append((" ", NOOP))
            elif day in free:
                row.append((str(day.day), f"{day_prefix}{day:%Y%m%d}"))
            else:
                row.append(("·", NOOP))
        rows.append(row)
    nav: Row = []
    previous = (month.replace(day=1) - timedelta(days=1)).replace(day=1)
    following = _next_month(month)
    if previous >= today.replace(day=1):
        nav.append((f"‹ {tr(MONTHS[previous.month - 1])}", f"{nav_prefix}{previous:%Y%m}"))
    if following <= last_month:
        nav.append((f"{tr(MONTHS[following.month - 1])} ›", f"{nav_prefix}{following:%Y%m}"))
    if nav:
        rows.append(nav)
    return rows


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def parse_int(value: str | None, *, low: int = 0, high: int = 2**31 - 1) -> int | None:
    """A number from callback data (which a modified client may send anything in)."""
    if value is None or not value.isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if low <= number <= high else None


def _in_range(day: date | None) -> date | None:
    return day if day is not None and 2000 <= day.year <= 2100 else None


def parse_day(value: str | None) -> date | None:
    """A day from callback data (20261205), None for anything else or outside 2000–2100."""
    try:
        return _in_range(date(int(value[:4]), int(value[4:6]), int(value[6:8]))) \
            if value and len(value) == 8 and value.isdigit() else None
    except ValueError:
        return None


def parse_month(value: str | None) -> date | None:
    try:
        return _in_range(date(int(value[:4]), int(value[4:6]), 1)) if value and len(value) == 6 and value.isdigit() else None
    except ValueError:
        return None
