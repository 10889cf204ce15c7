"""How numbers, money, times and audit values read on the screens, in mail and exports
(coworking_app/formatting.py). Notices' links and whole-day stays: tests/services/test_shown_words.py."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from coworking_app.formatting import (
    format_audit_value,
    format_distance,
    format_hours,
    format_minutes,
    format_moment,
    format_money,
    format_percent,
    format_price,
    format_rating,
    format_stay,
    join_labels,
    own_path,
    plural,
    split_links,
    zone_name,
)

NB = "\xa0"  # the narrow no-break space between thousands
MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.mark.parametrize(("minor", "currency", "shown"), [
    (0, "RUB", "0 ₽"), (60_000, "RUB", "600 ₽"), (150_050, "RUB", f"1{NB}500,50 ₽"),
    (123_456_789, "RUB", f"1{NB}234{NB}567,89 ₽"), (5, "USD", "0,05 $"), (100, "EUR", "1 €"),
    (250_000, "KZT", f"2{NB}500 ₸"), (100, "GBP", "1 GBP"), (None, "RUB", "—"),
])
def test_money(minor, currency, shown):
    assert format_money(minor, currency) == shown


def test_prices_per_unit():
    assert format_price(45_000, "RUB", "hour") == "от 450 ₽/час"
    assert format_price(1_500_000, "RUB", "month") == f"от 15{NB}000 ₽/месяц"
    assert format_price(None, "RUB", "day") == format_price(100, "RUB", None) == "Цена по запросу"


@pytest.mark.parametrize(("n", "word"), [
    (0, "отзывов"), (1, "отзыв"), (2, "отзыва"), (4, "отзыва"), (5, "отзывов"), (11, "отзывов"),
    (12, "отзывов"), (14, "отзывов"), (21, "отзыв"), (22, "отзыва"), (101, "отзыв"), (111, "отзывов"),
    (1_000, "отзывов"),
])
def test_plural_agrees_with_the_number(n, word):
    assert plural(n, "отзыв", "отзыва", "отзывов") == f"{n:,}".replace(",", NB) + f" {word}"


def test_ratings_distances_durations_hours_and_percentages():
    assert format_rating(4.75, 21) == "4,8 · 21 отзыв"
    assert format_rating(0, 0) == "Нет отзывов"
    assert (format_distance(None), format_distance(950.4), format_distance(1250)) == ("", "950 м", "1,2 км")
    assert format_minutes(30) == "30 мин"
    assert format_minutes(120) == "2 часа"
    assert format_minutes(60 * 24 * 3) == "3 дня"
    assert format_minutes(90) == "90 мин"
    assert format_hours("09:00", "21:00") == "09:00–21:00"
    assert format_hours("00:00", "00:00") == "круглосуточно"
    assert format_hours(None, None) == "закрыто"
    assert format_percent(12.345) == "12,3 %"


def test_moments_are_local_never_utc_or_iso():
    moment = datetime(2025, 12, 15, 7, 49, 5, tzinfo=timezone.utc)
    assert format_moment(moment) == "15.12.2025 10:49"
    assert format_moment(moment, "Asia/Novosibirsk", named=True) == "15.12.2025 14:49 МСК+4"
    assert format_moment(moment, "Europe/Moscow", seconds=True, named=True) == "15.12.2025 10:49:05 МСК"
    assert format_moment(moment, "Europe/Kaliningrad", named=True) == "15.12.2025 09:49 МСК-1"
    assert format_moment(moment, "America/New_York", named=True) == "15.12.2025 02:49 UTC-5"
    assert format_moment(moment, "No/Such_Zone") == "15.12.2025 10:49"  # the default zone
    assert format_moment(None) == "—"


def test_a_moment_at_the_edge_of_the_calendar_never_breaks_a_list():
    last = datetime(9999, 12, 31, 23, 0, tzinfo=timezone.utc)
    assert format_moment(last, "Asia/Vladivostok") == "31.12.9999 23:00 UTC"


def test_zone_names_count_from_moscow():
    assert zone_name(datetime(2030, 1, 1, tzinfo=MOSCOW)) == "МСК"
    assert zone_name(datetime(2030, 1, 1, tzinfo=ZoneInfo("Asia/Kamchatka"))) == "МСК+9"
    assert zone_name(datetime(2030, 1, 1, tzinfo=ZoneInfo("Europe/Samara"))) == "МСК+1"
    assert zone_name(datetime(2030, 1, 1, tzinfo=timezone.utc)) == "UTC+0"  # beyond МСК-1..МСК+9
    assert zone_name(datetime(2030, 1, 1)) == ""


def test_stays_across_days_give_both_ends():
    start = datetime(2026, 12, 15, 18, 0, tzinfo=MOSCOW)
    assert format_stay(start, start + timedelta(hours=20)) == "15.12.2026 18:00 – 16.12.2026 14:00"


def test_labels_join_known_codes_and_keep_unknown_ones():
    labels = {"hot_desk": "Незакреплённое место", "meeting_room": "Переговорная"}
    assert join_labels("hot_desk, meeting_room", labels) == "Незакреплённое место, Переговорная"
    assert join_labels(["meeting_room", "sauna", ""], labels) == "Переговорная, sauna"
    assert join_labels(None, labels) == ""


@pytest.mark.parametrize(("entity", "name", "value", "shown"), [
    ("booking", "status", "cancelled", "отменено"),
    ("space", "status", "pending_review", "На проверке"),
    ("user", "roles", ["owner", "admin"], "Владелец, Администратор"),
    ("booking", "total_minor", 150_050, f"1{NB}500,50 ₽"),
    ("space", "price_hour_from", 45_000, "450 ₽"),
    ("promo_code", "value", 15, "15"),
    ("space", "vat_rate_bp", 2000, "20 %"),
    ("resource", "min_minutes", 90, "90 мин"),
    ("space", "instant_book", True, "да"),
    ("user", "is_active", False, "нет"),
    ("booking", "start_at", "2025-12-15T07:49:00+00:00", "15.12.2025 10:49"),
    ("booking", "price", {"total": 60_000, "currency": "RUB"}, "итого 600 ₽"),
    ("booking", "addons", [{"name": "Кофе", "code": "coffee"}, {"code": "parking"}], "Кофе, parking"),
    ("space", "opening_hours", {"mon": {"open": "09:00", "close": "21:00"}, "sun": None}, "Пн 09:00–21:00, Вс закрыто"),
    ("booking", "pending_change", {"start": "2025-12-15T07:00:00+00:00", "end": "2025-12-15T09:00:00+00:00",
                                   "seats": 2}, "15.12.2025, 10:00–12:00, мест: 2"),
    ("user", "notification_prefs", {"email": {"booking": False}}, "изменены"),
    ("space", "name", None, "—"),
    ("space", "description", "x" * 300, "x" * 199 + "…"),
])
def test_audit_values_read_as_on_the_screens(entity, name, value, shown):
    assert format_audit_value(entity, name, value) == shown


def test_links_to_our_own_pages_only():
    base = "https://cospace.example"
    assert own_path(f"{base}/spaces/7).", base) == "/spaces/7"
    assert own_path("/inbox/3", base) == "/inbox/3"
    assert own_path("//evil.example/x", base) is None
    assert own_path("https://evil.example/cabinet", base) is None
    assert own_path(f"{base}.evil.example/cabinet", base) is None
    parts = split_links(f"Открыть: {base}/owner/spaces/9, ответить: /inbox/4!", base)
    assert parts == [("Открыть: ", ""), ("Открыть пространство в кабинете", "/owner/spaces/9"),
                     (", ответить: ", ""), ("Открыть переписку", "/inbox/4"), ("!", "")]


def test_finance_words():
    from datetime import date

    from coworking_app.formatting import format_commission, format_day_long
    from state.inputs import parse_percent_bp

    assert format_day_long(date(2027, 1, 1)) == "1 января 2027"
    assert [format_commission(bp) for bp in (1500, 1250, 1225, 5, 0, 10_000)] == [
        "15 %", "12,5 %", "12,25 %", "0,05 %", "0 %", "100 %"]
    # What an admin types as a commission: read as digits, never through a float.
    assert [parse_percent_bp(v) for v in ("15", "12,5", " 12.25 % ", "0", "100")] == [1500, 1250, 1225, 0, 10_000]
    assert [parse_percent_bp(v) for v in ("100,01", "", "abc", "1.234", "-1", "1e2", "١٢")] == [None] * 7


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize("pattern", [None, "#,##0", "#,##0.00", "0.0", "0.0#", "0.##"])
def test_numbers_are_written_as_babel_writes_them(language, pattern):
    """i18n.format_number takes CLDR's signs and Babel's rounding (half to even, of the number
    as written): the same text as babel.numbers.format_decimal, several times faster."""
    from babel.numbers import format_decimal

    from coworking_app import i18n

    rng = random.Random(f"{language}{pattern}")
    values = [0, 1, -1, 999, 1000, -1234, 123_456_789, 2**31, 0.5, 1.25, 2.675, 0.05, -0.04, 99.995, 1500.5]
    values += [rng.uniform(-1e6, 1e6) for _ in range(300)] + [round(rng.uniform(0, 1000), 3) for _ in range(300)]
    with i18n.use(language):
        assert [i18n.format_number(v, pattern) for v in values] == \
            [format_decimal(v, format=pattern, locale=language) for v in values]
