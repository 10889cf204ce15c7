"""/owner/finance: the owner's balance (pending, available, on its way), the lines that make it
up, the monthly statements and the bank details payouts go to (services/finance/payouts.py)."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from coworking_app.formatting import day_pattern, format_commission, format_day_long, format_moment, format_money
from coworking_app.services.finance import payouts
from coworking_app.settings import get_settings
from state.inputs import parse_id
from state.page import PageState
from coworking_app.i18n import Labels, N_, tr

# The bank details form: (field, label, placeholder, hint), in the order people fill them.
BANK_FIELDS = [
    ("payee_name", N_("Получатель"), N_("ИП Петров Пётр Петрович"), N_("ФИО или название организации, как в банке")),
    ("payee_inn", N_("ИНН получателя"), N_("10 или 12 цифр"), ""),
    ("bank_name", N_("Банк"), N_("АО «Банк»"), ""),
    ("bank_bik", N_("БИК"), N_("9 цифр, начинается с 04"), ""),
    ("bank_account", N_("Расчётный счёт"), N_("20 цифр"), ""),
    ("bank_corr_account", N_("Корреспондентский счёт"), N_("20 цифр, 301…"), ""),
]
BANK_FIELD_NAMES = tuple(name for name, *_ in BANK_FIELDS)
ACCOUNT_LABELS = Labels({"pending": N_("ожидает завершения"), "payable": N_("доступно к выплате")})


@dataclass
class LineRow:
    id: int = 0
    day: str = ""
    label: str = ""
    booking: str = ""  # "№ 123" or ""
    space: str = ""
    account: str = ""  # pending | payable
    account_label: str = ""
    gross: str = ""
    commission: str = ""
    net: str = ""  # "+1 050 ₽" / "−150 ₽"
    plus: bool = True


@dataclass
class StatementRow:
    id: int = 0
    number: int = 0
    period: str = ""  # "ноябрь 2026"
    status: str = ""
    status_label: str = ""
    amount: str = ""
    note: str = ""  # the bank's reference, or why it did not go


def _signed(minor: int, currency: str) -> str:
    return ("+" if minor > 0 else "") + format_money(minor, currency)


def _line(line: payouts.FinanceLineOut, currency: str, zone: str) -> LineRow:
    return LineRow(
        id=line.entry_id, day=format_moment(line.at, zone, day_pattern()), label=line.label,
        booking=f"№ {line.booking_id}" if line.booking_id else "", space=line.space or "—",
        account=line.account, account_label=ACCOUNT_LABELS.get(line.account, line.account),
        # A payout moves no booking's money: no price, no commission.
        gross=format_money(line.gross_minor, currency) if line.gross_minor and line.booking_id else "—",
        commission=format_money(line.commission_minor, currency) if line.commission_minor and line.booking_id else "—",
        net=_signed(line.net_minor, currency), plus=line.net_minor >= 0)


def _statement(p: payouts.PayoutOut) -> StatementRow:
    if p.status == "paid" and p.bank_reference:
        note = tr("Платёж: {bank_reference}", bank_reference=p.bank_reference)
    else:
        note = p.failure_reason or ""
    if note:
        note = note[0].upper() + note[1:]
    return StatementRow(id=p.id, number=p.number, period=payouts.period_label(p.period_start).capitalize(),
                        status=p.status, status_label=p.status_label, amount=format_money(p.amount_minor, p.currency),
                        note=note)


def _empty_bank() -> dict[str, str]:
    return {name: "" for name in BANK_FIELD_NAMES}


class OwnerFinanceState(PageState):
    loading: bool = True
    allowed: bool = True
    load_error: str = ""
    currency: str = "RUB"
    currencies: list[str] = []
    pending: str = ""
    available: str = ""
    in_transit: str = ""
    has_in_transit: bool = False
    next_payout: str = ""
    commission: str = ""
    minimum: str = ""
    lines: list[LineRow] = []
    statements: list[StatementRow] = []
    # stored bank details, masked
    bank_on_file: bool = False
    bank_shown: list[tuple[str, str]] = []
    # the form
    editing_bank: bool = False
    bank: dict[str, str] = _empty_bank()
    bank_error: str = ""
    bank_error_field: str = ""
    saving: bool = False
    downloading: str = ""  # "xlsx" | "statement-<id>" while a file is being made

    @rx.event
    async def load(self):
        self.loading = True
        yield
        await self._reload()
        self.loading = False

    async def _reload(self) -> None:
        currency = self.currency if self.currency in self.currencies else None

        def view(session, _effects, user):
            finance = payouts.owner_finance(session, user, currency=currency)
            statements = [payouts.payout_out(p) for p in payouts.list_owner_payouts(session, user)]
            return finance, statements, payouts.owner_currencies(session, user.id)

        done = await self._act(view)
        self.allowed = not done.denied
        self.load_error = "" if done.ok or done.denied else done.message
        if not done.ok:
            return
        finance, statements, currencies = done.value
        zone, cur = get_settings().report_timezone, finance.currency
        self.currency, self.currencies = cur, currencies
        self.pending = format_money(finance.pending_minor, cur)
        self.available = format_money(finance.available_minor, cur)
        self.in_transit = format_money(finance.in_transit_minor, cur)
        self.has_in_transit = finance.in_transit_minor > 0
        self.next_payout = format_day_long(finance.next_payout_date)
        self.commission = format_commission(finance.commission_bp)
        self.minimum = format_money(get_settings().payout_minimum_minor, cur)
        self.lines = [_line(line, cur, zone) for line in finance.lines]
        self.statements = [_statement(p) for p in statements if p.currency == cur]
        bank = finance.bank
        self.bank_on_file = bank.on_file
        self.bank_shown = [(tr("Получатель"), bank.payee_name), (tr("ИНН"), bank.payee_inn), (tr("Банк"), bank.bank_name),
                           (tr("БИК"), bank.bank_bik), (tr("Расчётный счёт"), bank.account_masked)] if bank.on_file else []
        if not bank.on_file and not self.editing_bank:
            self.editing_bank = True  # nothing on file: the form is what there is to see

    @rx.event
    async def set_currency(self, value: str | list[str]):
        if isinstance(value, str) and value in self.currencies and value != self.currency:
            self.currency = value
            self.loading = True
            yield
            await self._reload()
            self.loading = False

    # --- bank details --------------------------------------------------------------------------

    @rx.event
    def edit_bank(self):
        self.editing_bank, self.bank = True, _empty_bank()
        self.bank_error, self.bank_error_field = "", ""

    @rx.event
    def cancel_bank(self):
        self.editing_bank = not self.bank_on_file
        self.bank, self.bank_error, self.bank_error_field = _empty_bank(), "", ""

    @rx.event
    def set_bank(self, name: str, value: str):
        if name in BANK_FIELD_NAMES:
            self.bank = {**self.bank, name: str(value)[:200]}
            if name == self.bank_error_field:
                self.bank_error, self.bank_error_field = "", ""  # being fixed: the complaint goes

    @rx.event
    async def save_bank(self, _form: dict | None = None):
        self.bank_error, self.bank_error_field, self.saving = "", "", True
        yield
        data = dict(self.bank)
        try:
            done = await self._act(lambda s, _fx, u: payouts.do_set_bank_details(
                s, u, payouts.BankDetailsIn(**data)))
            if not done.ok:
                # Under its field when it names one of the form's; above the button otherwise.
                self.bank_error_field = done.field if done.field in BANK_FIELD_NAMES else ""
                self.bank_error = done.message
                return
            self.editing_bank, self.bank = False, _empty_bank()
            await self._reload()
            yield rx.toast.success(tr("Реквизиты сохранены: выплаты пойдут на этот счёт"))
        finally:
            self.saving = False

    # --- files ---------------------------------------------------------------------------------

    @rx.event
    async def download_operations(self):
        currency = self.currency
        self.downloading = "xlsx"
        yield
        try:
            done = await self._act(lambda s, _fx, u: payouts.owner_operations_xlsx(s, u, currency=currency))
            yield (rx.download(data=done.value, filename=f"operations-{currency.lower()}.xlsx")
                   if done.ok else done.toast())
        finally:
            self.downloading = ""

    @rx.event
    async def download_statement(self, payout_id: int):
        payout_id = parse_id(payout_id)
        if payout_id is None:
            return
        self.downloading = f"statement-{payout_id}"
        yield
        try:
            def work(session, _effects, user):
                payout = payouts.access_payout_pdf(session, user, payout_id)
                return payout.pdf, f"payout-{payout.number:06d}.pdf"
            done = await self._act(work)
            yield rx.download(data=done.value[0], filename=done.value[1]) if done.ok else done.toast()
        finally:
            self.downloading = ""
