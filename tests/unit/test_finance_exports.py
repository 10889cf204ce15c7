"""The Excel history of financial operations (services/finance/exports.py), re-read with openpyxl."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

from openpyxl import load_workbook

from coworking_app.services.finance.exports import OperationRow, write_operations_xlsx

UTC = timezone.utc
ROWS = [
    OperationRow(datetime(2025, 11, 30, 21, 30, tzinfo=UTC), "Оплата брони", "Переговорная «Альфа», 01.12.2025",
                 4101, 250_050, "RUB", 250_050),
    OperationRow(datetime(2025, 12, 2, 9, 0, tzinfo=UTC), "Возврат", "Отмена за 2 дня до начала: 50 %",
                 4101, -125_025, "RUB", 125_025),
    OperationRow(datetime(2025, 12, 3, 12, 15, tzinfo=UTC), "Штраф", "Неявка, бронь № 4102", 4102, -30_000, "RUB"),
    OperationRow(datetime(2025, 12, 4, 7, 0, tzinfo=UTC), "Выплата", "Выплата за ноябрь", None, -1_000_000_00,
                 "RUB", 0),
    OperationRow(datetime(2025, 12, 5, 10, 0, tzinfo=UTC), "Оплата брони", "Hot desk, Almaty", 4103, 1_500_000,
                 "KZT"),
]


def _sheet(content: bytes):
    assert content[:2] == b"PK"
    return load_workbook(io.BytesIO(content))["Операции"]


def test_operations_are_typed_cells_under_a_frozen_header():
    sheet = _sheet(write_operations_xlsx(ROWS, "История операций ООО «Ромашка»"))
    assert sheet["A1"].value == "История операций ООО «Ромашка»"
    assert sheet["A2"].value == "Операций: 5. Время — по часовому поясу Europe/Moscow."
    assert [c.value for c in sheet[4]] == ["Дата и время", "Операция", "Описание", "Бронь №", "Сумма", "Валюта",
                                           "Остаток после операции"]
    assert sheet.freeze_panes == "A5"
    assert sheet.auto_filter.ref == "A4:G9"
    first = [c.value for c in sheet[5]]
    # 21:30 UTC on 30.11 is 00:30 on 01.12 in Moscow.
    assert first == [datetime(2025, 12, 1, 0, 30), "Оплата брони", "Переговорная «Альфа», 01.12.2025", 4101,
                     2500.5, "RUB", 2500.5]
    assert sheet["A5"].number_format == "dd.mm.yyyy hh:mm"
    assert "₽" in sheet["E5"].number_format and "#,##0.00" in sheet["E5"].number_format
    assert sheet["E6"].value == -1250.25 and sheet["G6"].value == 1250.25
    assert sheet["G7"].value is None  # no balance given
    assert sheet["D8"].value is None and sheet["E8"].value == -1_000_000 and sheet["G8"].value == 0
    assert sheet["E9"].value == 15_000 and "₸" in sheet["E9"].number_format and sheet["F9"].value == "KZT"


def test_totals_per_currency():
    sheet = _sheet(write_operations_xlsx(ROWS, "История"))
    totals = [[c.value for c in row] for row in sheet.iter_rows(min_row=10)]
    rub = (250_050 - 125_025 - 30_000 - 1_000_000_00) / 100
    assert totals == [["Итого", None, None, None, rub, "RUB", None], ["Итого", None, None, None, 15_000, "KZT", None]]
    assert sheet["A10"].font.b and "₽" in sheet["E10"].number_format


def test_the_zone_and_subtitle_are_the_callers():
    row = OperationRow(datetime(2025, 12, 31, 20, 0, tzinfo=UTC), "Оплата счёта", "Счёт № 17", None, 100, "RUB")
    sheet = _sheet(write_operations_xlsx([row], "История", zone="Asia/Novosibirsk", subtitle="Компания: Ромашка"))
    assert sheet["A2"].value == "Компания: Ромашка"
    assert sheet["A5"].value == datetime(2026, 1, 1, 3, 0)
    assert sheet["E5"].value == 1


def test_no_operations_still_a_valid_file():
    sheet = _sheet(write_operations_xlsx([], "История"))
    assert sheet["A2"].value.startswith("Операций: 0.")
    assert sheet["A4"].value == "Дата и время" and sheet["A5"].value is None


def test_many_rows():
    start = datetime(2025, 1, 1, tzinfo=UTC)
    rows = [OperationRow(start + timedelta(hours=n), "Оплата брони", f"Бронь {n}", n + 1, n, "RUB", None)
            for n in range(5000)]
    sheet = _sheet(write_operations_xlsx(rows, "История"))
    assert sheet.max_row == 4 + 5000 + 1
    assert sheet.cell(5004, 4).value == 5000
    assert sheet.cell(5005, 5).value == sum(range(5000)) / 100
