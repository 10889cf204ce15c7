"""Parsing what a browser sends to event handlers: anything may arrive (handlers are public
endpoints), so ids and numbers are checked here and bad ones become None / a default."""

from __future__ import annotations


def parse_id(value: object) -> int | None:
    """A database id (1 .. 2**31-1) from an int or a string of ASCII digits, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**31 else None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        number = int(value)
        return number if 0 < number < 2**31 else None
    return None


def parse_step(value: object) -> int:
    """+1 / -1 for stepper buttons; anything else is 0 (no change)."""
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return 0
    return (number > 0) - (number < 0)


def parse_roubles(value: object) -> int | None:
    """"300", "300,50" -> minor units; None for anything that is not a sane amount."""
    text = str(value).strip().replace(",", ".").replace(" ", "")
    try:
        number = float(text)
    except ValueError:
        return None
    if not 0 <= number < 10**9:  # also refuses inf and nan
        return None
    return round(number * 100)


def parse_percent_bp(value: object) -> int | None:
    """"15", "12,5", "12.25 %" -> basis points (1500, 1250, 1225); None for anything else,
    or more than 100 %. Read as digits, never through a float."""
    text = str(value).strip().rstrip("%").strip().replace(",", ".")
    whole, _, part = text.partition(".")
    if not (whole.isascii() and whole.isdigit() and len(whole) <= 3) or (part and not (
            part.isascii() and part.isdigit() and len(part) <= 2)):
        return None
    bp = int(whole) * 100 + int(part.ljust(2, "0") or 0)
    return bp if bp <= 10_000 else None
