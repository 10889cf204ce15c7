"""Text that people type: which characters we accept, and checking plain text (reviews,
replies, messages, report reasons).

One rule for every text the app stores or searches: no NUL, no other control characters
(C0 and C1; multi-line text may keep tab and line breaks) and no lone UTF-16 surrogates
(JSON may spell them, PostgreSQL and UTF-8 cannot hold them). The shared field types in
services/common/fields.py put the same rule into every API model (and so into the OpenAPI as a
`pattern`); services that take raw strings from Reflex states call `check_chars`.
"""

from __future__ import annotations

import re

from coworking_app.services.common.errors import InvalidInput
from coworking_app.i18n import N_, tr

# Character classes in the syntax JSON Schema (ECMA 262), pydantic (Rust regex) and Python
# share. Surrogates cannot be written in Rust regex: pydantic's `str` refuses them itself.
BAD_LINE_CLASS = r"\x00-\x1f\x7f-\x9f"  # one line (names, emails, codes, queries)
BAD_TEXT_CLASS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # several lines: \t \n \r allowed
LINE_PATTERN = f"^[^{BAD_LINE_CLASS}]*$"
TEXT_PATTERN = f"^[^{BAD_TEXT_CLASS}]*$"
_BAD_LINE = re.compile(f"[{BAD_LINE_CLASS}\ud800-\udfff]")
_BAD_TEXT = re.compile(f"[{BAD_TEXT_CLASS}\ud800-\udfff]")
BAD_CHARS_MESSAGE = N_("Недопустимые символы: уберите управляющие и непечатаемые знаки")


def has_bad_chars(value: str, *, multiline: bool = False) -> bool:
    """True when `value` holds a character no text field accepts."""
    return (_BAD_TEXT if multiline else _BAD_LINE).search(value) is not None


def has_cyrillic(value: str) -> bool:
    """True for text written (at least partly) in Russian: what may be shown to a person."""
    return any("\u0400" <= ch <= "\u04ff" for ch in value)


def check_chars(field: str, value: str | None, *, multiline: bool = False) -> str | None:
    """`value` unchanged, or InvalidInput naming `field` when it holds a forbidden character."""
    if value is not None and has_bad_chars(value, multiline=multiline):
        raise InvalidInput(field, BAD_CHARS_MESSAGE)
    return value


def check_plain_text(field: str, value: object, *, minimum: int, maximum: int, what: str) -> str:
    """The text stripped, with Windows line ends made plain, and `minimum`..`maximum`
    characters long; InvalidInput naming `field` otherwise. None counts as empty."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(field, tr("{what}: ожидается текст", what=what))
    clean = value.replace("\r\n", "\n").strip()
    if has_bad_chars(clean, multiline=True):
        raise InvalidInput(field, tr("{what}: недопустимые символы", what=what))
    if len(clean) < minimum:
        raise InvalidInput(field, tr("{what}: не короче {minimum} символов", what=what, minimum=minimum) if minimum > 1
                           else tr("{what}: напишите текст", what=what))
    if len(clean) > maximum:
        raise InvalidInput(field, tr("{what}: не длиннее {maximum} символов", what=what, maximum=maximum))
    return clean


def clean_line(value: str, maximum: int) -> str:
    """A one-line text from outside that is shown, not refused (a Telegram profile's name):
    forbidden characters dropped, spaces trimmed, at most `maximum` characters."""
    return _BAD_LINE.sub("", value).strip()[:maximum]
