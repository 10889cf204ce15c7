"""The language people read: Russian (the source language) or English.

Every user-visible text in the code is Russian, marked for the catalogs (docs/i18n.md):

- `tr("Бронь № {number} отменена", number=7)`: the text in the current language, its
  `{placeholders}` filled (str.format);
- `plural(n, "место", "места", "мест")`: "1 место", "2 места", "5 мест"; in English the
  catalog's "{n} seat"/"{n} seats";
- `N_("…")`: marks a text for the catalogs where it is defined (module constants) and is
  translated where it is read (`tr(CONSTANT)`, or a `Labels` table, which does so itself).

The current language is a context variable: the API sets it from `Accept-Language` for each
request, the pages from the person's choice for each event, mail, PDFs, notices and the bot
from the recipient's setting (`use("en")`). Catalogs: `locales/<lang>/LC_MESSAGES/messages.po`
(`make messages` extracts and merges; the `.mo` files are compiled from them, or built in
memory here when missing or older)."""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel import Locale

LANGUAGES = ("ru", "en")
DEFAULT = "ru"
# Each language named in itself (the switcher offers the other one by this name).
NATIVE_NAMES = {"ru": "Русский язык", "en": "English"}
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"

_current: ContextVar[str] = ContextVar("language", default=DEFAULT)


def current() -> str:
    return _current.get()


def set_language(language: str | None) -> str:
    """Makes `language` (when known, else Russian) the current one; returns it."""
    language = language if language in LANGUAGES else DEFAULT
    _current.set(language)
    return language


@contextmanager
def use(language: str | None) -> Iterator[str]:
    """Within the block everything is worded in `language` (a recipient's setting)."""
    token = _current.set(language if language in LANGUAGES else DEFAULT)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def choose(setting: str | None, chosen: str | None, accept_language: str | None) -> str:
    """The language of a page: the person's setting (signed in), else the one chosen with the
    header's switch (its cookie), else the browser's `Accept-Language`."""
    for language in (setting, chosen):
        if language in LANGUAGES:
            return language
    return negotiate(accept_language)


def negotiate(accept_language: str | None) -> str:
    """The language an `Accept-Language` header prefers among ours (Russian when none):
    "en-GB,en;q=0.9,ru;q=0.5" -> "en"; malformed parts are skipped."""
    best, best_q = DEFAULT, -1.0
    for position, part in enumerate((accept_language or "")[:500].split(",")):
        tag, _sep, params = part.strip().partition(";")
        code = tag.strip().lower().split("-")[0]
        if code not in LANGUAGES and code != "*":
            continue
        q = 1.0
        for param in params.split(";"):
            key, _eq, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if not 0 < q <= 1:
            continue
        code = DEFAULT if code == "*" else code
        if q > best_q:  # the first of equal weights wins
            best, best_q = code, q
    return best


def _compiled(language: str) -> bytes | None:
    """The .mo bytes of a language: the compiled file when it is newer than the .po, else
    compiled in memory from the .po (a checkout before `make messages`)."""
    folder = LOCALES_DIR / language / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        return mo.read_bytes()
    if not po.exists():
        return None
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    out = BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


@lru_cache(maxsize=None)
def translations(language: str) -> _gettext.NullTranslations:
    data = _compiled(language) if language != DEFAULT else None
    return _gettext.GNUTranslations(BytesIO(data)) if data else _gettext.NullTranslations()


def tr(message: str, /, **values: object) -> str:
    """`message` (Russian) in the current language, `{name}` placeholders filled from `values`."""
    text = translations(_current.get()).gettext(message) if message else message
    return text.format(**values) if values else text


def N_(message: str, /) -> str:  # noqa: N802  (gettext's name for "translate later")
    """Marks a text for the catalogs; `tr` translates it where it is read."""
    return message


def plural_word(n: int, one: str, few: str, many: str) -> str:
    """The word for `n` alone: "место"/"места"/"мест"; English: the catalog's forms of `one`."""
    if _current.get() == DEFAULT:
        n10, n100 = abs(n) % 10, abs(n) % 100
        if n10 == 1 and n100 != 11:
            return one
        if 2 <= n10 <= 4 and not 12 <= n100 <= 14:
            return few
        return many
    return translations(_current.get()).ngettext(one, many, n)


def plural(n: int, one: str, few: str, many: str) -> str:
    """"5 мест" / "5 seats": the number in the current locale, then its word."""
    return f"{format_number(n)} {plural_word(n, one, few, many)}"


def pick(russian: str, english: str | None) -> str:
    """Our own data kept in both languages (a city's name, an amenity): the current one's,
    the Russian when no English was given."""
    return english if _current.get() == "en" and english else russian


_STEPS = [Decimal(1).scaleb(-n) for n in range(10)]


@lru_cache(maxsize=None)
def _symbols(language: str) -> tuple[str, str, str]:
    """CLDR's group and decimal signs and minus of a language ("\xa0", ",", "-" in Russian)."""
    symbols = Locale.parse(language).number_symbols["latn"]
    return symbols["group"], symbols["decimal"], symbols["minusSign"]


@lru_cache(maxsize=64)
def _shape(pattern: str | None) -> tuple[bool, int, int]:
    """(grouped, fewest and most decimals) of a CLDR pattern: "#,##0.0#" -> (True, 1, 2)."""
    pattern = pattern or "#,##0.###"
    whole, _dot, fraction = pattern.partition(".")
    return "," in whole, fraction.count("0"), len(fraction)


def format_number(value: int | float, pattern: str | None = None) -> str:
    """12 345 / 12,345: a number as the current language writes it, with CLDR's signs
    (`pattern`: "#,##0", "#,##0.00", "0.0#"; Babel's own `format_decimal` gives the same,
    ten times slower: tests/unit/test_formatting.py compares them)."""
    grouped, fewest, most = _shape(pattern)
    # As Babel rounds: the number as it is written ("2.675", not the float's binary value),
    # half to even.
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    exact = abs(exact).quantize(_STEPS[most], rounding=ROUND_HALF_EVEN)
    text = f"{exact:{',' if grouped else ''}.{most}f}"
    if most > fewest:
        whole, _dot, fraction = text.partition(".")
        fraction = fraction.rstrip("0").ljust(fewest, "0")
        text = f"{whole}.{fraction}" if fraction else whole
    group, decimal, minus = _symbols(_current.get())
    text = text.replace(",", "\0").replace(".", decimal).replace("\0", group)
    return f"{minus}{text}" if value < 0 else text


class Labels(Mapping[str, str]):
    """A table of labels (statuses, kinds) whose texts are read in the current language:
    `Labels({"confirmed": N_("подтверждено")})["confirmed"]` is "confirmed" in English."""

    def __init__(self, table: Mapping[str, str]) -> None:
        self._table = dict(table)

    def __getitem__(self, key: str) -> str:
        return tr(self._table[key])

    def __iter__(self):
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)

    def __or__(self, other: Mapping[str, str]) -> Labels:
        merged = dict(self._table)
        merged.update(other._table if isinstance(other, Labels) else other)
        return Labels(merged)

    def source(self) -> dict[str, str]:
        """The Russian texts (what the catalogs are keyed by)."""
        return dict(self._table)
