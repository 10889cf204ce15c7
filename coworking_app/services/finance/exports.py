"""The history of financial operations as an Excel file, for renters, companies and owners.

The conventions of the operator exports (services/admin/exports.py): the title and a line
about the contents on rows 1-2, the header on row 4 (frozen, with an autofilter), typed
cells: moments as Excel dates in the reader's time zone, booking ids as integers, money as
numbers in major units with the currency's format; a bold total per currency at the end.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import xlsxwriter
from pydantic import BaseModel, ConfigDict

from coworking_app.services.common.errors import InvalidInput
from coworking_app.services.common.fields import Day

from coworking_app.formatting import CURRENCY_SIGNS, DEFAULT_ZONE, local_moment
from coworking_app.i18n import N_, tr

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_ROW = 3  # 0-based: the 4th row, as in the operator exports
COLUMNS = ((N_("Дата и время"), 17), (N_("Операция"), 22), (N_("Описание"), 48), (N_("Бронь №"), 10), (N_("Сумма"), 15),
           (N_("Валюта"), 8), (N_("Остаток после операции"), 16))


@dataclass(frozen=True)
class OperationRow:
    at: datetime                 # when it happened (aware; shown in the file's time zone)
    kind: str                    # the operation as people name it: "Оплата брони", "Возврат", "Штраф"
    description: str
    booking_id: int | None
    amount_minor: int            # signed: + money in, - money out, for whoever the history is
    currency: str
    balance_after_minor: int | None = None


def _money_format(book: xlsxwriter.Workbook, formats: dict, currency: str, bold: bool = False):
    key = (currency, bold)
    if key not in formats:
        sign = CURRENCY_SIGNS.get(currency, currency).replace('"', "")
        spec = {"num_format": f'#,##0.00 "{sign}";-#,##0.00 "{sign}"'}
        if bold:
            spec["bold"] = True
        formats[key] = book.add_format(spec)
    return formats[key]


def write_operations_xlsx(rows: Sequence[OperationRow], title: str, *, zone: str = DEFAULT_ZONE,
                          subtitle: str | None = None) -> bytes:
    """One sheet "Операции": the rows in the order given, then "Итого" per currency (the sum
    of the amounts). `subtitle` (row 2) defaults to the number of operations and the zone."""
    tz = ZoneInfo(zone)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": True})
    header = book.add_format({"bold": True, "bg_color": "#E6F4F1", "bottom": 1, "text_wrap": True})
    moment = book.add_format({"num_format": "dd.mm.yyyy hh:mm"})
    wrapped = book.add_format({"text_wrap": True, "valign": "top"})
    bold = book.add_format({"bold": True})
    money: dict = {}
    sheet = book.add_worksheet(tr("Операции"))
    sheet.write_string(0, 0, title, book.add_format({"bold": True, "font_size": 14}))
    sheet.write_string(1, 0, subtitle if subtitle is not None else
                       tr("Операций: {len}. Время — по часовому поясу {zone}.", len=len(rows), zone=zone))
    for c, (label, width) in enumerate(COLUMNS):
        sheet.write_string(HEADER_ROW, c, label, header)
        sheet.set_column(c, c, width)
    sheet.freeze_panes(HEADER_ROW + 1, 0)
    totals: dict[str, int] = {}
    r = HEADER_ROW + 1
    for row in rows:
        at = local_moment(row.at, tz) if row.at.tzinfo is not None else row.at
        sheet.write_datetime(r, 0, at.replace(tzinfo=None), moment)
        sheet.write_string(r, 1, row.kind)
        sheet.write_string(r, 2, row.description, wrapped)
        if row.booking_id is not None:
            sheet.write_number(r, 3, row.booking_id)
        sheet.write_number(r, 4, row.amount_minor / 100, _money_format(book, money, row.currency))
        sheet.write_string(r, 5, row.currency)
        if row.balance_after_minor is not None:
            sheet.write_number(r, 6, row.balance_after_minor / 100, _money_format(book, money, row.currency))
        totals[row.currency] = totals.get(row.currency, 0) + row.amount_minor
        r += 1
    if r > HEADER_ROW + 1:
        sheet.autofilter(HEADER_ROW, 0, r - 1, len(COLUMNS) - 1)
    for currency, total in totals.items():
        sheet.write_string(r, 0, tr("Итого"), bold)
        sheet.write_number(r, 4, total / 100, _money_format(book, money, currency, bold=True))
        sheet.write_string(r, 5, currency, bold)
        r += 1
    book.close()
    return buffer.getvalue()


class PeriodFilter(BaseModel):
    """The period of a money history (owners, companies, renters): local days, both included."""

    model_config = ConfigDict(extra="ignore")

    date_from: Day | None = None
    date_to: Day | None = None

    def bounds(self, zone: str) -> tuple[datetime, datetime]:
        """[start, end) as aware moments in `zone`; InvalidInput when the period is backwards."""
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidInput("date_from", tr("Начало периода позже его конца"))
        tz = ZoneInfo(zone)
        start = datetime.combine(self.date_from or date(2000, 1, 1), time.min, tzinfo=tz)
        end = datetime.combine((self.date_to or date(2099, 12, 30)) + timedelta(days=1), time.min, tzinfo=tz)
        return start, end
