"""The bot's screens within Telegram's limits: the month calendar, callback data, links."""

from __future__ import annotations

from datetime import date

import pytest

from coworking_app.bot.ui import keyboard, month_grid, parse_day, parse_int, parse_month, reachable, with_links


def test_the_calendar_offers_free_days_only_and_months_within_reach():
    today = date(2026, 12, 3)
    free = {date(2026, 12, 4), date(2026, 12, 31)}
    rows = month_grid(date(2026, 12, 1), free, today, day_prefix="day:", nav_prefix="cal:",
                      last_month=date(2027, 6, 1))
    data = [target for row in rows for _label, target in row]
    assert "day:20261204" in data and "day:20261231" in data
    assert "day:20261203" not in data and "day:20261205" not in data  # full, closed or past: a dot
    assert "cal:202701" in data and "cal:202611" not in data  # no going back before this month
    assert rows[0][0][0] == "Декабрь 2026" and [label for label, _ in rows[1]] == ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"]
    last = month_grid(date(2027, 6, 1), set(), today, day_prefix="day:", nav_prefix="cal:", last_month=date(2027, 6, 1))
    assert "cal:202707" not in [t for row in last for _l, t in row]
    assert all(len(t.encode()) <= 64 for row in rows for _l, t in row)


def test_callback_data_longer_than_telegram_takes_is_a_bug_not_a_message():
    with pytest.raises(ValueError):
        keyboard([[("x", "b:" + "9" * 70)]])


def test_crafted_callback_values_parse_to_nothing():
    assert parse_int("12") == 12
    assert parse_int("-1") is None and parse_int("1e3") is None and parse_int("9" * 30) is None and parse_int(None) is None
    assert parse_day("20261205") == date(2026, 12, 5) and parse_day("20261399") is None and parse_day("x") is None
    assert parse_month("202612") == date(2026, 12, 1) and parse_month("202613") is None


def test_links_telegram_cannot_open_are_written_out_instead_of_buttons():
    assert reachable("https://cospace.example/spaces/1")
    assert not reachable("http://localhost:3000/checkout/5") and not reachable("http://127.0.0.1:3000/x")
    assert not reachable("http://10.0.0.5/x")
    rows = [[("Оплатить", "http://localhost:3000/checkout/5")], [("Мои брони", "my")]]
    markup = keyboard(rows)
    assert [b.text for row in markup.inline_keyboard for b in row] == ["Мои брони"]
    assert with_links("Бронь № 5", rows) == "Бронь № 5\n\nОплатить: http://localhost:3000/checkout/5"
