"""Russian legal and bank details and the amount in words (services/finance/requisites.py)."""

from __future__ import annotations

import pytest

from coworking_app.services.common.errors import InvalidInput
from coworking_app.services.finance.requisites import (
    amount_in_words,
    check_bank_account,
    check_bik,
    check_corr_account,
    check_inn,
    check_inn_kpp,
    check_kpp,
    inn_is_valid,
    mask_account,
    number_in_words,
)

# Published ИНН of well-known companies, and a 12-digit one of an individual.
SBERBANK, YANDEX, INDIVIDUAL = "7707083893", "7736207543", "500100732259"


def _refusal(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(InvalidInput) as caught:
        call(*args, **kwargs)
    return caught.value.field, caught.value.message


# --- ИНН --------------------------------------------------------------------------------


def _inn10(first9: str) -> str:
    """The control digit computed here by the tax service's rule, independently of the module."""
    weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
    return first9 + str(sum(int(d) * w for d, w in zip(first9, weights)) % 11 % 10)


@pytest.mark.parametrize("inn", [SBERBANK, YANDEX, INDIVIDUAL, "7702070139", "7728168971",
                                 _inn10("770100000"), _inn10("500312345")])
def test_valid_inn_is_accepted(inn):
    assert inn_is_valid(inn)
    assert check_inn(inn) == inn


@pytest.mark.parametrize(("typed", "stored"), [(" 7707 083 893 ", SBERBANK), ("5001\u00a000732259", INDIVIDUAL)])
def test_inn_typed_with_spaces_is_stored_without(typed, stored):
    assert check_inn(typed) == stored


@pytest.mark.parametrize(("inn", "message"), [
    ("7707083894", "ИНН с неверным контрольным числом: проверьте цифры"),   # last digit off
    ("7736207553", "ИНН с неверным контрольным числом: проверьте цифры"),   # a digit in the middle
    ("500100732258", "ИНН с неверным контрольным числом: проверьте цифры"),  # 12th digit wrong
    ("500100732269", "ИНН с неверным контрольным числом: проверьте цифры"),  # 11th digit wrong
    ("770708389", "ИНН — 10 цифр для организации или 12 для ИП"),
    ("77070838931", "ИНН — 10 цифр для организации или 12 для ИП"),
    ("77O7083893", "ИНН — 10 цифр для организации или 12 для ИП"),       # a letter O
    ("٧٧٠٧٠٨٣٨٩٣", "ИНН — 10 цифр для организации или 12 для ИП"),       # digits of another script
    ("", "Укажите ИНН"),
    (None, "Укажите ИНН"),
])
def test_wrong_inn_is_refused_naming_the_field(inn, message):
    assert _refusal(check_inn, inn, field="buyer_inn") == ("buyer_inn", message)


def test_any_other_control_digit_is_refused():
    for inn in (SBERBANK, YANDEX, INDIVIDUAL):
        for position in ([9] if len(inn) == 10 else [10, 11]):
            for digit in "0123456789":
                changed = inn[:position] + digit + inn[position + 1:]
                assert inn_is_valid(changed) == (digit == inn[position]), changed


# --- КПП ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "stored"), [("773601001", "773601001"), ("7736AB001", "7736AB001"),
                                               ("7736ab001", "7736AB001"), (" 773 601 001", "773601001")])
def test_kpp(typed, stored):
    assert check_kpp(typed) == stored


@pytest.mark.parametrize("kpp", ["77360100", "7736010011", "7736Ж1001", "77A601001", "773601A01", "7736-1001"])
def test_wrong_kpp_is_refused(kpp):
    assert _refusal(check_kpp, kpp) == ("kpp", "КПП — 9 символов: 4 цифры, 2 цифры или латинские буквы, 3 цифры")


def test_an_organisation_needs_a_kpp_and_an_individual_has_none():
    assert check_inn_kpp(YANDEX, "770401001") == (YANDEX, "770401001")
    assert check_inn_kpp(INDIVIDUAL, "") == (INDIVIDUAL, None)
    assert check_inn_kpp(INDIVIDUAL, None) == (INDIVIDUAL, None)
    assert _refusal(check_inn_kpp, YANDEX, "") == ("kpp", "Для организации укажите КПП")
    assert _refusal(check_inn_kpp, INDIVIDUAL, "500101001") == ("kpp", "У ИП нет КПП: оставьте поле пустым")
    assert _refusal(check_inn_kpp, "7707083894", "770701001") == ("inn", "ИНН с неверным контрольным числом: "
                                                                         "проверьте цифры")
    assert _refusal(check_inn_kpp, YANDEX, "7704", kpp_field="company_kpp")[0] == "company_kpp"


# --- БИК and accounts ---------------------------------------------------------------------

# Banks' published БИК and correspondent accounts.
BANKS = [("044525225", "30101810400000000225"),   # Сбербанк
         ("044525974", "30101810145250000974"),   # Т-Банк
         ("044525593", "30101810200000000593"),   # Альфа-Банк
         ("044525187", "30101810700000000187"),   # ВТБ
         ("044030653", "30101810500000000653")]   # Северо-Западный банк Сбербанка


def _with_key(prefix: str, account: str) -> str:
    """The Bank of Russia's key computed as the regulation describes it: the key digit (the
    9th of the account) set to 0, the lowest digits of the products with 7 1 3 summed, the
    sum's lowest digit times 3, its lowest digit is the key."""
    zeroed = account[:8] + "0" + account[9:]
    total = sum(int(d) * w % 10 for d, w in zip(prefix + zeroed, (7, 1, 3) * 8))
    return account[:8] + str(total % 10 * 3 % 10) + account[9:]


@pytest.mark.parametrize(("bik", "corr"), BANKS)
def test_published_correspondent_accounts_agree_with_their_bik(bik, corr):
    assert check_bik(bik) == bik
    assert check_corr_account(corr, bik) == corr
    assert _with_key("0" + bik[4:6], corr) == corr


@pytest.mark.parametrize("bik", [b for b, _ in BANKS])
@pytest.mark.parametrize("account", ["40702810000000012345", "40802810500001234567", "40701810900000000001"])
def test_settlement_account_with_the_right_key_is_accepted(bik, account):
    valid = _with_key(bik[-3:], account)
    assert check_bank_account(valid, bik) == valid
    assert check_bank_account(" ".join(valid[i:i + 4] for i in range(0, 20, 4)), f" {bik} ") == valid
    wrong = valid[:8] + str((int(valid[8]) + 1) % 10) + valid[9:]
    assert _refusal(check_bank_account, wrong, bik) == (
        "account", "Расчётный счёт не сходится с БИК: проверьте счёт и БИК банка")


def test_an_account_checked_against_another_bank_is_refused():
    account = _with_key("225", "40702810000000012345")
    assert check_bank_account(account, "044525225") == account
    assert _refusal(check_bank_account, account, "044525974")[0] == "account"
    assert _refusal(check_corr_account, "30101810400000000225", "044030653") == (
        "corr_account", "Корреспондентский счёт не сходится с БИК: проверьте счёт и БИК банка")


@pytest.mark.parametrize(("bik", "message"), [
    ("04452522", "БИК — 9 цифр"), ("0445252250", "БИК — 9 цифр"), ("04452522x", "БИК — 9 цифр"),
    ("144525225", "БИК российского банка начинается с 04"), ("", "Укажите БИК банка"),
])
def test_wrong_bik_is_refused(bik, message):
    assert _refusal(check_bik, bik) == ("bik", message)
    assert _refusal(check_bank_account, "40702810000000012345", bik) == ("bik", message)


@pytest.mark.parametrize(("account", "message"), [
    ("4070281000000001234", "Расчётный счёт — 20 цифр"), ("407028100000000123456", "Расчётный счёт — 20 цифр"),
    ("4070281000000001234a", "Расчётный счёт — 20 цифр"), ("", "Укажите расчётный счёт"),
])
def test_wrong_account_length_is_refused(account, message):
    assert _refusal(check_bank_account, account, "044525225", field="owner_account") == ("owner_account", message)


def test_wrong_corr_account_length_is_refused():
    assert _refusal(check_corr_account, "301018104", "044525225") == ("corr_account", "Корреспондентский счёт — 20 цифр")


@pytest.mark.parametrize(("stored", "shown"), [
    ("40702810438000034726", "•••• 4726"), ("4070 2810 4380 0003 4726", "•••• 4726"), ("1234", "••••"),
    ("", "—"), (None, "—"),
])
def test_masked_account(stored, shown):
    assert mask_account(stored) == shown


# --- the amount in words ------------------------------------------------------------------


@pytest.mark.parametrize(("minor", "words"), [
    (0, "Ноль рублей 00 копеек"),
    (1, "Ноль рублей 01 копейка"),
    (2, "Ноль рублей 02 копейки"),
    (11, "Ноль рублей 11 копеек"),
    (100, "Один рубль 00 копеек"),
    (200, "Два рубля 00 копеек"),
    (500, "Пять рублей 00 копеек"),
    (1100, "Одиннадцать рублей 00 копеек"),
    (1200, "Двенадцать рублей 00 копеек"),
    (2100, "Двадцать один рубль 00 копеек"),
    (2221, "Двадцать два рубля 21 копейка"),
    (10100, "Сто один рубль 00 копеек"),
    (11100, "Сто одиннадцать рублей 00 копеек"),
    (100_000, "Одна тысяча рублей 00 копеек"),
    (123_456, "Одна тысяча двести тридцать четыре рубля 56 копеек"),
    (200_000, "Две тысячи рублей 00 копеек"),
    (500_000, "Пять тысяч рублей 00 копеек"),
    (1_100_000, "Одиннадцать тысяч рублей 00 копеек"),
    (2_100_000, "Двадцать одна тысяча рублей 00 копеек"),
    (2_200_000, "Двадцать две тысячи рублей 00 копеек"),
    (100_000_000, "Один миллион рублей 00 копеек"),
    (200_000_100, "Два миллиона один рубль 00 копеек"),
    (500_100_000, "Пять миллионов одна тысяча рублей 00 копеек"),
    (123_456_789, "Один миллион двести тридцать четыре тысячи пятьсот шестьдесят семь рублей 89 копеек"),
    (100_000_000_000, "Один миллиард рублей 00 копеек"),
    (-150, "Минус один рубль 50 копеек"),
])
def test_amount_in_words(minor, words):
    assert amount_in_words(minor) == words
    assert amount_in_words(minor, "RUB") == words


@pytest.mark.parametrize(("minor", "currency", "shown"), [
    (123_456, "USD", "1\xa0234,56 USD"), (5, "EUR", "0,05 EUR"), (-100, "KZT", "-1,00 KZT"),
])
def test_amount_in_other_currencies_is_figures_and_code(minor, currency, shown):
    assert amount_in_words(minor, currency) == shown


def test_number_in_words_genders():
    assert number_in_words(1) == "один" and number_in_words(1, feminine=True) == "одна"
    assert number_in_words(2, feminine=True) == "две"
    assert number_in_words(12, feminine=True) == "двенадцать"
    assert number_in_words(999_999_999_999_999).startswith("девятьсот девяносто девять триллионов")
    with pytest.raises(ValueError):
        number_in_words(10**15)
