"""Russian legal and bank details (реквизиты) and the amount in words a счёт carries.

Each check_* takes what a person typed (spaces inside allowed: "4070 2810 ..."), returns the
normalised value or raises InvalidInput(field, Russian message). The control digits follow
the published algorithms: ИНН by the tax service's weights, bank accounts by the Bank of
Russia's key (weights 7 1 3 over the BIK's digits and the account).
"""

from __future__ import annotations

import re

from coworking_app.formatting import group_thousands
from coworking_app.services.common.errors import InvalidInput

_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN11_WEIGHTS = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_ACCOUNT_WEIGHTS = (7, 1, 3) * 8  # 23 digits: three of the BIK, then the 20 of the account
_KPP = re.compile(r"[0-9]{4}[0-9A-Z]{2}[0-9]{3}")
_DIGITS = re.compile(r"[0-9]+")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")


def _clean(value: object) -> str:
    """The value without any spaces; "" for None."""
    if value is None:
        return ""
    return _SPACES.sub("", str(value))


def _digits_only(value: str) -> bool:
    return _DIGITS.fullmatch(value) is not None


def _control(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights)) % 11 % 10


def inn_is_valid(inn: str) -> bool:
    """True for 10 digits (an organisation) or 12 (an individual, an ИП) whose control
    digits agree."""
    if not _digits_only(inn):
        return False
    if len(inn) == 10:
        return _control(inn, _INN10_WEIGHTS) == int(inn[9])
    if len(inn) == 12:
        return (_control(inn, _INN11_WEIGHTS) == int(inn[10])
                and _control(inn, _INN12_WEIGHTS) == int(inn[11]))
    return False


def check_inn(value: object, field: str = "inn") -> str:
    """The ИНН as 10 or 12 digits; InvalidInput naming `field` otherwise."""
    inn = _clean(value)
    if not inn:
        raise InvalidInput(field, "Укажите ИНН")
    if not _digits_only(inn) or len(inn) not in (10, 12):
        raise InvalidInput(field, "ИНН — 10 цифр для организации или 12 для ИП")
    if not inn_is_valid(inn):
        raise InvalidInput(field, "ИНН с неверным контрольным числом: проверьте цифры")
    return inn


def check_kpp(value: object, field: str = "kpp") -> str:
    """The КПП: 9 characters NNNNPPNNN, where PP (the reason) may also be capital Latin
    letters; lower-case letters are raised."""
    kpp = _clean(value).upper()
    if not kpp:
        raise InvalidInput(field, "Укажите КПП")
    if _KPP.fullmatch(kpp) is None:
        raise InvalidInput(field, "КПП — 9 символов: 4 цифры, 2 цифры или латинские буквы, 3 цифры")
    return kpp


def check_inn_kpp(inn: object, kpp: object, *, inn_field: str = "inn",
                  kpp_field: str = "kpp") -> tuple[str, str | None]:
    """An organisation (10-digit ИНН) has a КПП; an ИП (12 digits) has none. Returns
    (inn, kpp) normalised, kpp None for an ИП."""
    inn = check_inn(inn, inn_field)
    given = _clean(kpp)
    if len(inn) == 12:
        if given:
            raise InvalidInput(kpp_field, "У ИП нет КПП: оставьте поле пустым")
        return inn, None
    if not given:
        raise InvalidInput(kpp_field, "Для организации укажите КПП")
    return inn, check_kpp(given, kpp_field)


def check_bik(value: object, field: str = "bik") -> str:
    """The БИК: 9 digits starting with 04 (Russia)."""
    bik = _clean(value)
    if not bik:
        raise InvalidInput(field, "Укажите БИК банка")
    if not _digits_only(bik) or len(bik) != 9:
        raise InvalidInput(field, "БИК — 9 цифр")
    if not bik.startswith("04"):
        raise InvalidInput(field, "БИК российского банка начинается с 04")
    return bik


def _account_key_ok(prefix: str, account: str) -> bool:
    return sum(int(d) * w % 10 for d, w in zip(prefix + account, _ACCOUNT_WEIGHTS)) % 10 == 0


def _check_account_digits(account: str, field: str, what: str) -> None:
    if not account:
        raise InvalidInput(field, f"Укажите {what}")
    if not _digits_only(account) or len(account) != 20:
        raise InvalidInput(field, f"{what.capitalize()} — 20 цифр")


def check_bank_account(account: object, bik: object, field: str = "account") -> str:
    """A settlement account (расчётный счёт, 20 digits) at the bank with this БИК: its
    control key is computed over the last 3 digits of the БИК followed by the account.
    The БИК is checked too (a wrong one is reported on `bik`)."""
    number = _clean(account)
    _check_account_digits(number, field, "расчётный счёт")
    bik = check_bik(bik)
    if not _account_key_ok(bik[-3:], number):
        raise InvalidInput(field, "Расчётный счёт не сходится с БИК: проверьте счёт и БИК банка")
    return number


def check_corr_account(account: object, bik: object, field: str = "corr_account") -> str:
    """The bank's correspondent account (к/с, 20 digits): its key is computed over "0", the
    5th and 6th digits of the БИК, then the account."""
    number = _clean(account)
    _check_account_digits(number, field, "корреспондентский счёт")
    bik = check_bik(bik)
    if not _account_key_ok("0" + bik[4:6], number):
        raise InvalidInput(field, "Корреспондентский счёт не сходится с БИК: проверьте счёт и БИК банка")
    return number


def mask_account(account: str | None) -> str:
    """Stored bank details shown masked: "•••• 1234" (the last 4 digits); "—" when none."""
    number = _clean(account)
    if not number:
        return "—"
    return "••••" if len(number) <= 4 else f"•••• {number[-4:]}"


# --- the amount in words ---------------------------------------------------------------------

_ONES = ("", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять")
_ONES_FEMININE = ("", "одна", "две") + _ONES[3:]
_TEENS = ("десять", "одиннадцать", "двенадцать", "тринадцать", "четырнадцать", "пятнадцать",
          "шестнадцать", "семнадцать", "восемнадцать", "девятнадцать")
_TENS = ("", "", "двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят",
         "восемьдесят", "девяносто")
_HUNDREDS = ("", "сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот", "семьсот",
             "восемьсот", "девятьсот")
# (forms for 1, 2-4, 5+; feminine?) for 10^3, 10^6, 10^9, 10^12
_SCALES = ((("тысяча", "тысячи", "тысяч"), True), (("миллион", "миллиона", "миллионов"), False),
           (("миллиард", "миллиарда", "миллиардов"), False), (("триллион", "триллиона", "триллионов"), False))
_RUBLES = ("рубль", "рубля", "рублей")
_KOPECKS = ("копейка", "копейки", "копеек")


def plural_form(n: int, forms: tuple[str, str, str]) -> str:
    """The word that goes with n: рубль / рубля / рублей."""
    n10, n100 = n % 10, n % 100
    if n10 == 1 and n100 != 11:
        return forms[0]
    if 2 <= n10 <= 4 and not 12 <= n100 <= 14:
        return forms[1]
    return forms[2]


def _triplet(n: int, feminine: bool) -> list[str]:
    words = [_HUNDREDS[n // 100]]
    rest = n % 100
    if 10 <= rest < 20:
        words.append(_TEENS[rest - 10])
    else:
        words.append(_TENS[rest // 10])
        words.append((_ONES_FEMININE if feminine else _ONES)[rest % 10])
    return [w for w in words if w]


def number_in_words(n: int, *, feminine: bool = False) -> str:
    """A whole number 0..999 999 999 999 999 in Russian words, lower case: "двадцать одна"
    (feminine) or "двадцать один"."""
    if n < 0:
        return "минус " + number_in_words(-n, feminine=feminine)
    if n == 0:
        return "ноль"
    if n >= 1000 ** (len(_SCALES) + 1):
        raise ValueError("number too large to spell")
    words = _triplet(n % 1000, feminine)
    n //= 1000
    for forms, scale_feminine in _SCALES:
        part = n % 1000
        if part:
            words = [*_triplet(part, scale_feminine), plural_form(part, forms), *words]
        n //= 1000
    return " ".join(words)


def amount_in_words(minor: int, currency: str = "RUB") -> str:
    """The amount as a счёт writes it: "Одна тысяча двести тридцать четыре рубля 56 копеек",
    "Ноль рублей 00 копеек". Other currencies: the figures and the code, "1 234,56 USD"."""
    sign = "-" if minor < 0 else ""
    major, cents = divmod(abs(minor), 100)
    if currency != "RUB":
        return f"{sign}{group_thousands(major)},{cents:02d} {currency}"
    text = f"{number_in_words(major)} {plural_form(major, _RUBLES)} {cents:02d} {plural_form(cents, _KOPECKS)}"
    if sign:
        text = "минус " + text
    return text[0].upper() + text[1:]
