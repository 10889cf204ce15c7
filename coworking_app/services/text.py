"""Checking plain text that people type (reviews, replies, messages, report reasons)."""

from __future__ import annotations

from coworking_app.services.errors import InvalidInput


def check_plain_text(field: str, value: object, *, minimum: int, maximum: int, what: str) -> str:
    """The text stripped, with Windows line ends made plain, and `minimum`..`maximum`
    characters long; InvalidInput naming `field` otherwise. None counts as empty."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(field, f"{what}: ожидается текст")
    clean = value.replace("\r\n", "\n").strip()
    if "\x00" in clean:
        raise InvalidInput(field, f"{what}: недопустимые символы")
    if len(clean) < minimum:
        raise InvalidInput(field, f"{what}: не короче {minimum} символов" if minimum > 1
                           else f"{what}: напишите текст")
    if len(clean) > maximum:
        raise InvalidInput(field, f"{what}: не длиннее {maximum} символов")
    return clean
