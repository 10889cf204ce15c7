"""Competitors' prices, minimum durations, cancellation terms and amenities, normalised to ours
(services/market/normalize.py, issue 19): pure functions, no database. The price tables are the
formats listings really use; a price that cannot be read with certainty is refused, never guessed."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import get_args

import pytest

from coworking_app.demo.seed import AMENITIES
from coworking_app.services.market.normalize import (
    Policy,
    Price,
    PriceError,
    classify_cancellation,
    map_amenities,
    parse_min_duration,
    parse_price_text,
    price_from_offer,
)
from models import CancellationPolicy

RUB, USD, EUR, KZT = "RUB", "USD", "EUR", "KZT"
H, D, W, M = "hour", "day", "week", "month"

# --- prices in text ----------------------------------------------------------------------------

PRICES = [
    # the issue's own examples
    ("от 500 ₽/час", [(50000, RUB, H)]),
    ("3 000 руб. в день", [(300000, RUB, D)]),
    ("абонемент 12 000 ₽/мес", [(1200000, RUB, M)]),
    ("$15/day", [(1500, USD, D)]),
    ("1 500,50 ₽ за час", [(150050, RUB, H)]),
    ("Почасовая аренда: 350 ₽ / час", [(35000, RUB, H)]),
    ("День — 1 200 ₽", [(120000, RUB, D)]),
    ("Месяц: 9 500 руб.", [(950000, RUB, M)]),
    # spaces between thousands: thin, narrow no-break, no-break, figure space
    ("1\u2009500 ₽/час", [(150000, RUB, H)]),
    ("1\u202f500\u202f₽ в день", [(150000, RUB, D)]),
    ("12\u00a0000\u00a0₽/мес", [(1200000, RUB, M)]),
    ("2\u2007000 ₽/сутки", [(200000, RUB, D)]),
    ("12.000 ₽/мес", [(1200000, RUB, M)]),
    ("500,00 ₽/час", [(50000, RUB, H)]),
    # thousands in words
    ("15 тыс. ₽ в месяц", [(1500000, RUB, M)]),
    ("15 тыс ₽ в месяц", [(1500000, RUB, M)]),
    ("от 1,5 тыс. руб./день", [(150000, RUB, D)]),
    ("0,5 тыс. ₽/час", [(50000, RUB, H)]),
    ("20 тысяч рублей в месяц", [(2000000, RUB, M)]),
    ("1.5k RUB/month", [(150000, RUB, M)]),
    ("20k ₽/мес", [(2000000, RUB, M)]),
    # how the rouble and the hour are written
    ("500 р./час", [(50000, RUB, H)]),
    ("500 р/ч", [(50000, RUB, H)]),
    ("450 руб/ч", [(45000, RUB, H)]),
    ("от 300₽/ч", [(30000, RUB, H)]),
    ("500руб/ч", [(50000, RUB, H)]),
    ("500 рублей в час", [(50000, RUB, H)]),
    ("Стоимость: 400 руб. за 1 час", [(40000, RUB, H)]),
    ("350 ₽ почасово", [(35000, RUB, H)]),
    ("₽ 500/час", [(50000, RUB, H)]),
    ("600 RUB per hour", [(60000, RUB, H)]),
    ("1 000 ₽/ДЕНЬ", [(100000, RUB, D)]),
    # day, 24 hours, week, month
    ("1 500 ₽/сутки", [(150000, RUB, D)]),
    ("2 000 руб. за сутки", [(200000, RUB, D)]),
    ("1 200 р. / сут.", [(120000, RUB, D)]),
    ("Посуточная аренда 1 800 ₽", [(180000, RUB, D)]),
    ("Цена за день: 1 000 ₽", [(100000, RUB, D)]),
    ("3 000 ₽ в день за место", [(300000, RUB, D)]),
    ("5 000 ₽ в неделю", [(500000, RUB, W)]),
    ("Неделя — 4 500 ₽", [(450000, RUB, W)]),
    ("7 000 ₽/нед.", [(700000, RUB, W)]),
    ("9 900 ₽/месяц", [(990000, RUB, M)]),
    ("Месячный абонемент: 9 000 руб.", [(900000, RUB, M)]),
    ("Тариф «Фикс» — 15 000 ₽ в месяц", [(1500000, RUB, M)]),
    ("Стоимость часа — 400 ₽", [(40000, RUB, H)]),
    ("Аренда переговорной: 1 200 ₽ в час", [(120000, RUB, H)]),
    ("1 час — 500 ₽", [(50000, RUB, H)]),
    ("500 ₽ за место в час", [(50000, RUB, H)]),
    ("700 ₽/чел./час", [(70000, RUB, H)]),
    ("- 500 ₽/час", [(50000, RUB, H)]),  # a list's bullet, not a minus
    # English, dollars, euros, tenge
    ("€20 per hour", [(2000, EUR, H)]),
    ("20 EUR/day", [(2000, EUR, D)]),
    ("Rent: 25 euro per day", [(2500, EUR, D)]),
    ("Weekly: €90", [(9000, EUR, W)]),
    ("USD 15 a day", [(1500, USD, D)]),
    ("$300 monthly", [(30000, USD, M)]),
    ("From $12 per hour", [(1200, USD, H)]),
    ("$15/hr", [(1500, USD, H)]),
    ("Hot desk: $250/mo", [(25000, USD, M)]),
    ("Day pass — $30", [(3000, USD, D)]),
    ("Hourly rate: 15 USD", [(1500, USD, H)]),
    ("$1,500.50/month", [(150050, USD, M)]),
    ("$15 per person per day", [(1500, USD, D)]),
    ("1 000 долларов в месяц", [(100000, USD, M)]),
    ("5 000 тенге в день", [(500000, KZT, D)]),
    ("3 500 ₸/час", [(350000, KZT, H)]),
    # no currency sign but a unit right after the amount: the default currency
    ("400/час", [(40000, RUB, H)]),
    # ranges: the lower bound, as "от"
    ("500-700 ₽/час", [(50000, RUB, H)]),
    ("от 500 до 700 ₽ в час", [(50000, RUB, H)]),
    ("500 – 700 руб./час", [(50000, RUB, H)]),
    ("10–15 тыс. ₽/мес", [(1000000, RUB, M)]),
    ("$10-$15/hour", [(1000, USD, H)]),
    # several prices in one text
    ("Час — 350 ₽, день — 1 200 ₽", [(35000, RUB, H), (120000, RUB, D)]),
    ("350 ₽/час; 2 500 ₽/день; 15 000 ₽/мес", [(35000, RUB, H), (250000, RUB, D), (1500000, RUB, M)]),
    ("Цена: 500 ₽ в час или 3 000 ₽ в день", [(50000, RUB, H), (300000, RUB, D)]),
    ("Почасово: 300 ₽\nПосуточно: 1 500 ₽\nАбонемент на месяц: 12 000 ₽",
     [(30000, RUB, H), (150000, RUB, D), (1200000, RUB, M)]),
    ("1 час — 500 ₽, 1 день — 2 000 ₽", [(50000, RUB, H), (200000, RUB, D)]),
    ("$20/hour, $100/day, $400/month", [(2000, USD, H), (10000, USD, D), (40000, USD, M)]),
    ("500 ₽/час (500 ₽/час для резидентов)", [(50000, RUB, H)]),  # the same price twice: once
    # numbers around a price that are not prices
    ("Работаем с 9 до 21. День — 1 200 ₽", [(120000, RUB, D)]),
    ("Открыты 24/7, час — 250 ₽", [(25000, RUB, H)]),
    ("Первый день бесплатно, далее 500 ₽/день", [(50000, RUB, D)]),
    ("Час — 350 ₽, депозит 1 000 ₽", [(35000, RUB, H)]),
    ("Час — 500 ₽ до 18:00", [(50000, RUB, H)]),
    ("Тел. +7 (495) 123-45-67, час — 300 ₽", [(30000, RUB, H)]),
]


def test_the_table_holds_at_least_sixty_formats():
    assert len(PRICES) >= 60


@pytest.mark.parametrize(("text", "expected"), PRICES, ids=[text for text, _ in PRICES])
def test_a_price_text_gives_every_price_it_states(text, expected):
    assert parse_price_text(text) == [Price(*price) for price in expected]


def test_a_text_without_a_currency_sign_takes_the_callers_currency():
    assert parse_price_text("400/час", default_currency="KZT") == [Price(40000, "KZT", "hour")]
    assert parse_price_text("$15/day", default_currency="EUR") == [Price(1500, "USD", "day")]


REFUSED = [
    ("", "Цена не указана"),
    ("   \u00a0 ", "Цена не указана"),
    ("500 ₽", "за какой срок"),  # no unit
    ("Абонемент — 12 000 ₽", "за какой срок"),  # a pass of how long?
    ("2 500 ₽ за 10 часов", "за какой срок"),  # a package, not a rate
    ("2 часа — 900 ₽", "Неясно"),
    ("Цена за 10 посещений: 5 000 ₽", "за какой срок"),
    ("150 000 ₽ / год", "за какой срок"),  # a year: not a unit we compare
    ("Абонемент на 12 часов — 3 000 ₽", "Неясно"),
    ("Час и день — 500 ₽", "Неясно"),
    ("Цена договорная", "не названа"),
    ("Стоимость по запросу", "не названа"),
    ("Цена: уточняйте у менеджера", "не названа"),
    ("Price on request", "не названа"),
    ("Звоните: 8 800 555-35-35", "не названа"),
    ("Бесплатно", "Бесплатно"),
    ("Free for residents", "Бесплатно"),
    ("+7 (495) 123-45-67", "Не найдено"),  # only a phone number
    ("01.09.2024", "Не найдено"),  # a date
    ("Открытие 1 сентября 2024 года", "Не найдено"),
    ("10 мест, 3 переговорные", "Не найдено"),
    ("от 500", "Не найдено"),  # no currency, no unit
    ("₽/час", "Не найдено"),  # no number
    ("-500 ₽/час", "Отрицательная"),
    ("\u2212500 ₽/час", "Отрицательная"),
    ("0 ₽/час", "больше нуля"),
    ("99 999 999 ₽/мес", "Неправдоподобная"),
    ("150 000 ₽/час", "Неправдоподобная"),
    ("до 700 ₽/час", "верхняя граница"),
    ("Скидка 500 ₽ в месяц", "не цена аренды"),
    ("Залог: 5 000 ₽", "не цена аренды"),
    ("700-500 ₽/час", "Нижняя граница"),
    ("$15 ₽/час", "Две валюты"),
]


def test_the_refusals_table_holds_at_least_fifteen_texts():
    assert len(REFUSED) >= 15


@pytest.mark.parametrize(("text", "because"), REFUSED, ids=[text or "empty" for text, _ in REFUSED])
def test_a_text_without_a_certain_price_is_refused_with_a_russian_reason(text, because):
    with pytest.raises(PriceError) as refused:
        parse_price_text(text)
    assert because in refused.value.reason
    assert re.search("[а-яА-Я]", refused.value.reason) and refused.value.reason.endswith(".")
    assert str(refused.value) == refused.value.reason
    assert isinstance(refused.value, ValueError)


def test_a_refusal_quotes_the_words_it_could_not_read():
    with pytest.raises(PriceError) as refused:
        parse_price_text("Абонемент — 12 000 ₽")
    assert "«абонемент — 12 000 ₽»" in refused.value.reason


# --- prices from structured data (schema.org Offer / UnitPriceSpecification) -----------------------

@pytest.mark.parametrize(("amount", "currency", "unit_code", "expected"), [
    ("500", "RUB", "HUR", Price(50000, "RUB", "hour")),
    (3000, "RUB", "DAY", Price(300000, "RUB", "day")),
    ("4500.00", "RUB", "WEE", Price(450000, "RUB", "week")),
    (Decimal("12000"), "RUB", "MON", Price(1200000, "RUB", "month")),
    (15, "USD", "hur", Price(1500, "USD", "hour")),
    (15.5, "EUR", "DAY", Price(1550, "EUR", "day")),
    ("1 500,50", "RUB", "HUR", Price(150050, "RUB", "hour")),
    ("1\u202f500", "RUB", "DAY", Price(150000, "RUB", "day")),
    ("15 тыс.", "RUB", "MON", Price(1500000, "RUB", "month")),
    (500, "RUR", "HUR", Price(50000, "RUB", "hour")),  # the old code some feeds still use
    (500, "rub", "HUR", Price(50000, "RUB", "hour")),
    (500, "₽", "HUR", Price(50000, "RUB", "hour")),
    (500, "GBP", "HUR", Price(50000, "GBP", "hour")),  # any ISO 4217 code
    (500, "RUB", "hour", Price(50000, "RUB", "hour")),
    (500, "RUB", "час", Price(50000, "RUB", "hour")),
    (500, "RUB", "в сутки", Price(50000, "RUB", "day")),
    (500, "RUB", "week", Price(50000, "RUB", "week")),
    (500, "RUB", "месяц", Price(50000, "RUB", "month")),
    (500, "RUB", "P1M", Price(50000, "RUB", "month")),  # ISO 8601 billingDuration
    (500, "RUB", "PT1H", Price(50000, "RUB", "hour")),
])
def test_an_offer_gives_one_price(amount, currency, unit_code, expected):
    assert price_from_offer(amount, currency, unit_code) == expected


def test_an_offer_may_name_its_unit_in_words_only():
    assert price_from_offer(500, "RUB", None, unit_text="в месяц") == Price(50000, "RUB", "month")
    assert price_from_offer(500, "RUB", "HUR", unit_text="за час") == Price(50000, "RUB", "hour")
    assert price_from_offer(500, "RUB", "XYZ", unit_text="per day") == Price(50000, "RUB", "day")


def test_an_offer_without_a_currency_is_in_roubles_unless_the_caller_says_otherwise():
    assert price_from_offer(500, None, "HUR") == Price(50000, "RUB", "hour")
    assert price_from_offer(500, "  ", "HUR") == Price(50000, "RUB", "hour")
    assert price_from_offer(500, None, "HUR", default_currency="KZT") == Price(50000, "KZT", "hour")
    with pytest.raises(PriceError, match="Не указана валюта"):
        price_from_offer(500, None, "HUR", default_currency=None)


@pytest.mark.parametrize(("amount", "currency", "unit_code", "because"), [
    ("abc", "RUB", "HUR", "не число"),
    ("", "RUB", "HUR", "не число"),
    ("от 500", "RUB", "HUR", "не число"),
    ("nan", "RUB", "HUR", "не число"),
    (None, "RUB", "HUR", "не число"),
    (True, "RUB", "HUR", "не число"),
    (float("nan"), "RUB", "HUR", "не число"),
    (float("inf"), "RUB", "HUR", "не число"),
    (Decimal("NaN"), "RUB", "HUR", "не число"),
    (-5, "RUB", "HUR", "Отрицательная"),
    ("-500", "RUB", "HUR", "Отрицательная"),
    (0, "RUB", "HUR", "больше нуля"),
    (Decimal("12.345"), "RUB", "HUR", "двух знаков"),
    (10 ** 9, "RUB", "MON", "Неправдоподобная"),
    (500, "XX", "HUR", "Неизвестная валюта"),
    (500, "рублики", "HUR", "Неизвестная валюта"),
    (500, "RUB", None, "за какой срок"),
    (500, "RUB", "", "за какой срок"),
    (500, "RUB", "ANN", "за какой срок"),  # a year: not a unit we compare
    (500, "RUB", "MIN", "за какой срок"),
    (500, "RUB", "C62", "за какой срок"),
])
def test_a_bad_offer_is_refused(amount, currency, unit_code, because):
    with pytest.raises(PriceError) as refused:
        price_from_offer(amount, currency, unit_code)
    assert because in refused.value.reason


def test_an_offer_whose_code_and_words_disagree_is_refused():
    with pytest.raises(PriceError, match="по-разному"):
        price_from_offer(500, "RUB", "HUR", unit_text="в месяц")


# --- minimum duration --------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "minutes"), [
    ("от 2 часов", 120),
    ("минимум 1 день", 1440),
    ("от 30 минут", 30),
    ("мин. 3 часа", 180),
    ("Минимальное время бронирования — 2 ч", 120),
    ("Бронирование от часа", 60),
    ("от полутора часов", 90),
    ("от 1,5 часов", 90),
    ("от двух часов", 120),
    ("не менее 4 часов", 240),
    ("минимум сутки", 1440),
    ("от недели", 10080),
    ("от 1 месяца", 43200),
    ("Аренда\u00a0от\u00a03\u00a0дней", 4320),
    ("полчаса", 30),
    ("2 часа", 120),  # the only duration given
    ("minimum 2 hours", 120),
    ("at least 1 day", 1440),
    ("2 hours minimum", 120),
    ("2-hour minimum", 120),
    ("min 30 min", 30),
    ("от 1 часа до 8 часов", 60),
    ("Бронь от 2 часов в день", 120),
])
def test_a_minimum_duration_in_minutes(text, minutes):
    assert parse_min_duration(text) == minutes


@pytest.mark.parametrize("text", [
    None, "", "Без минимального срока", "до 8 часов", "не более 4 часов", "Гибкий график",
    "1 час или 2 часа",  # two durations and no word for the minimum
])
def test_no_minimum_duration(text):
    assert parse_min_duration(text) is None


# --- cancellation terms -> our policy classes (models.CancellationPolicy, docs/booking.md) -----------

def test_the_classes_are_our_policies_and_unknown():
    assert set(get_args(Policy)) == {policy.value for policy in CancellationPolicy} | {"unknown"}


@pytest.mark.parametrize(("text", "policy"), [
    ("Отмена бесплатно за 24 часа", "flexible"),
    ("Бесплатная отмена не позднее чем за сутки до начала", "flexible"),
    ("Бесплатная отмена в любое время", "flexible"),
    ("Отменить бесплатно можно накануне", "flexible"),
    ("Полный возврат при отмене за 12 часов", "flexible"),
    ("Free cancellation up to 24 hours before", "flexible"),
    ("При отмене менее чем за 24 часа возврат 50 %", "flexible"),  # = our flexible: full refund before
    ("Бесплатная отмена за 48 часов до начала", "moderate"),
    ("Отмена без штрафа за 3 дня, позже удерживается 50%", "moderate"),
    ("Отмена не позднее чем за 48 часов", "moderate"),
    ("Возврат 100% при отмене за 72 часа", "moderate"),
    ("Возврат 50% при отмене", "moderate"),  # a partial refund, no deadline given
    ("Частичный возврат средств", "moderate"),
    ("Partial refund on cancellation", "moderate"),
    ("Free cancellation up to 7 days before", "strict"),  # full refund only a week ahead
    ("Бесплатная отмена за неделю", "strict"),
    ("Оплата не возвращается", "strict"),
    ("Без возврата", "strict"),
    ("Отмена невозможна", "strict"),
    ("Non-refundable", "strict"),
    ("No refunds", "strict"),
    ("Предоплата не возвращается при отмене менее чем за 72 часа", "moderate"),
    (None, "unknown"),
    ("", "unknown"),
    ("Условия отмены уточняйте у администратора", "unknown"),
    ("Тишина после 22:00", "unknown"),
])
def test_cancellation_terms_are_classed_as_our_policies(text, policy):
    assert classify_cancellation(text) == policy


# --- amenities -------------------------------------------------------------------------------------

VOCABULARY = {code: russian for code, russian, _english, _icon in AMENITIES}  # as the amenity table holds


@pytest.mark.parametrize(("names", "codes"), [
    (["Wi-Fi"], ["wifi"]),
    (["вайфай"], ["wifi"]),
    (["Бесплатный WiFi"], ["wifi"]),
    (["Высокоскоростной интернет"], ["wifi"]),
    (["Кофе/чай"], ["coffee"]),
    (["Кофе"], ["coffee"]),
    (["переговорка"], ["meeting_rooms"]),
    (["Переговорные комнаты"], ["meeting_rooms"]),
    (["Принтер"], ["printer"]),
    (["МФУ"], ["printer"]),
    (["Парковка"], ["parking"]),
    (["Велопарковка"], ["bike_parking"]),
    (["Парковка для велосипедов"], ["bike_parking"]),
    (["Доступ 24/7"], ["access_24_7"]),
    (["Круглосуточно"], ["access_24_7"]),
    (["Зона отдыха"], ["lounge"]),
    (["Юридический адрес"], ["legal_address"]),
    (["Юрадрес"], ["legal_address"]),
    (["Конференц-зал"], ["meeting_rooms"]),
    (["Шкафчики"], ["lockers"]),
    (["Душ"], ["shower"]),
    (["Можно с собакой", "Pet friendly"], ["pet_friendly"]),
    (["Терраса на крыше"], ["terrace"]),
    (["Кухня", "Кофе", "Wi‑Fi", "Кухня"], ["kitchen", "coffee", "wifi"]),  # in the order named, once
    (["Кухня и кофе"], ["coffee", "kitchen"]),  # one name, two amenities
    (["Без парковки", "Нет душа", "Парковка: нет"], []),
    (["Кальян", "Бассейн", "", "  "], []),
])
def test_amenities_are_mapped_to_our_codes(names, codes):
    assert map_amenities(names, VOCABULARY) == codes


def test_only_codes_of_the_vocabulary_given_are_returned():
    assert map_amenities(["Wi-Fi", "Кофе", "Проектор и экран"], {"coffee": "Кофе и чай", "projector": "Проектор"}) \
        == ["coffee", "projector"]
    assert map_amenities(["Wi-Fi"], {}) == []
