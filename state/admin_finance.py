"""/admin/finance: the ledger check, the owners' payouts (the monthly run, paid / not paid), penalties
and their waivers, an owner's commission (services/finance: ledger, payouts, adjustments).
Operators see all of it; only admins act (the services refuse anyone else, the page hides
the buttons)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import reflex as rx

from coworking_app.formatting import day_pattern, format_commission, format_moment, format_money
from coworking_app.services.accounts.identity import find_user, find_user_by_email
from coworking_app.services.accounts.permissions import check_role
from coworking_app.services.common.errors import InvalidInput, NotFound
from coworking_app.services.finance import adjustments, ledger, payouts
from coworking_app.settings import get_settings
from models import PenaltyStatus, PayoutStatus, Role
from state.inputs import parse_id, parse_percent_bp
from state.page import PageState
from coworking_app.i18n import Labels, N_, tr

DIFFERENCE_LABELS = Labels({"account_balance": N_("Остаток счёта не равен сумме проводок"),
                     "entry_unbalanced": N_("Проводка не сходится"), "currency_unbalanced": N_("Валюта не сходится")})
PAYOUT_FILTERS = [("all", N_("Все статусы")), ("pending", N_("Отправлены в банк")), ("paid", N_("Выплачены")),
                  ("failed", N_("Не прошли")), ("rolled_over", N_("Перенесены"))]
PENALTY_FILTERS = [("all", N_("Все")), ("charged", N_("Удержаны")), ("waived", N_("Отменены"))]
MONTHS_BACK = 12  # months offered by the pickers


@dataclass
class DiffRow:
    kind: str = ""
    reference: str = ""
    kept: str = ""
    counted: str = ""


@dataclass
class PayoutRow:
    id: int = 0
    number: int = 0
    owner: str = ""
    owner_email: str = ""
    period: str = ""
    status: str = ""
    status_label: str = ""
    amount: str = ""
    breakdown: str = ""
    bank: str = ""
    note: str = ""
    pending: bool = False


@dataclass
class PenaltyRow:
    id: int = 0
    booking: str = ""
    space: str = ""
    kind: str = ""
    amount: str = ""
    status: str = ""
    status_label: str = ""
    day: str = ""
    reason: str = ""
    charged: bool = False


def ended_months(today: date | None = None) -> list[tuple[str, str]]:
    """The last MONTHS_BACK months that have ended, newest first: ("2026-11-01", "Ноябрь 2026")."""
    month = payouts.previous_month() if today is None else payouts.month_start(
        payouts.month_start(today) - timedelta(days=1))
    out = []
    for _ in range(MONTHS_BACK):
        out.append((month.isoformat(), payouts.period_label(month).capitalize()))
        month = payouts.month_start(month - timedelta(days=1))
    return out


def _payout_row(p: payouts.PayoutOut) -> PayoutRow:
    money = lambda v: format_money(v, p.currency)  # noqa: E731
    parts = [tr("брони {money}", money=money(p.gross_minor)), tr("комиссия {money}", money=money(p.commission_minor))]
    if p.refunds_minor:
        parts.append(tr("возвраты {money}", money=money(p.refunds_minor)))
    if p.penalties_minor:
        parts.append(tr("штрафы {money}", money=money(p.penalties_minor)))
    if p.carried_minor:
        parts.append(tr("с прошлых месяцев {money}", money=money(p.carried_minor)))
    note = tr("Платёж: {bank_reference}", bank_reference=p.bank_reference) if p.status == "paid" and p.bank_reference else (p.failure_reason or "")
    return PayoutRow(id=p.id, number=p.number, owner=p.owner_name or tr("Владелец № {owner_id}", owner_id=p.owner_id),
                     owner_email=p.owner_email, period=payouts.period_label(p.period_start).capitalize(),
                     status=p.status, status_label=p.status_label, amount=money(p.amount_minor),
                     breakdown=" · ".join(parts), bank=p.bank_masked or "—", note=note,
                     pending=p.status == PayoutStatus.pending.value)


def _penalty_row(p, zone: str) -> PenaltyRow:
    return PenaltyRow(id=p.id, booking=f"№ {p.booking_id}", space=p.space, kind=p.kind_label,
                      amount=format_money(p.amount_minor, p.currency), status=p.status, status_label=p.status_label,
                      day=format_moment(p.created_at, zone, day_pattern()), reason=p.waive_reason or "",
                      charged=p.status == PenaltyStatus.charged.value)


class AdminFinanceState(PageState):
    loading: bool = True
    allowed: bool = True
    load_error: str = ""
    is_admin: bool = False
    # the ledger check
    checking: bool = False
    checked: bool = False
    balanced: bool = True
    check_summary: str = ""
    differences: list[DiffRow] = []
    # payouts
    months: list[tuple[str, str]] = []
    status_filter: str = "all"
    month_filter: str = "all"
    payout_rows: list[PayoutRow] = []
    run_month: str = ""
    running: bool = False
    # "Выплачено" / "Не прошла": one dialog
    dialog: str = ""  # "" | paid | failed
    dialog_id: int = 0
    dialog_title: str = ""
    dialog_text: str = ""
    dialog_error: str = ""
    dialog_busy: bool = False
    # penalties
    penalty_filter: str = "all"
    penalty_rows: list[PenaltyRow] = []
    waive_id: int = 0
    waive_title: str = ""
    waive_reason: str = ""
    waive_error: str = ""
    waive_busy: bool = False
    # an owner's commission
    default_commission: str = ""
    com_owner: str = ""
    com_percent: str = ""
    com_error: str = ""
    com_error_field: str = ""  # owner | percent | ""
    com_saving: bool = False
    com_result: str = ""

    @rx.event
    async def load(self):
        self.loading = True
        self.months = ended_months()
        if not self.run_month:
            self.run_month = self.months[0][0]
        self.default_commission = format_commission(get_settings().platform_commission_bp)
        yield
        await self._reload()
        self.loading = False
        if self.allowed:
            yield AdminFinanceState.check_ledger

    async def _reload(self) -> None:
        flt = payouts.PayoutFilter(status=None if self.status_filter == "all" else self.status_filter,
                                   period_start=None if self.month_filter == "all" else self.month_filter)
        penalty_status = None if self.penalty_filter == "all" else PenaltyStatus(self.penalty_filter)

        def view(session, _effects, user):
            rows = [payouts.payout_out(p, name, email) for p, name, email in payouts.list_payouts(session, user, flt)]
            return rows, adjustments.list_penalties(session, user, status=penalty_status), user.has_role(Role.admin)

        done = await self._act(view)
        self.allowed = done.ok or not done.denied
        self.load_error = "" if done.ok or done.denied else done.message
        if not done.ok:
            return
        rows, penalties, is_admin = done.value
        zone = get_settings().report_timezone
        self.is_admin = is_admin
        self.payout_rows = [_payout_row(p) for p in rows]
        self.penalty_rows = [_penalty_row(p, zone) for p in penalties]

    # --- the ledger check ------------------------------------------------------------------------

    @rx.event
    async def check_ledger(self):
        self.checking = True
        yield
        try:
            done = await self._act(lambda s, _fx, u: ledger.access_ledger_check(s, u))
            if not done.ok:
                yield done.toast()
                return
            check = done.value
            self.checked, self.balanced = True, check.balanced
            when = format_moment(check.checked_at, get_settings().report_timezone, day_pattern() + " %H:%M:%S")
            self.check_summary = (tr("Проверено счетов: {accounts_checked}, проводок: {entries_checked} · {when}", accounts_checked=check.accounts_checked, entries_checked=check.entries_checked, when=when))
            self.differences = [DiffRow(DIFFERENCE_LABELS.get(d.kind, d.kind), d.reference,
                                        str(d.kept_minor), str(d.counted_minor)) for d in check.differences]
        finally:
            self.checking = False

    # --- payouts ---------------------------------------------------------------------------------

    @rx.event
    async def set_status_filter(self, value: str):
        if value in dict(PAYOUT_FILTERS):
            self.status_filter = value
            await self._reload()

    @rx.event
    async def set_month_filter(self, value: str):
        if value == "all" or value in dict(self.months):
            self.month_filter = value
            await self._reload()

    @rx.event
    def set_run_month(self, value: str):
        if value in dict(self.months):
            self.run_month = value

    @rx.event
    async def run_payouts(self):
        period = date.fromisoformat(self.run_month) if self.run_month in dict(self.months) else None
        self.running = True
        yield
        try:
            done = await self._act(lambda s, fx, u: payouts.do_request_payout_run(s, fx, u, period))
            if not done.ok:
                yield done.toast()
                return
            label = payouts.period_label(done.value)
            yield rx.toast.success(tr("Выплаты за {label} поставлены в очередь: отчёты появятся здесь через минуту-другую. Владельцам, уже получившим выплату за этот месяц, второй раз не заплатим.", label=label))
        finally:
            self.running = False

    @rx.event
    async def refresh(self):
        await self._reload()

    @rx.event
    def ask_payout(self, action: str, payout_id: int):
        payout_id = parse_id(payout_id)
        row = next((r for r in self.payout_rows if r.id == payout_id), None)
        if row is None or action not in ("paid", "failed"):
            return
        self.dialog, self.dialog_id, self.dialog_text, self.dialog_error = action, row.id, "", ""
        self.dialog_title = f"№ {row.number} · {row.owner} · {row.period} · {row.amount}"

    @rx.event
    def close_dialog(self):
        self.dialog, self.dialog_id, self.dialog_text, self.dialog_error = "", 0, "", ""

    @rx.event
    def set_dialog_text(self, value: str):
        self.dialog_text, self.dialog_error = str(value)[:500], ""

    @rx.event
    async def confirm_payout(self, _form: dict | None = None):
        payout_id, action, text = self.dialog_id, self.dialog, self.dialog_text
        if not payout_id or action not in ("paid", "failed"):
            return
        self.dialog_busy, self.dialog_error = True, ""
        yield
        try:
            if action == "paid":
                done = await self._act(lambda s, fx, u: payouts.payout_out(
                    payouts.do_mark_payout_paid(s, fx, u, payout_id, text)))
            else:
                done = await self._act(lambda s, fx, u: payouts.payout_out(
                    payouts.do_mark_payout_failed(s, fx, u, payout_id, text)))
            if not done.ok:
                self.dialog_error = done.message
                return
            self.dialog, self.dialog_id, self.dialog_text = "", 0, ""
            yield (rx.toast.success(tr("Выплата № {number} отмечена выплаченной", number=done.value.number)) if action == "paid" else
                   rx.toast.success(tr("Выплата № {number} не прошла: сумма вернулась на баланс владельца, он получил уведомление", number=done.value.number)))
            await self._reload()
        finally:
            self.dialog_busy = False

    @rx.event
    async def download_statement(self, payout_id: int):
        payout_id = parse_id(payout_id)
        if payout_id is None:
            return None

        def work(session, _effects, user):
            payout = payouts.access_payout_pdf(session, user, payout_id)
            return payout.pdf, f"payout-{payout.number:06d}.pdf"
        done = await self._act(work)
        return rx.download(data=done.value[0], filename=done.value[1]) if done.ok else done.toast()

    # --- penalties -------------------------------------------------------------------------------

    @rx.event
    async def set_penalty_filter(self, value: str):
        if value in dict(PENALTY_FILTERS):
            self.penalty_filter = value
            await self._reload()

    @rx.event
    def ask_waive(self, penalty_id: int):
        penalty_id = parse_id(penalty_id)
        row = next((r for r in self.penalty_rows if r.id == penalty_id), None)
        if row is None:
            return
        self.waive_id, self.waive_reason, self.waive_error = row.id, "", ""
        self.waive_title = tr("{kind}, бронь {booking} · {amount}", kind=row.kind, booking=row.booking, amount=row.amount)

    @rx.event
    def close_waive(self):
        self.waive_id, self.waive_reason, self.waive_error = 0, "", ""

    @rx.event
    def set_waive_reason(self, value: str):
        self.waive_reason, self.waive_error = str(value)[:500], ""

    @rx.event
    async def confirm_waive(self, _form: dict | None = None):
        penalty_id, reason = self.waive_id, self.waive_reason
        if not penalty_id:
            return
        self.waive_busy, self.waive_error = True, ""
        yield
        try:
            done = await self._act(lambda s, fx, u: adjustments.do_waive_penalty(s, fx, u, penalty_id, reason).id)
            if not done.ok:
                self.waive_error = done.message
                return
            self.waive_id, self.waive_reason = 0, ""
            yield rx.toast.success(tr("Штраф отменён: деньги вернутся гостю, он получил уведомление с причиной"))
            await self._reload()
        finally:
            self.waive_busy = False

    # --- commission ------------------------------------------------------------------------------

    @rx.event
    def set_commission_field(self, name: str, value: str):
        if name in ("owner", "percent"):
            setattr(self, f"com_{name}", str(value)[:120])
            if self.com_error_field in (name, ""):
                self.com_error, self.com_error_field = "", ""
            self.com_result = ""

    @rx.event
    async def save_commission(self, _form: dict | None = None):
        await self._commission(reset=False)

    @rx.event
    async def reset_commission(self):
        await self._commission(reset=True)

    async def _commission(self, *, reset: bool) -> None:
        who = self.com_owner.strip()
        bp = None if reset else parse_percent_bp(self.com_percent)
        self.com_error, self.com_error_field, self.com_result = "", "", ""
        if not who:
            self.com_error, self.com_error_field = tr("Укажите ID владельца или его email"), "owner"
            return
        if not reset and bp is None:
            self.com_error, self.com_error_field = tr("Комиссия — число от 0 до 100, например 12,5"), "percent"
            return
        self.com_saving = True
        try:
            def work(session, _effects, user):
                check_role(user, Role.admin)  # before anyone is looked up by email
                owner = find_user(session, parse_id(who)) if parse_id(who) else find_user_by_email(session, who)
                if owner is None:
                    raise InvalidInput("owner", tr("Такого владельца нет: проверьте ID или email"))
                rate = payouts.do_set_commission(session, user, owner.id, bp)
                return owner.full_name, owner.email, rate
            done = await self._act(work)
            if not done.ok:
                self.com_error = done.message
                self.com_error_field = "percent" if done.field == "commission_bp" else (
                    "owner" if done.field == "owner" or isinstance(done.reason, NotFound) else "")
                return
            name, email, rate = done.value
            self.com_result = (tr("{name} ({email}): комиссия {format_commission}", name=name, email=email, format_commission=format_commission(rate))
                               + (tr(" — стандартная") if reset else ""))
            self.com_percent = "" if reset else self.com_percent
        finally:
            self.com_saving = False
