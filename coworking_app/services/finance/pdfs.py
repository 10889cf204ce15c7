"""The finance documents as PDF (fpdf2, DejaVu for Cyrillic): the invoice a company pays by
bank transfer (счёт на оплату) and the owner's payout statement (отчёт о выплате).

Pure rendering: each function takes a frozen dataclass holding everything the document
shows, already worked out by the ledger (amounts in minor units, signed as they are to be
printed), and returns the PDF's bytes. Nothing here reads the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from fpdf.fonts import FontFace

from coworking_app.formatting import group_thousands
from coworking_app.services.common.pdf import FONT, DejaVuPdf
from coworking_app.services.finance.requisites import amount_in_words, mask_account
from coworking_app.i18n import Labels, N_, tr

MONTHS = (N_("январь"), N_("февраль"), N_("март"), N_("апрель"), N_("май"), N_("июнь"), N_("июль"), N_("август"), N_("сентябрь"),
          N_("октябрь"), N_("ноябрь"), N_("декабрь"))
STATEMENT_LINE_KINDS = Labels({"completed": N_("завершённая бронь"), "refund": N_("возврат"), "penalty": N_("штраф"),
                        "deduction": N_("удержание")})
PAYOUT_STATUSES = Labels({"pending": N_("ожидает выплаты"), "paid": N_("выплачено"), "failed": N_("выплата не прошла"),
                   "rolled_over": N_("перенесено на следующий месяц: сумма меньше минимальной для выплаты")})
_HEADINGS = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))


# --- what the documents hold -------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    """A side of a deal as documents name it: an organisation (КПП given) or an ИП (kpp None)."""

    name: str
    inn: str
    kpp: str | None
    address: str


@dataclass(frozen=True)
class BankDetails:
    bank_name: str
    bik: str
    account: str         # расчётный счёт, 20 digits
    corr_account: str    # корреспондентский счёт of the bank, 20 digits


@dataclass(frozen=True)
class InvoiceLine:
    name: str            # наименование: "Аренда рабочего места, бронь № 1234, 01.12.2025"
    quantity: int | Decimal
    unit: str            # "усл.", "ч", "дн."
    price_minor: int
    amount_minor: int    # сумма of the line (the caller's, not recomputed)


@dataclass(frozen=True)
class InvoiceDoc:
    number: str
    issued_on: date
    supplier: Party
    supplier_bank: BankDetails
    buyer: Party
    lines: tuple[InvoiceLine, ...]
    period_from: date
    period_to: date
    due_on: date
    currency: str = "RUB"
    vat_rate_bp: int = 0            # 2000 = 20 %, included in the prices; 0 = без НДС
    vat_minor: int | None = None    # None: worked out from the total and the rate
    purpose: str | None = None      # None: "Оплата по счёту № N от DD.MM.YYYY за ..."
    director_name: str = ""
    accountant_name: str = ""

    @property
    def total_minor(self) -> int:
        return sum(line.amount_minor for line in self.lines)

    @property
    def vat_amount_minor(self) -> int:
        """The VAT included in the total (rounded half up), or the one given."""
        if self.vat_minor is not None:
            return self.vat_minor
        if not self.vat_rate_bp:
            return 0
        base = 10_000 + self.vat_rate_bp
        return (2 * self.total_minor * self.vat_rate_bp + base) // (2 * base)


@dataclass(frozen=True)
class StatementLine:
    day: date
    booking_id: int | None
    space: str
    kind: str            # completed | refund | penalty | deduction (STATEMENT_LINE_KINDS)
    gross_minor: int
    commission_minor: int
    net_minor: int
    note: str = ""       # printed under the space's name: "неявка", "возврат 50 %"


@dataclass(frozen=True)
class StatementDoc:
    """All amounts are printed as given, with their sign: the refunds and commission
    normally as positive numbers under a label that says they are withheld."""

    number: str
    issued_on: date
    owner_name: str
    period_from: date
    period_to: date
    lines: tuple[StatementLine, ...]
    gross_minor: int          # завершённые брони
    commission_minor: int     # комиссия платформы (withheld)
    refunds_minor: int        # возвраты после завершения (withheld)
    penalties_minor: int      # штрафы и удержания (signed as they change the owner's sum)
    net_minor: int            # итого за период
    carried_in_minor: int = 0  # перенесено с прошлых месяцев
    currency: str = "RUB"
    status: str = "pending"   # PAYOUT_STATUSES
    bank: BankDetails | None = None
    owner_inn: str = ""
    issuer: str = ""          # the platform's name, printed as who issued the statement
    paid_on: date | None = None
    payment_reference: str = ""  # the bank's reference of the transfer
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def payable_minor(self) -> int:
        return self.net_minor + self.carried_in_minor


# --- formats -------------------------------------------------------------------------------


def amount(minor: int) -> str:
    """"12 345,67" (narrow no-break spaces between thousands, "-" before a negative)."""
    major, cents = divmod(abs(minor), 100)
    return f"{'-' if minor < 0 else ''}{group_thousands(major)},{cents:02d}"


def currency_unit(currency: str) -> str:
    return tr("руб.") if currency == "RUB" else currency


def _day(value: date) -> str:
    return value.strftime("%d.%m.%Y")


def _quantity(value: int | Decimal) -> str:
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text.replace(".", ",")
    return str(value)


def period_text(start: date, end: date) -> str:
    """"ноябрь 2025 г." for a whole month, "с 24.11.2025 по 30.11.2025" otherwise."""
    whole_month = (start.day == 1 and start.year == end.year and start.month == end.month
                   and (end.month == 12 and end.day == 31
                        or date.fromordinal(end.toordinal() + 1).day == 1))
    if whole_month:
        return tr("{value} {year} г.", value=MONTHS[start.month - 1], year=start.year)
    return tr("с {day} по {day2}", day=_day(start), day2=_day(end))


def _party(party: Party) -> str:
    parts = [party.name, tr("ИНН {inn}", inn=party.inn)]
    if party.kpp:
        parts.append(tr("КПП {kpp}", kpp=party.kpp))
    if party.address:
        parts.append(party.address)
    return ", ".join(parts)


class _Doc(DejaVuPdf):
    """A portrait document with "title — стр. X из Y" at the bottom of every page."""

    def __init__(self, footer_text: str) -> None:
        super().__init__(bottom_margin=18)
        self.set_margins(15, 12, 12)
        self.footer_text = footer_text
        self.set_title(footer_text)
        self.set_creator("CoSpace")
        self.add_page()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 7)
        self.cell(0, 5, tr("{footer_text} — стр. {page_no} из {{nb}}", footer_text=self.footer_text, page_no=self.page_no()), align="R")

    def para(self, value: str, *, size: float = 9, bold: bool = False, height: float = 5,
             align: str = "L") -> None:
        self.set_font(FONT, "B" if bold else "", size)
        self.multi_cell(0, height, value, align=align, new_x="LMARGIN", new_y="NEXT")

    def labelled(self, label: str, value: str, *, size: float = 9) -> None:
        """"Покупатель: ООО ..." with the label in bold, the value wrapping under itself."""
        self.set_font(FONT, "B", size)
        width = self.get_string_width(label) + 2
        self.cell(width, 5, label)
        self.set_font(FONT, "", size)
        self.multi_cell(0, 5, value, align="L", new_x="LMARGIN", new_y="NEXT")

    def total_row(self, label: str, value: str, *, bold: bool = False) -> None:
        self.set_font(FONT, "B" if bold else "", 9)
        self.cell(self.epw - 40, 5.5, label, align="R")
        self.cell(40, 5.5, value, align="R", new_x="LMARGIN", new_y="NEXT")

    def keep(self, height: float) -> None:
        """A new page unless `height` mm still fit on this one (keeps a block together)."""
        if self.will_page_break(height):
            self.add_page()


# --- the invoice ---------------------------------------------------------------------------


def invoice_title(doc: InvoiceDoc) -> str:
    return tr("Счёт на оплату № {number} от {day}", number=doc.number, day=_day(doc.issued_on))


def invoice_purpose(doc: InvoiceDoc) -> str:
    """The payment order's purpose the buyer copies: "Оплата по счёту № 17 от 01.12.2025 за
    услуги коворкинга с 24.11.2025 по 30.11.2025. НДС не облагается"."""
    if doc.purpose:
        return doc.purpose
    vat = (tr("В т.ч. НДС {value:g} % — {amount} {currency_unit}", value=doc.vat_rate_bp / 100, amount=amount(doc.vat_amount_minor), currency_unit=currency_unit(doc.currency))
           if doc.vat_rate_bp else tr("НДС не облагается"))
    return (tr("Оплата по счёту № {number} от {day} за услуги коворкинга {period_text}. {vat}", number=doc.number, day=_day(doc.issued_on), period_text=period_text(doc.period_from, doc.period_to), vat=vat))


def _bank_block(pdf: _Doc, doc: InvoiceDoc) -> None:
    """The recipient's bank details boxed the way every Russian счёт starts."""
    bank, supplier = doc.supplier_bank, doc.supplier
    pdf.set_font(FONT, "", 8.5)
    with pdf.table(col_widths=(52, 52, 18, 61), first_row_as_headings=False, line_height=4.5,
                   text_align="LEFT", v_align="TOP", padding=(1, 1.5)) as table:
        row = table.row()
        row.cell(tr("{bank_name}\nБанк получателя", bank_name=bank.bank_name), colspan=2, rowspan=2)
        row.cell(tr("БИК"))
        row.cell(bank.bik)
        row = table.row()
        row.cell(tr("Сч. №"))
        row.cell(bank.corr_account)
        row = table.row()
        row.cell(tr("ИНН {inn}", inn=supplier.inn))
        row.cell(tr("КПП {kpp}", kpp=supplier.kpp) if supplier.kpp else tr("КПП"))
        row.cell(tr("Сч. №"), rowspan=2)
        row.cell(bank.account, rowspan=2)
        row = table.row()
        row.cell(tr("{name}\nПолучатель", name=supplier.name), colspan=2)


def render_invoice(doc: InvoiceDoc) -> bytes:
    title = invoice_title(doc)
    pdf = _Doc(title)
    unit = currency_unit(doc.currency)
    _bank_block(pdf, doc)
    pdf.ln(5)
    pdf.para(title, size=14, bold=True, height=7)
    pdf.set_draw_color(0)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y() + 1, pdf.l_margin + pdf.epw, pdf.get_y() + 1)
    pdf.set_line_width(0.2)
    pdf.ln(4)
    pdf.labelled(tr("Поставщик (исполнитель):"), _party(doc.supplier))
    pdf.ln(1.5)
    pdf.labelled(tr("Покупатель (заказчик):"), _party(doc.buyer))
    pdf.ln(1.5)
    pdf.labelled(tr("Период:"), tr("услуги коворкинга {period_text}", period_text=period_text(doc.period_from, doc.period_to)))
    pdf.ln(3)

    pdf.set_font(FONT, "", 8.5)
    with pdf.table(col_widths=(8, 78, 17, 14, 33, 33), line_height=4.5, headings_style=_HEADINGS,
                   text_align=("CENTER", "LEFT", "RIGHT", "CENTER", "RIGHT", "RIGHT"), v_align="TOP",
                   padding=(1, 1.5), repeat_headings=1) as table:
        heading = table.row()
        for label in ("№", tr("Наименование работ, услуг"), tr("Кол-во"), tr("Ед."), tr("Цена, {unit}", unit=unit), tr("Сумма, {unit}", unit=unit)):
            heading.cell(label, align="CENTER")
        for n, line in enumerate(doc.lines, 1):
            row = table.row()
            row.cell(str(n))
            row.cell(line.name)
            row.cell(_quantity(line.quantity))
            row.cell(line.unit)
            row.cell(amount(line.price_minor))
            row.cell(amount(line.amount_minor))

    pdf.ln(2)
    pdf.keep(75)
    total = doc.total_minor
    pdf.total_row(tr("Итого:"), amount(total), bold=True)
    if doc.vat_rate_bp:
        pdf.total_row(tr("В том числе НДС {value:g} %:", value=doc.vat_rate_bp / 100), amount(doc.vat_amount_minor), bold=True)
    else:
        pdf.total_row(tr("Без НДС (НДС не облагается)"), "—", bold=True)
    pdf.total_row(tr("Всего к оплате:"), amount(total), bold=True)
    pdf.ln(3)
    pdf.para(tr("Всего наименований {len}, на сумму {amount} {unit}", len=len(doc.lines), amount=amount(total), unit=unit))
    pdf.para(amount_in_words(total, doc.currency), bold=True)
    pdf.ln(3)
    pdf.labelled(tr("Оплатить до:"), _day(doc.due_on))
    pdf.labelled(tr("Назначение платежа:"), invoice_purpose(doc))
    pdf.ln(1)
    pdf.para(tr("При оплате укажите номер счёта в назначении платежа: так оплата зачтётся автоматически."), size=8)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y() + 2, pdf.l_margin + pdf.epw, pdf.get_y() + 2)
    pdf.set_line_width(0.2)
    pdf.ln(10)
    for role, name in ((tr("Руководитель"), doc.director_name), (tr("Бухгалтер"), doc.accountant_name)):
        pdf.set_font(FONT, "B", 9)
        pdf.cell(32, 6, role)
        pdf.set_font(FONT, "", 9)
        pdf.cell(55, 6, "", border="B")
        pdf.cell(4, 6, "")
        pdf.cell(0, 6, f"/ {name} /" if name else "/ ______________________ /", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(6)
    return bytes(pdf.output())


# --- the payout statement -----------------------------------------------------------------


def statement_title(doc: StatementDoc) -> str:
    return tr("Отчёт о выплате № {number}", number=doc.number)


def _status_text(doc: StatementDoc) -> str:
    text = PAYOUT_STATUSES.get(doc.status, doc.status)
    if doc.status == "paid":
        if doc.paid_on:
            text += f" {_day(doc.paid_on)}"
        if doc.payment_reference:
            text += tr(", платёжный документ {payment_reference}", payment_reference=doc.payment_reference)
    return text[0].upper() + text[1:]


def render_payout_statement(doc: StatementDoc) -> bytes:
    title = statement_title(doc)
    pdf = _Doc(tr("{title} от {day}", title=title, day=_day(doc.issued_on)))
    unit = currency_unit(doc.currency)
    pdf.para(tr("{title} от {day}", title=title, day=_day(doc.issued_on)), size=14, bold=True, height=7)
    pdf.ln(2)
    if doc.issuer:
        pdf.labelled(tr("Платформа:"), doc.issuer)
    pdf.labelled(tr("Владелец:"), doc.owner_name + (tr(", ИНН {owner_inn}", owner_inn=doc.owner_inn) if doc.owner_inn else ""))
    pdf.labelled(tr("Период:"), f"{period_text(doc.period_from, doc.period_to)} "
                            f"({_day(doc.period_from)} — {_day(doc.period_to)})")
    pdf.labelled(tr("Валюта:"), unit)
    pdf.ln(3)

    if doc.lines:
        pdf.set_font(FONT, "", 8)
        with pdf.table(col_widths=(19, 17, 50, 27, 24, 22, 24), line_height=4.2, headings_style=_HEADINGS,
                       text_align=("LEFT", "RIGHT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"), v_align="TOP",
                       padding=(1, 1.2), repeat_headings=1) as table:
            heading = table.row()
            for label in (tr("Дата"), tr("Бронь №"), tr("Пространство"), tr("Операция"), tr("Сумма"), tr("Комиссия"), tr("Владельцу")):
                heading.cell(label, align="CENTER")
            for line in doc.lines:
                row = table.row()
                row.cell(_day(line.day))
                row.cell(str(line.booking_id) if line.booking_id is not None else "—")
                row.cell(line.space + (f"\n{line.note}" if line.note else ""))
                row.cell(STATEMENT_LINE_KINDS.get(line.kind, line.kind))
                row.cell(amount(line.gross_minor))
                row.cell(amount(line.commission_minor))
                row.cell(amount(line.net_minor))
    else:
        pdf.para(tr("За период операций не было."))

    pdf.ln(3)
    pdf.keep(70)
    pdf.total_row(tr("Завершённые брони:"), amount(doc.gross_minor))
    pdf.total_row(tr("Комиссия платформы (удержана):"), amount(doc.commission_minor))
    pdf.total_row(tr("Возвраты после завершения (удержаны):"), amount(doc.refunds_minor))
    pdf.total_row(tr("Штрафы и удержания:"), amount(doc.penalties_minor))
    pdf.total_row(tr("Итого за период:"), amount(doc.net_minor), bold=True)
    pdf.total_row(tr("Перенесено с прошлых месяцев:"), amount(doc.carried_in_minor))
    payable = tr("Переносится на следующий месяц") if doc.status == "rolled_over" else tr("К выплате")
    pdf.total_row(f"{payable}, {unit}:", amount(doc.payable_minor), bold=True)
    pdf.ln(2)
    pdf.para(amount_in_words(doc.payable_minor, doc.currency), bold=True)
    pdf.ln(3)
    if doc.bank is None:
        pdf.labelled(tr("Реквизиты для выплаты:"), tr("не указаны — добавьте их в разделе «Финансы»"))
    else:
        pdf.labelled(tr("Реквизиты для выплаты:"), tr("{bank_name}, БИК {bik}, р/с {mask_account}", bank_name=doc.bank.bank_name, bik=doc.bank.bik, mask_account=mask_account(doc.bank.account)))
    pdf.labelled(tr("Статус:"), _status_text(doc))
    for note in doc.notes:
        pdf.para(note, size=8)
    return bytes(pdf.output())
