"""Competitors' prices and booking terms, from a listing's words to ours (issue 19).

Pure functions: no database, no I/O. A price is read only when the text states an amount, a
currency (or the caller's default) and a unit; anything less is a PriceError, never a guess.
The rules and the choices made: docs/market.md, "Normalising".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Unit = Literal["hour", "day", "week", "month"]
Policy = Literal["flexible", "moderate", "strict", "unknown"]

MINUTES: dict[str, int] = {"hour": 60, "day": 1440, "week": 7 * 1440, "month": 30 * 1440}  # 30 days, as pricing.py
# The most a unit can cost, in major units of any currency: above it the number is a misreading
# (a phone, an id, a sum for a year), not a coworking price.
MAX_AMOUNT: dict[str, int] = {"hour": 100_000, "day": 500_000, "week": 2_000_000, "month": 10_000_000}
_PER_UNIT = {"hour": "в час", "day": "в день", "week": "в неделю", "month": "в месяц"}


@dataclass(frozen=True)
class Price:
    amount_minor: int  # 500 ₽ -> 50000; $15 -> 1500 (two minor digits, as the app's money)
    currency: str  # ISO 4217
    unit: Unit


class PriceError(ValueError):
    """A price that cannot be read with certainty; .reason is a Russian sentence for the run's error list."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- text ----------------------------------------------------------------------------------------

_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2212": "-",
                         "\u2015": "—", "ё": "е"})
_BLANKS = re.compile(r"[^\S\n]+")  # runs of spaces and tabs, but not line breaks (they end a clause)


def _clean(text: str) -> str:
    """NFKC (NBSP, thin U+2009 and narrow U+202F spaces become spaces, "…" three dots), lower case,
    ё as е, every hyphen and minus as "-" (the em dash stays: it separates, never subtracts)."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_DASHES)
    return _BLANKS.sub(" ", text).strip()


def _short(text: str) -> str:
    text = " ".join(text.split())
    return f"«{text[:77]}…»" if len(text) > 80 else f"«{text}»"


def _which(table: Mapping[str, re.Pattern[str]], word: str) -> str | None:
    """The key whose pattern matches all of `word`."""
    return next((key for key, pattern in table.items() if pattern.fullmatch(word)), None)


# --- the parts of a price --------------------------------------------------------------------------

# An amount: "500", "3 000", "12.000", "1,500.50", "1 500,50", "1.5"; "15 тыс.", "1.5k". Not the
# inside of a word, a date ("01.09.2024") or a longer number. {p} tells the two ends of a range apart.
_NUMBER = (r"(?<![\w.,])(?P<int{p}>[1-9]\d{{0,2}}(?P<sep{p}>[ .,])\d{{3}}(?:(?P=sep{p})\d{{3}})*|\d+)"
           r"(?:(?P<dec{p}>[.,])(?P<frac{p}>\d{{1,2}}))?(?![.,]?\d)"
           r"(?:(?P<mult{p}> ?тыс(?:яч[аи]?)?\.?|[kк])(?!\w))?")
# How texts write the currencies the app knows (formatting.CURRENCY_SIGNS).
_CURRENCY_WORDS = {
    "RUB": re.compile(r"₽|руб(?:л(?:ь|я|ей))?\.?|р\.?|rub|rur"),
    "USD": re.compile(r"\$|usd|долл(?:ар(?:а|ов)?)?\.?|dollars?"),
    "EUR": re.compile(r"€|eur|euros?|евро"),
    "KZT": re.compile(r"₸|kzt|тенге|тг\.?"),
}
_CURRENCY = "(?:" + "|".join(p.pattern for p in _CURRENCY_WORDS.values()) + r")(?!\w)"
_PREFIX = r"(?<!\w)(?:[$€₽₸]|(?:usd|eur|rub|kzt)(?= ))"  # "$15", "€ 20", "USD 15"
# Unit words after an amount: "/час", "в день", "за 1 месяц", "per hour", "a day", "/ч", "/mo".
_UNIT_WORDS = {
    "hour": re.compile(r"час(?:а|ов)?|ч\.?|hours?|hr|h"),
    "day": re.compile(r"день|дня|дней|сутки|суток|сут\.?|days?"),
    "week": re.compile(r"недел[яиюь]|нед\.?|weeks?|wk"),
    "month": re.compile(r"месяц(?:а|ев)?|мес\.?|months?|mo|mon"),
}
_ADVERBS = {  # "350 ₽ почасово", "$300 monthly"
    "hour": re.compile(r"почасово|hourly"), "day": re.compile(r"посуточно|ежедневно|daily"),
    "week": re.compile(r"понедельно|еженедельно|weekly"), "month": re.compile(r"помесячно|ежемесячно|monthly"),
}
_UNIT = "|".join(p.pattern for p in _UNIT_WORDS.values())
_SEAT = r"(?: ?/ ?| за | per )(?:место|человека|чел\.?|person|seat|desk)"  # "500 ₽ за место в час"
_TAIL = (rf"(?:{_SEAT})?(?: ?/ ?| (?:в|за|per|a|an) )(?:1 )?(?P<unit>{_UNIT})(?!\w)"
         rf"| (?P<adverb>{'|'.join(p.pattern for p in _ADVERBS.values())})(?!\w)")
# A price: [currency] amount [currency] [- or "до" upper bound [currency]] [unit]. "500-700 ₽/час".
_PRICE_RE = re.compile(
    rf"(?:(?P<pre>{_PREFIX}) ?)?{_NUMBER.format(p='')}(?: ?(?P<cur>{_CURRENCY}))?"
    rf"(?: ?(?:-|—|\.\.\.|до|to) ?(?:(?P<pre2>{_PREFIX}) ?)?{_NUMBER.format(p='2')}(?: ?(?P<cur2>{_CURRENCY}))?)?"
    rf"(?:{_TAIL})?")

# Unit words before an amount, in its clause: "Час — 350 ₽", "Месяц: 9 500 руб.", "Почасовая аренда: ...".
# "1 час — 500 ₽" keeps its "1"; any other number there is a package ("12 часов — 3 000 ₽"): refused.
_LABELS = {
    "hour": r"почасов\w*|час(?:а|ов)?|hourly|hour",
    "day": r"день|дня|сутки|суток|посуточн\w*|суточн\w*|daily|day",
    "week": r"недел[яиюь]|понедельн(?:о|ая|ый|ой|ую)|еженедельн\w*|weekly|week",
    "month": r"месяц(?:а|ев)?|мес\.?|месячн\w*|ежемесячн\w*|помесячн\w*|monthly|month",
}
_LABEL_RE = re.compile("|".join(rf"(?<!\w)(?:1 )?(?P<{unit}>{words})(?!\w)" for unit, words in _LABELS.items()))
_CLAUSE_END = re.compile(r"[,;\n|•·!?]|\.(?= |$)")
_NOT_RENT = re.compile(r"скидк|залог|депозит|штраф|доплат|экономи|discount|deposit|\bsave\b")
_UPPER_ONLY = re.compile(r"(?<!\w)(?:до|up to|не более|максимум|max\.?)\s*$")
_NO_PRICE = [  # why a text without a price has none
    (re.compile(r"договорн|по запросу|по договоренност|уточняйте|звоните|negotiable|on request"),
     "Цена не названа (договорная, по запросу)"),
    (re.compile(r"бесплатн|\bfree\b"), "Бесплатно: это не цена аренды"),
    (re.compile(""), "Не найдено цены с суммой, валютой и сроком"),
]


def _amount(match: re.Match[str], end: str) -> Decimal:
    """The amount an end of the match states ("1 500,50" -> 1500.50, "1,5 тыс." -> 1500)."""
    sep, dec = match[f"sep{end}"], match[f"dec{end}"]
    if sep and dec == sep:  # "1.500.50"
        raise PriceError(f"Непонятная запись суммы {_short(match[0])}.")
    value = Decimal(match[f"int{end}"].replace(sep or "", "") + "." + (match[f"frac{end}"] or "0"))
    return value * 1000 if match[f"mult{end}"] else value


def _label_unit(clause: str) -> Unit | None:
    """The unit the words before an amount name, if exactly one and no count goes with it."""
    units = {name for found in _LABEL_RE.finditer(clause) for name, word in found.groupdict().items() if word}
    if not units:
        return None
    if len(units) > 1 or re.search(r"\d", _LABEL_RE.sub(" ", clause)):
        raise PriceError(f"Неясно, за какой срок цена: {_short(clause)}.")
    return units.pop()


def _checked(amount: Decimal, currency: str, unit: Unit, text: str) -> Price:
    """A Price, when the amount is positive, plausible for its unit and has at most two minor digits."""
    if amount <= 0:
        raise PriceError(f"Сумма должна быть больше нуля: {_short(text)}.")
    if amount > MAX_AMOUNT[unit]:
        raise PriceError(f"Неправдоподобная сумма ({amount.normalize():f} {currency} {_PER_UNIT[unit]}): {_short(text)}.")
    minor = amount * 100
    if minor != minor.to_integral_value():
        raise PriceError(f"Больше двух знаков после запятой: {_short(text)}.")
    return Price(int(minor), currency, unit)


def _read_price(match: re.Match[str], clause: str, text: str, default_currency: str) -> Price:
    """One matched amount with its clause (the words before it) -> a Price, or PriceError."""
    said = match[0].strip()
    if _NOT_RENT.search(clause):
        raise PriceError(f"Это не цена аренды (скидка, залог, депозит): {_short(clause + said)}.")
    if _UPPER_ONLY.search(clause):
        raise PriceError(f"Указана только верхняя граница цены: {_short(clause + said)}.")
    if not match["pre"] and re.search(r"(?:^|[^\w.,])-$", text[max(0, match.start() - 2):match.start()]):
        raise PriceError(f"Отрицательная сумма: {_short('-' + said)}.")
    amount = _amount(match, "")
    tail = match["unit"] or match["adverb"]
    currencies = {_which(_CURRENCY_WORDS, (match[g] or "").strip()) for g in ("pre", "cur", "pre2", "cur2")
                  if match[g]}
    if match["int2"] and (match["cur2"] or match["pre2"] or tail):  # a range: its lower bound, as "от"
        upper = _amount(match, "2")
        if match["mult2"] and not match["mult"] and amount * 1000 <= upper:  # "10-15 тыс."
            amount *= 1000
        if amount > upper:
            raise PriceError(f"Нижняя граница больше верхней: {_short(said)}.")
    if len(currencies) > 1:
        raise PriceError(f"Две валюты в одной цене: {_short(said)}.")
    unit = _which(_UNIT_WORDS, match["unit"]) if match["unit"] else (
        _which(_ADVERBS, match["adverb"]) if match["adverb"] else _label_unit(clause))
    if unit is None:
        raise PriceError(f"Не указано, за какой срок цена (час, день, неделя, месяц): {_short(clause + said)}.")
    return _checked(amount, currencies.pop() if currencies else default_currency, unit, said)


def parse_price_text(text: str, *, default_currency: str = "RUB") -> list[Price]:
    """Every price a text states, in its order and each once ("Час — 350 ₽, день — 1 200 ₽" gives
    two); PriceError when none can be read. An amount needs a currency sign or a unit right after
    it ("500/час" takes the default currency); other numbers (phones, dates, counts) are words."""
    clean = _clean(text or "")
    prices: list[Price] = []
    refusals: list[str] = []
    start = 0
    for match in _PRICE_RE.finditer(clean):
        if not (match["pre"] or match["cur"] or match["cur2"] or match["unit"] or match["adverb"]):
            continue
        clause = _CLAUSE_END.split(clean[start:match.start()])[-1]
        start = match.end()
        try:
            price = _read_price(match, clause, clean, default_currency)
        except PriceError as refusal:
            refusals.append(refusal.reason)
            continue
        if price not in prices:
            prices.append(price)
    if prices:
        return prices
    if refusals:
        raise PriceError(refusals[0])
    why = next(why for pattern, why in _NO_PRICE if pattern.search(clean))
    raise PriceError(f"{why}: {_short(clean)}." if clean else "Цена не указана.")


# --- structured data (schema.org Offer, UnitPriceSpecification) ------------------------------------

_UNIT_CODES = {"HUR": "hour", "DAY": "day", "WEE": "week", "MON": "month",  # UN/CEFACT Common Code
               "PT1H": "hour", "P1D": "day", "P1W": "week", "P1M": "month"}  # ISO 8601 billingDuration
_PLAIN_DECIMAL = re.compile(r"-?\d+(?:\.\d+)?")  # schema.org's own form: "1500.00"
_ISO_CODE = re.compile(r"[A-Z]{3}")


def _unit_named(word: str) -> Unit | None:
    """"HUR", "hour", "в час", "/мес", "Месяц", "P1D" -> the unit; None when it names none."""
    clean = _clean(word)
    code = _UNIT_CODES.get(clean.upper())
    if code:
        return code
    bare = re.sub(r"^(?:/|в|за|per|a|an)? ?(?:1 )?", "", clean)
    found = _which(_UNIT_WORDS, bare) or _which(_ADVERBS, bare)
    return found or _label_unit(clean)


def _offer_amount(amount: str | int | float | Decimal) -> Decimal:
    """schema.org's "1500.00", a number, or an amount as a text writes it ("1 500,50", "15 тыс.")."""
    value = None
    if isinstance(amount, str):
        clean = _clean(amount)
        match = re.fullmatch("(?P<neg>-)? ?" + _NUMBER.format(p=""), clean)
        if _PLAIN_DECIMAL.fullmatch(clean):
            value = Decimal(clean)
        elif match:
            value = -_amount(match, "") if match["neg"] else _amount(match, "")
    elif isinstance(amount, (int, float, Decimal)) and not isinstance(amount, bool):
        value = Decimal(repr(amount)) if isinstance(amount, float) else Decimal(amount)
    if value is None or not value.is_finite():
        raise PriceError(f"Сумма не число: {_short(repr(amount))}.")
    return value


def price_from_offer(amount: str | int | float | Decimal, currency: str | None, unit_code: str | None, *,
                     unit_text: str | None = None, default_currency: str | None = "RUB") -> Price:
    """A schema.org Offer / UnitPriceSpecification: price, priceCurrency, unitCode (HUR/DAY/WEE/MON,
    or a word: "hour", "месяц"), unitText. A missing currency is `default_currency` (RUB: our sources
    are Russian sites; None refuses it); a unit that is missing or contradicts unit_text is refused."""
    value = _offer_amount(amount)
    said = f"{amount} {currency or ''} {unit_code or unit_text or ''}".strip()
    if value < 0:
        raise PriceError(f"Отрицательная сумма: {_short(said)}.")
    code = (currency or "").strip()
    if not code:
        if default_currency is None:
            raise PriceError(f"Не указана валюта: {_short(said)}.")
        code = default_currency
    iso = _which(_CURRENCY_WORDS, _clean(code)) or code.upper()
    if not _ISO_CODE.fullmatch(iso):
        raise PriceError(f"Неизвестная валюта {_short(code)}.")
    units = {u for u in (_unit_named(unit_code or ""), _unit_named(unit_text or "")) if u}
    if len(units) != 1:
        problem = "Не указано, за какой срок цена" if not units else "Срок цены указан по-разному"
        raise PriceError(f"{problem}: {_short(said + ' ' + (unit_text or ''))}.")
    return _checked(value, iso, units.pop(), said)


# --- booking terms ---------------------------------------------------------------------------------

_DURATION_UNITS = {
    "minute": re.compile(r"минут[аы]?|мин\.?|minutes?|mins?"), "hour": re.compile(r"час(?:а|ов)?|ч\.?|hours?|hrs?|h"),
    "day": re.compile(r"сутки|суток|дн(?:я|ей)|день|days?"), "week": re.compile(r"недел[яиюь]|нед\.?|weeks?"),
    "month": re.compile(r"месяц(?:а|ев)?|мес\.?|months?"),
}
_MINUTES_PER = {"minute": 1, **MINUTES}
_WORD_NUMBERS = {"одного": 1, "одной": 1, "один": 1, "одна": 1, "одну": 1, "двух": 2, "два": 2, "две": 2,
                 "трех": 3, "три": 3, "четырех": 4, "четыре": 4, "полутора": 1.5, "полтора": 1.5}
# "2 часа", "1,5 ч", "полутора часов", "2-hour", "сутки"; "полчаса".
_DURATION_RE = re.compile(
    rf"(?<![\w.,])(?:(?P<num>\d+(?:[.,]\d+)?)|(?P<word>{'|'.join(_WORD_NUMBERS)}))?[ -]?"
    rf"(?P<unit>{'|'.join(p.pattern for p in _DURATION_UNITS.values())})(?!\w)|(?<!\w)(?P<half>полчаса|half an hour)")
_BARE_UNITS = re.compile(r"часа?|сутки|суток|дня|день|неделю|недели|месяца?|hour|day|week|month")  # "от часа"
_MIN_BEFORE = re.compile(r"(?:(?<!\w)от|минимум|мин\.|минимальн\w*|не менее|не меньше|at least|minimum|min\.?|from)"
                         r"[^\d.,;\n]{0,40}$")
_MAX_BEFORE = re.compile(r"(?:(?<!\w)до|максимум|максимальн\w*|не более|up to|maximum|max\.?)[^\d.,;\n]{0,40}$")


def _duration_minutes(match: re.Match[str]) -> float | None:
    if match["half"]:
        return 30.0
    if not (match["num"] or match["word"] or _BARE_UNITS.fullmatch(match["unit"])):
        return None  # "мин." alone is "minimum", not a minute
    count = float(match["num"].replace(",", ".")) if match["num"] else _WORD_NUMBERS.get(match["word"] or "", 1)
    return count * _MINUTES_PER[_which(_DURATION_UNITS, match["unit"]) or "minute"]


def parse_min_duration(text: str) -> int | None:
    """The shortest booking a listing allows, in minutes: "от 2 часов" -> 120, "минимум 1 день" -> 1440,
    "от полутора часов" -> 90. The first duration after "от"/"минимум"/"не менее"/..., else the only one
    given; None when there is none, several without a minimum's word, or only a maximum ("до 8 часов")."""
    clean = _clean(text or "")
    found: list[tuple[bool, int]] = []  # (after a minimum's word, minutes)
    for match in _DURATION_RE.finditer(clean):
        minutes, before = _duration_minutes(match), clean[max(0, match.start() - 60):match.start()]
        if minutes is None or minutes < 1 or _MAX_BEFORE.search(before):
            continue
        found.append((bool(_MIN_BEFORE.search(before)), round(minutes)))
    marked = [minutes for after_min, minutes in found if after_min]
    if marked:
        return marked[0]
    return found[0][1] if len(found) == 1 else None


_NO_REFUND = re.compile(r"без возврат|не возвраща|невозвратн|возврат\w* не (?:производ|предусм|осуществ)"
                        r"|не подлеж\w* возврат|отмен\w* невозможн|нельзя отменить|non-?refundable|no refund"
                        r"|not refundable")
_FREE = re.compile(r"бесплатн\w* отмен|отмен\w*(?: \S+){0,3} бесплатн|отменить бесплатно|без штраф"
                   r"|полн\w* возврат|возврат\w*(?: \S+){0,2} (?:100 ?%|в полном объеме|полностью)"
                   r"|100 ?% (?:возврат|refund)|free(?:ly)? cancel|cancel\w* (?:is |for )?free|full refund"
                   r"|refund in full|fully refund")
_PARTIAL = re.compile(r"частичн\w* возврат|(?<!\d)\d{1,2} ?%|удерж\w*|штраф|partial\w* refund")
_LATE = re.compile(r"(?:менее|меньше|позднее|позже)(?: чем)? за|less than|later than|within")  # "... менее чем за 24 часа"
_CANCEL = re.compile(r"отмен|cancel|возврат|refund")
# A deadline: "за 24 часа", "за сутки", "не позднее чем за 2 дня", "48 hours before", "up to 7 days", "накануне".
_WINDOW = re.compile(r"(?:(?<!\w)(?P<lead>за|up to|at least|until|within) )?(?:(?P<num>\d+) ?)?"
                     r"(?P<unit>час(?:а|ов)?|ч|сутки|суток|дн(?:я|ей)|день|недел[юи]|hours?|h|days?|weeks?)(?!\w)"
                     r"(?P<before> (?:до|before|prior))?|(?P<eve>накануне|the day before)")


def _window_hours(text: str) -> int | None:
    """The longest deadline the text states, in hours (a full refund's is the earliest: "за 48 часов
    бесплатно, за 24 часа 50 %" -> 48); None when it states none."""
    hours = []
    for match in _WINDOW.finditer(text):
        if match["eve"]:
            hours.append(24)
        elif match["lead"] or match["before"]:
            per = _MINUTES_PER[_which(_DURATION_UNITS, match["unit"]) or "hour"] // 60
            hours.append(int(match["num"] or 1) * per)
    return max(hours) if hours else None


def _by_window(hours: int | None) -> Policy:
    """Our classes (docs/booking.md): full refund up to 24 h before -> flexible, up to 72 h -> moderate,
    only earlier -> strict; free cancellation with no deadline is at least as good as flexible."""
    if hours is None or hours <= 24:
        return "flexible"
    return "moderate" if hours <= 72 else "strict"


def classify_cancellation(text: str | None) -> Policy:
    """A competitor's cancellation terms -> our policy class (models.CancellationPolicy) or "unknown".
    Free cancellation, or a penalty only "менее чем за N часов", is classed by its deadline; else a
    partial refund -> moderate; no refund -> strict; a bare "отмена за 48 часов" by its deadline."""
    clean = _clean(text or "")
    hours = _window_hours(clean)
    if _FREE.search(clean) or (hours is not None and _LATE.search(clean)):
        return _by_window(hours)
    if _PARTIAL.search(clean):
        return "moderate"
    if _NO_REFUND.search(clean):
        return "strict"
    if hours is not None and _CANCEL.search(clean):
        return _by_window(hours)
    return "unknown"


# --- amenities -------------------------------------------------------------------------------------

# How listings name our amenities (the codes seeded by coworking_app/demo/seed.py); a code outside
# this table is still found by its own name or code. Matched on words: "велопарковка" is not "парковка".
_AMENITY_WORDS = {
    "wifi": r"wi ?fi|вай ?фай|интернет\w*|internet", "coffee": r"кофе\w*|чай|чая|coffee|tea",
    "printer": r"принтер\w*|печат\w*|сканер\w*|мфу|printer\w*|printing|scanner\w*",
    "meeting_rooms": r"переговорн\w*|переговорк\w*|конференц ?зал\w*|(?:meeting|conference) rooms?",
    "phone_booths": r"звонков\w*|телефонн\w* (?:будк|кабин)\w*|фонбокс\w*|phone ?(?:booths?|box\w*)",
    "kitchen": r"кухн\w*|kitchen\w*", "lockers": r"шкафчик\w*|локер\w*|lockers?",
    "parking": r"(?<!bike )(?<!bicycle )(?:парковк\w*|паркинг\w*|автостоянк\w*|parking)(?!\w)(?! для вело)",
    "bike_parking": r"велопарковк\w*|велостоянк\w*|парковк\w* для велосипед\w*|(?:bike|bicycle) (?:parking|racks?)",
    "shower": r"душ|душев\w*|shower\w*", "access_24_7": r"24 ?[xх]? ?7|круглосуточн\w*|24 hours|round the clock",
    "lounge": r"зон\w* отдыха|лаунж\w*|lounge\w*|chill ?out", "monitors": r"монитор\w*|monitors?",
    "pet_friendly": r"питом\w*|с животн\w*|с собак\w*|pets?|pet friendly|dog friendly",
    "accessible": r"доступн\w* сред\w*|пандус\w*|для маломобильн\w*|wheelchair\w*|step free|accessib\w*",
    "legal_address": r"юр\w* адрес\w*|юрадрес\w*|legal address|registered address",
    "terrace": r"террас\w*|веранд\w*|terrace\w*|rooftop", "gym": r"спортзал\w*|фитнес\w*|тренажерн\w*|gym",
    "kids_room": r"детск\w* комнат\w*|детск\w*|kids? room|playroom",
}
_AMENITY_RES = {code: re.compile(rf"(?<!\w)(?:{words})(?!\w)") for code, words in _AMENITY_WORDS.items()}
_NEGATED = re.compile(r"^(?:без|нет|no|not|не)\b|\bнет$")


def _words(text: str) -> str:
    """Lower case, ё as е, every run of non-letters and non-digits one space: "Wi‑Fi" -> "wi fi"."""
    return " ".join(re.sub(r"[\W_]+", " ", _clean(text)).split())


def _contains(haystack: str, needle: str) -> bool:
    """Whether `needle` is a run of whole words of `haystack`."""
    return bool(needle) and f" {needle} " in f" {haystack} "


def map_amenities(names: Iterable[str], vocabulary: Mapping[str, str]) -> list[str]:
    """Competitors' amenity names -> our codes (vocabulary: code -> Russian name, from the amenity
    table), in the order named, each once; unknown and negated ones ("Без парковки") dropped."""
    ours = {code: (_words(code), _words(name)) for code, name in vocabulary.items()}
    codes: list[str] = []
    for name in names:
        said = _words(name or "")
        if not said or _NEGATED.search(said):
            continue
        for code, (code_words, name_words) in ours.items():
            pattern = _AMENITY_RES.get(code)
            if pattern:  # one of ours: its words decide ("парковка для велосипедов" is not parking)
                found = bool(pattern.search(said)) or said in (code_words, name_words)
            else:  # a code we have no words for: its name within the phrase, or the phrase within it
                found = _contains(said, name_words) or said == code_words or (
                    len(said) >= 5 and _contains(name_words, said))
            if found and code not in codes:
                codes.append(code)
    return codes
