"""The invoice and the payout statement as PDF (services/finance/pdfs.py), read back with pypdf
as an accountant's software or a person would read them."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from coworking_app.services.finance.pdfs import (
    BankDetails,
    InvoiceDoc,
    InvoiceLine,
    Party,
    StatementDoc,
    StatementLine,
    amount,
    invoice_purpose,
    period_text,
    render_invoice,
    render_payout_statement,
)

NB = " "
SUPPLIER = Party("ООО «КоСпейс»", "7719876544", "773601001", "101000, г. Москва, ул. Мясницкая, д. 3")
BUYER = Party("ООО «Ромашка»", "7723456782", "773601001", "117997, г. Москва, ул. Вавилова, д. 19")
SOLE_TRADER = Party("ИП Сидорова Анна Викторовна", "500100732259", None, "г. Подольск, ул. Ленина, д. 1")
BANK = BankDetails("ПАО Сбербанк, г. Москва", "044525225", "40702810438000034726", "30101810400000000225")


def _pages(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF")
    # Thousands are grouped with a no-break space; text extraction gives some of them back as spaces.
    return [page.extract_text().replace("\xa0", " ") for page in PdfReader(io.BytesIO(data)).pages]


def _flat(text: str) -> str:
    """The text with every kind of space and line break removed: a name wrapped over two
    lines of a cell still reads whole."""
    return re.sub(r"\s+", "", text)


def _invoice(lines: tuple[InvoiceLine, ...], **changes) -> InvoiceDoc:
    values = dict(number="17", issued_on=date(2025, 12, 1), supplier=SUPPLIER, supplier_bank=BANK, buyer=BUYER,
                  lines=lines, period_from=date(2025, 11, 24), period_to=date(2025, 11, 30),
                  due_on=date(2025, 12, 15), director_name="Иванов И. И.", accountant_name="Петрова О. С.")
    values.update(changes)
    return InvoiceDoc(**values)


THREE_LINES = (
    InvoiceLine("Рабочее место, бронь № 501, 24.11.2025", 1, "усл.", 150_000, 150_000),
    InvoiceLine("Переговорная «Альфа», бронь № 502, 25.11.2025", Decimal("2.5"), "ч", 200_000, 500_000),
    InvoiceLine("Отдельный офис, бронь № 503, 26.11–28.11.2025", 3, "дн.", 583_456, 1_750_368),
)  # 24 003,68 ₽ in all


def test_invoice_carries_what_an_accountant_expects():
    pages = _pages(render_invoice(_invoice(THREE_LINES, vat_rate_bp=2000)))
    assert len(pages) == 1
    text = pages[0]
    flat = _flat(text)
    assert "Счёт на оплату № 17 от 01.12.2025" in text
    # The supplier's bank block and both parties.
    for shown in ("Банк получателя", "ПАО Сбербанк, г. Москва", "БИК", "044525225", "30101810400000000225",
                  "40702810438000034726", "ИНН 7719876544", "КПП 773601001", "Получатель",
                  "Поставщик (исполнитель):", "Покупатель (заказчик):", "ООО «Ромашка»", "ИНН 7723456782",
                  "ООО «КоСпейс»"):
        assert shown in text, shown
    assert _flat("ООО «Ромашка», ИНН 7723456782, КПП 773601001, 117997, г. Москва, ул. Вавилова, д. 19") in flat
    assert _flat("ООО «КоСпейс», ИНН 7719876544, КПП 773601001, 101000, г. Москва, ул. Мясницкая, д. 3") in flat
    # The table.
    for heading in ("№", "Наименование работ, услуг", "Кол-во", "Ед.", "Цена, руб.", "Сумма, руб."):
        assert heading in text
    assert _flat("Переговорная «Альфа», бронь № 502, 25.11.2025") in flat
    assert "2,5" in text and "дн." in text
    assert f"5{NB}834,56" in text and f"17{NB}503,68" in text
    # Totals: 24 003,68 with 20 % VAT included = 4 000,61 (24 003,68 / 1,2 = 20 003,07 before VAT).
    assert f"Итого: 24{NB}003,68" in text
    assert f"В том числе НДС 20 %: 4{NB}000,61" in text
    assert f"Всего к оплате: 24{NB}003,68" in text
    assert f"Всего наименований 3, на сумму 24{NB}003,68 руб." in text
    assert _flat("Двадцать четыре тысячи три рубля 68 копеек") in flat
    assert "Оплатить до: 15.12.2025" in text
    assert _flat("Назначение платежа: Оплата по счёту № 17 от 01.12.2025 за услуги коворкинга "
                 f"с 24.11.2025 по 30.11.2025. В т.ч. НДС 20 % — 4{NB}000,61 руб.") in flat
    assert "Период: услуги коворкинга с 24.11.2025 по 30.11.2025" in text
    assert "Руководитель" in text and "Иванов И. И." in text
    assert "Бухгалтер" in text and "Петрова О. С." in text


def test_invoice_without_vat_says_so():
    doc = _invoice(THREE_LINES[:1], buyer=SOLE_TRADER)
    text = _pages(render_invoice(doc))[0]
    assert "Без НДС (НДС не облагается)" in text and "В том числе НДС" not in text
    assert invoice_purpose(doc).endswith("НДС не облагается")
    assert f"Всего к оплате: 1{NB}500,00" in text
    assert "Одна тысяча пятьсот рублей 00 копеек" in text
    # An ИП: ИНН of 12 digits and no КПП in the buyer's line.
    line = next(part for part in text.splitlines() if "Сидорова" in part)
    assert "ИНН 500100732259" in line and "КПП" not in line


def test_given_vat_and_purpose_are_printed_as_given():
    doc = _invoice(THREE_LINES, vat_rate_bp=500, vat_minor=114_300, purpose="Оплата по договору № 7-К, счёт № 17")
    text = _pages(render_invoice(doc))[0]
    assert f"В том числе НДС 5 %: 1{NB}143,00" in text
    assert "Назначение платежа: Оплата по договору № 7-К, счёт № 17" in text


def test_a_whole_month_reads_as_its_name():
    assert period_text(date(2025, 11, 1), date(2025, 11, 30)) == "ноябрь 2025 г."
    assert period_text(date(2025, 12, 1), date(2025, 12, 31)) == "декабрь 2025 г."
    assert period_text(date(2024, 2, 1), date(2024, 2, 29)) == "февраль 2024 г."
    assert period_text(date(2024, 2, 1), date(2024, 2, 28)) == "с 01.02.2024 по 28.02.2024"
    assert period_text(date(2025, 11, 24), date(2025, 11, 30)) == "с 24.11.2025 по 30.11.2025"


def test_amount_format():
    assert amount(0) == "0,00"
    assert amount(5) == "0,05"
    assert amount(123_456_789) == "1\xa0234\xa0567,89"
    assert amount(-150) == "-1,50"


def test_three_hundred_lines_flow_over_pages_with_the_heading_repeated():
    lines = tuple(InvoiceLine(f"Рабочее место, бронь № {10_000 + n}", 1, "усл.", 100_00 + n, 100_00 + n)
                  for n in range(300))
    pages = _pages(render_invoice(_invoice(lines)))
    assert len(pages) >= 5
    for number, text in enumerate(pages, 1):
        assert f"стр. {number} из {len(pages)}" in text
    for text in pages[:-1]:  # the last page may hold only the totals
        assert "Наименование работ, услуг" in text and "Цена, руб." in text
    everything = "\n".join(pages)
    assert all(f"Рабочее место, бронь № {10_000 + n}" in everything for n in range(300))
    total = sum(line.amount_minor for line in lines)  # 30 000 + 0+1+...+299 kopecks = 30 448,50
    assert total == 3_044_850
    assert f"Всего к оплате: 30{NB}448,50" in pages[-1]
    assert "Тридцать тысяч четыреста сорок восемь рублей 50 копеек" in pages[-1]
    assert "Руководитель" in pages[-1]


def test_long_names_wrap_without_losing_text():
    name = ("Аренда отдельного офиса на восемь рабочих мест с переговорной зоной, кухней и парковкой "
            "в коворкинге «Большое пространство на Большой Садовой», бронь № 777, 01.11.2025–30.11.2025, "
            "включая уборку, интернет 1 Гбит/с и печать до 500 страниц")
    long_buyer = Party("Общество с ограниченной ответственностью «Научно-производственное объединение "
                       "перспективных информационных технологий и систем»", "7723456782", "773601001",
                       "127000, г. Москва, внутригородская территория муниципальный округ Тверской, "
                       "ул. Тверская, д. 7, стр. 2, этаж 3, помещение I, комната 14")
    doc = _invoice((InvoiceLine(name, 1, "усл.", 9_900_000, 9_900_000),), buyer=long_buyer)
    flat = _flat("\n".join(_pages(render_invoice(doc))))
    assert _flat(name) in flat
    assert _flat(long_buyer.name) in flat
    assert _flat(long_buyer.address) in flat


# --- the payout statement -----------------------------------------------------------------


def _statement(lines: tuple[StatementLine, ...], **changes) -> StatementDoc:
    values = dict(number="2025-11-0007", issued_on=date(2025, 12, 1), owner_name="ИП Петров Пётр Петрович",
                  owner_inn="500100732259", period_from=date(2025, 11, 1), period_to=date(2025, 11, 30),
                  lines=lines, gross_minor=2_500_000, commission_minor=375_000, refunds_minor=85_000,
                  penalties_minor=-50_000, net_minor=1_990_000, carried_in_minor=45_050, bank=BANK,
                  issuer="CoSpace")
    values.update(changes)
    return StatementDoc(**values)


MONTH = (
    StatementLine(date(2025, 11, 3), 4101, "Коворкинг «Точка», переговорная «Альфа»", "completed",
                  1_000_000, 150_000, 850_000),
    StatementLine(date(2025, 11, 10), 4102, "Коворкинг «Точка», рабочее место", "completed",
                  1_500_000, 225_000, 1_275_000),
    StatementLine(date(2025, 11, 12), 4101, "Коворкинг «Точка», переговорная «Альфа»", "refund",
                  -100_000, -15_000, -85_000, "возврат 10 % после завершения"),
    StatementLine(date(2025, 11, 20), None, "Коворкинг «Точка»", "deduction", 0, 0, -50_000,
                  "поздняя отмена брони гостем не компенсирована"),
)


def test_statement_shows_the_month_the_lines_and_the_totals():
    pages = _pages(render_payout_statement(_statement(MONTH)))
    text = "\n".join(pages)
    flat = _flat(text)
    assert "Отчёт о выплате № 2025-11-0007 от 01.12.2025" in text
    assert "Владелец: ИП Петров Пётр Петрович, ИНН 500100732259" in text
    assert "Период: ноябрь 2025 г. (01.11.2025 — 30.11.2025)" in text
    for heading in ("Дата", "Пространство", "Операция", "Сумма", "Комиссия", "Владельцу"):
        assert heading in text
    for shown in ("03.11.2025", "4101", "4102", "завершённая", "возврат", "удержание",
                  f"12{NB}750,00", "-850,00", "-150,00", "-500,00"):
        assert shown in text, shown
    assert _flat("возврат 10 % после завершения") in flat
    assert f"Завершённые брони: 25{NB}000,00" in text
    assert f"Комиссия платформы (удержана): 3{NB}750,00" in text
    assert "Возвраты после завершения (удержаны): 850,00" in text
    assert "Штрафы и удержания: -500,00" in text
    assert f"Итого за период: 19{NB}900,00" in text
    assert "Перенесено с прошлых месяцев: 450,50" in text
    assert f"К выплате, руб.: 20{NB}350,50" in text
    assert "Двадцать тысяч триста пятьдесят рублей 50 копеек" in text
    # Bank details masked: the account's last 4 digits only.
    assert "р/с •••• 4726" in text and "40702810438000034726" not in text
    assert "Статус: Ожидает выплаты" in text


@pytest.mark.parametrize(("changes", "status", "label"), [
    (dict(status="paid", paid_on=date(2025, 12, 5), payment_reference="п/п 1841"),
     "Статус: Выплачено 05.12.2025, платёжный документ п/п 1841", "К выплате"),
    (dict(status="failed"), "Статус: Выплата не прошла", "К выплате"),
    (dict(status="rolled_over", net_minor=40_000, carried_in_minor=0),
     "Статус: Перенесено на следующий месяц: сумма меньше минимальной для выплаты",
     "Переносится на следующий месяц"),
])
def test_statement_status(changes, status, label):
    text = "\n".join(_pages(render_payout_statement(_statement(MONTH, **changes))))
    assert status in text
    assert f"{label}, руб.:" in text


def test_statement_without_lines_or_bank_details():
    doc = _statement((), gross_minor=0, commission_minor=0, refunds_minor=0, penalties_minor=0, net_minor=0,
                     carried_in_minor=0, bank=None)
    text = _pages(render_payout_statement(doc))[0]
    assert "За период операций не было." in text
    assert "Реквизиты для выплаты: не указаны" in text
    assert "Ноль рублей 00 копеек" in text


def test_long_statement_repeats_its_heading_on_every_page():
    lines = tuple(StatementLine(date(2025, 11, n % 30 + 1), 50_000 + n, f"Пространство № {n}", "completed",
                                10_000, 1_500, 8_500) for n in range(300))
    pages = _pages(render_payout_statement(_statement(lines, gross_minor=3_000_000, commission_minor=450_000,
                                                      refunds_minor=0, penalties_minor=0, net_minor=2_550_000,
                                                      carried_in_minor=0)))
    assert len(pages) >= 5
    for text in pages[:-1]:
        assert "Пространство" in text and "Комиссия" in text and "Владельцу" in text
    everything = "\n".join(pages)
    assert all(str(50_000 + n) in everything for n in range(300))
    assert f"К выплате, руб.: 25{NB}500,00" in pages[-1]
