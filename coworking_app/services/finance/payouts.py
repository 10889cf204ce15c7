"""Owner earnings and monthly payouts (docs/finance.md).

An owner's share of a booking is pending while the booking is live and payable once it
completes (services/finance/ledger.py). On the 1st of each month (`rq cron`, or an admin
asks) every owner with money in their payable account gets the month's statement: what
completed in the month, the commission, refunds after completion and penalties, what was
carried from earlier months, and the net. A net of at least PAYOUT_MINIMUM_MINOR with bank
details on file is sent (`pending`: owner_payable -> payouts_in_transit) until an admin
enters the bank's reference (`paid`: payouts_in_transit -> cash at the bank) or says it
failed (`failed`: the money goes back to the owner's balance); a smaller one, or one
without bank details, rolls over. Statements are PDFs, emailed to the owner.

Months are counted in the report zone (REPORT_TIMEZONE); entries count by `effective_at`
(a completion at the booking's end).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy import and_, func, select, text
from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.formatting import JOURNAL_KIND_LABELS, PAYOUT_STATUS_LABELS, format_money
from coworking_app.services.accounts.permissions import check_role
from coworking_app.services.common.errors import Conflict, InvalidInput, NotFound
from coworking_app.services.common.fields import Line
from coworking_app.services.common.numbering import next_number
from coworking_app.services.common.text import check_chars
from coworking_app.services.finance import ledger, requisites
from coworking_app.services.finance.exports import OperationRow, PeriodFilter, write_operations_xlsx
from coworking_app.services.finance.pdfs import BankDetails, StatementDoc, StatementLine, render_payout_statement
from coworking_app.services.messaging.notifications import do_notify
from coworking_app.settings import get_settings
from models import LedgerAccount, OwnerFinance, Payout, PayoutStatus, Role, User
from coworking_app import i18n
from coworking_app.i18n import N_, tr

PAYOUT_KINDS = ("payout",)  # entries that pay the balance out (not lines of a statement)


def zone() -> ZoneInfo:
    return ZoneInfo(get_settings().report_timezone)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def moment(day: date) -> datetime:
    """00:00 of `day` in the report zone, as a UTC moment."""
    return datetime.combine(day, time.min, tzinfo=zone()).astimezone(timezone.utc)


def local_today(now: datetime | None = None) -> date:
    return (now or datetime.now(timezone.utc)).astimezone(zone()).date()


def next_payout_date(now: datetime | None = None) -> date:
    return next_month(local_today(now))


# --- settings of an owner: commission (admins), bank details (the owner) -------------------


class BankDetailsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payee_name: Line(200, min_length=1)
    payee_inn: Line(12)
    bank_name: Line(200, min_length=1)
    bank_bik: Line(11)
    bank_account: Line(25)
    bank_corr_account: Line(25)


@dataclass(frozen=True)
class BankDetailsOut:
    """What anyone is shown of stored bank details: masked."""

    on_file: bool
    payee_name: str
    payee_inn: str
    bank_name: str
    bank_bik: str
    account_masked: str


def _finance_row(session: Session, owner_id: int, *, lock: bool = False) -> OwnerFinance | None:
    return session.get(OwnerFinance, owner_id, with_for_update=lock)


def has_bank_details(row: OwnerFinance | None) -> bool:
    return bool(row and row.bank_account and row.bank_bik and row.payee_name)


def bank_details_out(row: OwnerFinance | None) -> BankDetailsOut:
    if not has_bank_details(row):
        return BankDetailsOut(False, "", "", "", "", "")
    return BankDetailsOut(True, row.payee_name, row.payee_inn, row.bank_name, row.bank_bik,
                          requisites.mask_account(row.bank_account))


def access_owner(user: User | None) -> User:
    return check_role(user, Role.owner)


def do_set_bank_details(session: Session, user: User | None, data: BankDetailsIn) -> BankDetailsOut:
    """The owner's own bank details, each checked (ИНН, БИК, the accounts' control keys)."""
    owner = access_owner(user)
    name = check_chars("payee_name", data.payee_name.strip())
    bank = check_chars("bank_name", data.bank_name.strip())
    if not name:
        raise InvalidInput("payee_name", tr("Укажите получателя: ФИО или название организации"))
    if not bank:
        raise InvalidInput("bank_name", tr("Укажите банк"))
    inn = requisites.check_inn(data.payee_inn, "payee_inn")
    bik = requisites.check_bik(data.bank_bik, "bank_bik")
    account = requisites.check_bank_account(data.bank_account, bik, "bank_account")
    corr = requisites.check_corr_account(data.bank_corr_account, bik, "bank_corr_account")
    row = _finance_row(session, owner.id, lock=True)
    if row is None:
        row = OwnerFinance(owner_id=owner.id)
        session.add(row)
    row.payee_name, row.payee_inn, row.bank_name = name, inn, bank
    row.bank_bik, row.bank_account, row.bank_corr_account = bik, account, corr
    session.flush()
    return bank_details_out(row)


def do_set_commission(session: Session, user: User | None, owner_id: int, commission_bp: int | None) -> int:
    """An admin sets an owner's commission (basis points), or None for the default. It
    applies to bookings whose money reaches the ledger from now on (a booking keeps the
    rate it got then). Returns the rate in force."""
    check_role(user, Role.admin)
    owner = session.get(User, owner_id)
    if owner is None or not owner.has_role(Role.owner):
        raise NotFound(tr("Владелец не найден"))
    if commission_bp is not None and not 0 <= commission_bp <= 10_000:
        raise InvalidInput("commission_bp", tr("Комиссия — от 0 до 10000 базисных пунктов (0–100 %)"))
    row = _finance_row(session, owner_id, lock=True)
    if row is None:
        row = OwnerFinance(owner_id=owner_id)
        session.add(row)
    row.commission_bp = commission_bp
    session.flush()
    return ledger.commission_rate(session, owner_id)


# --- the statement of a period ---------------------------------------------------------------

STATEMENT_KIND = {"completion": "completed", "payout_failed": "deduction"}


@dataclass(frozen=True)
class OwnerLine:
    """One entry that moved an owner's money: a statement line and a line of the finance page."""

    entry_id: int
    effective_at: datetime
    kind: str  # the journal entry's kind
    booking_id: int | None
    space: str
    account: str  # "pending" | "payable"
    gross_minor: int
    commission_minor: int
    net_minor: int  # + for the owner, - taken from them

    @property
    def label(self) -> str:
        return JOURNAL_KIND_LABELS.get(self.kind, self.kind)

    @property
    def statement_kind(self) -> str:
        if self.kind in STATEMENT_KIND:
            return STATEMENT_KIND[self.kind]
        if self.kind in ("cancellation", "no_show") and self.net_minor > 0:
            return "penalty"
        return "refund" if self.net_minor < 0 else "deduction"


_OWNER_LINES = text("""
SELECT e.id, e.effective_at, e.kind, e.booking_id, coalesce(s.name, ''),
       CASE WHEN a.code = :payable THEN 'payable' ELSE 'pending' END AS account,
       -l.amount_minor AS net,
       -coalesce((SELECT sum(pl.amount_minor) FROM journal_line pl
                   JOIN ledger_account pa ON pa.id = pl.account_id
                  WHERE pl.entry_id = e.id AND pa.code = ANY(CASE WHEN a.code = :payable
                        THEN CAST(:platform AS text[]) ELSE CAST(:deferred AS text[]) END)), 0) AS platform
  FROM journal_line l
  JOIN ledger_account a ON a.id = l.account_id
  JOIN journal_entry e ON e.id = l.entry_id
  LEFT JOIN booking b ON b.id = e.booking_id
  LEFT JOIN space s ON s.id = b.space_id
 WHERE a.code = ANY(:codes) AND e.effective_at >= :start AND e.effective_at < :end
   AND e.kind <> ALL(:skip)
 ORDER BY e.effective_at DESC, e.id DESC
 LIMIT :limit
""")


def owner_lines(session: Session, owner_id: int, currency: str, *, start: datetime, end: datetime,
                payable_only: bool = False, limit: int = 10_000) -> list[OwnerLine]:
    """The entries that moved the owner's pending or payable money in [start, end), newest
    first; the platform's part of each (commission, VAT, penalties' share, refunds) beside it."""
    payable = ledger.owner_payable(owner_id, currency).code
    codes = [payable] if payable_only else [payable, ledger.owner_pending(owner_id, currency).code]
    platform = [ledger.platform(n, currency).code for n in ("commission", "vat_payable", "penalties", "refunds")]
    skip = list(PAYOUT_KINDS) if payable_only else []
    rows = session.execute(_OWNER_LINES, {
        "payable": payable, "codes": codes, "platform": platform, "start": start, "end": end,
        "deferred": [ledger.platform("deferred_commission", currency).code],
        "skip": skip or ["-"], "limit": limit}).all()
    out = []
    for entry_id, at, kind, booking_id, space, account, net, plat in rows:
        net, plat = int(net), int(plat)
        out.append(OwnerLine(entry_id, at, kind, booking_id, space, account, net + plat, plat, net))
    return out


def balance_before(session: Session, acct: ledger.Acct, moment_: datetime) -> int:
    """The account's balance from entries effective before `moment_` (credit positive)."""
    return -int(session.scalar(text(
        "SELECT coalesce(sum(l.amount_minor), 0) FROM journal_line l "
        "JOIN ledger_account a ON a.id = l.account_id JOIN journal_entry e ON e.id = l.entry_id "
        "WHERE a.code = :code AND e.effective_at < :at"), {"code": acct.code, "at": moment_}) or 0)


@dataclass(frozen=True)
class StatementFigures:
    carried: int
    gross: int
    commission: int
    refunds: int
    penalties: int
    lines: list[OwnerLine]

    @property
    def net(self) -> int:
        return sum(line.net_minor for line in self.lines)

    @property
    def payable(self) -> int:
        return self.carried + self.net


def statement_figures(session: Session, owner_id: int, currency: str, period_start: date) -> StatementFigures:
    start, end = moment(period_start), moment(next_month(period_start))
    lines = list(reversed(owner_lines(session, owner_id, currency, start=start, end=end, payable_only=True)))
    carried = balance_before(session, ledger.owner_payable(owner_id, currency), start)
    kinds = [(line, line.statement_kind) for line in lines]
    return StatementFigures(
        carried=carried,
        gross=sum(line.gross_minor for line, k in kinds if k == "completed"),
        commission=sum(line.commission_minor for line, k in kinds if k in ("completed", "penalty")),
        refunds=-sum(line.net_minor for line, k in kinds if k == "refund"),
        penalties=sum(line.net_minor for line, k in kinds if k == "penalty"),
        lines=lines)


# --- the monthly run ------------------------------------------------------------------------


def previous_month(now: datetime | None = None) -> date:
    return month_start(month_start(local_today(now)) - timedelta(days=1))


def check_period(period_start: date | None, now: datetime | None = None) -> date:
    """A whole month that has ended (default: the last one)."""
    if period_start is None:
        return previous_month(now)
    if period_start.day != 1:
        raise InvalidInput("period_start", tr("Период выплаты — календарный месяц: укажите его первое число"))
    if period_start >= month_start(local_today(now)):
        raise InvalidInput("period_start", tr("Выплату можно провести только за закончившийся месяц"))
    return period_start


def payout_candidates(session: Session, period_start: date) -> list[tuple[int, str]]:
    """(owner, currency) with a payable account and no payout for the month yet."""
    rows = session.execute(
        select(LedgerAccount.owner_id, LedgerAccount.currency)
        .where(LedgerAccount.code.like("owner_payable:%"),
               ~select(Payout.id).where(and_(Payout.owner_id == LedgerAccount.owner_id,
                                             Payout.currency == LedgerAccount.currency,
                                             Payout.period_start == period_start)).exists())
        .order_by(LedgerAccount.owner_id, LedgerAccount.currency))
    return [(owner_id, currency) for owner_id, currency in rows]


def do_run_owner_payout(session: Session, effects: Effects, owner_id: int, currency: str,
                        period_start: date, *, actor_id: int | None = None,
                        now: datetime | None = None) -> Payout | None:
    """One owner's month: the statement, and the transfer when it is due. None when there
    is nothing to state (no lines, nothing carried) or the month already has its payout."""
    now = now or datetime.now(timezone.utc)
    owner = session.get(User, owner_id, with_for_update=True)  # one run per owner at a time
    if owner is None or session.scalar(select(Payout.id).where(
            Payout.owner_id == owner_id, Payout.currency == currency, Payout.period_start == period_start)):
        return None
    figures = statement_figures(session, owner_id, currency, period_start)
    if not figures.lines and figures.carried == 0:
        return None
    details = _finance_row(session, owner_id)
    amount = figures.payable
    status, reason = PayoutStatus.pending, None
    if amount < max(get_settings().payout_minimum_minor, 1):
        status = PayoutStatus.rolled_over
        reason = (tr("сумма меньше минимальной ({format_money}): переносится на следующий месяц", format_money=format_money(get_settings().payout_minimum_minor, currency)) if amount > 0 else tr("к выплате ничего нет"))
    elif not has_bank_details(details):
        status, reason = PayoutStatus.rolled_over, tr("не указаны банковские реквизиты: сумма ждёт их")
    period_end = next_month(period_start) - timedelta(days=1)
    payout = Payout(owner_id=owner_id, number=next_number(session, "payout"), period_start=period_start,
                    period_end=period_end, currency=currency, status=status.value,
                    carried_minor=figures.carried, gross_minor=figures.gross,
                    commission_minor=figures.commission, refunds_minor=figures.refunds,
                    penalties_minor=figures.penalties, amount_minor=amount,
                    bank_masked=requisites.mask_account(details.bank_account) if has_bank_details(details) else "",
                    failure_reason=reason)
    session.add(payout)
    session.flush()
    if status == PayoutStatus.pending:
        # Effective at the month's end: the month's balance is what it pays out.
        ledger.do_post(session, effects, "payout", [
            (ledger.owner_payable(owner_id, currency), amount),
            (ledger.platform("payouts_in_transit", currency), -amount)],
            effective_at=moment(next_month(period_start)) - timedelta(microseconds=1),
            payout_id=payout.id, actor_id=actor_id, memo=tr("выплата № {number}", number=payout.number))
    with i18n.use(owner.language):  # the statement speaks its owner's language
        payout.pdf = render_payout_statement(statement_doc(session, payout, owner, figures, details))
    session.flush()
    do_notify(session, effects, owner, "payout_statement", {
        "number": payout.number, "period": period_label(period_start),
        "amount": format_money(amount, currency), "status": PAYOUT_STATUS_LABELS[payout.status],
        "reason": reason or "", "payout_id": payout.id, "link": "/owner/finance",
    }, dedupe=f"payout_statement:{payout.id}")
    return payout


MONTHS = (N_("январь"), N_("февраль"), N_("март"), N_("апрель"), N_("май"), N_("июнь"), N_("июль"), N_("август"), N_("сентябрь"),
          N_("октябрь"), N_("ноябрь"), N_("декабрь"))


def period_label(period_start: date) -> str:
    return f"{MONTHS[period_start.month - 1]} {period_start.year}"


def statement_doc(session: Session, payout: Payout, owner: User, figures: StatementFigures,
                  details: OwnerFinance | None) -> StatementDoc:
    bank = None
    if has_bank_details(details):
        bank = BankDetails(bank_name=details.bank_name, bik=details.bank_bik,
                           account=requisites.mask_account(details.bank_account),
                           corr_account=details.bank_corr_account)
    zone_ = zone()
    lines = tuple(StatementLine(
        day=line.effective_at.astimezone(zone_).date(), booking_id=line.booking_id, space=line.space,
        kind=line.statement_kind, gross_minor=line.gross_minor, commission_minor=line.commission_minor,
        net_minor=line.net_minor, note=line.label) for line in figures.lines)
    notes = (payout.failure_reason,) if payout.failure_reason else ()
    return StatementDoc(
        number=str(payout.number), issued_on=local_today(), owner_name=details.payee_name
        if has_bank_details(details) else owner.full_name,
        period_from=payout.period_start, period_to=payout.period_end, lines=lines,
        gross_minor=figures.gross, commission_minor=figures.commission, refunds_minor=figures.refunds,
        penalties_minor=figures.penalties, net_minor=figures.net, carried_in_minor=figures.carried,
        currency=payout.currency, status=payout.status, bank=bank,
        owner_inn=details.payee_inn if details else "", issuer=get_settings().supplier_name,
        paid_on=payout.settled_at.astimezone(zone_).date() if payout.settled_at and payout.status == "paid" else None,
        payment_reference=payout.bank_reference or "", notes=notes)


def _access_payout_for_admin(session: Session, user: User | None, payout_id: int) -> tuple[User, Payout]:
    admin = check_role(user, Role.admin)
    payout = session.get(Payout, payout_id, with_for_update=True) if 0 < payout_id < 2**31 else None
    if payout is None:
        raise NotFound(tr("Выплата не найдена"))
    return admin, payout


def do_mark_payout_paid(session: Session, effects: Effects, user: User | None, payout_id: int,
                        reference: str, *, now: datetime | None = None) -> Payout:
    admin, payout = _access_payout_for_admin(session, user, payout_id)
    reference = check_chars("bank_reference", (reference or "").strip()[:120])
    if not reference:
        raise InvalidInput("bank_reference", tr("Укажите номер платёжного поручения или референс банка"))
    if payout.status != PayoutStatus.pending:
        raise Conflict("status", tr("выплата уже в статусе «{value}»", value=PAYOUT_STATUS_LABELS[payout.status]))
    now = now or datetime.now(timezone.utc)
    payout.status, payout.bank_reference = PayoutStatus.paid.value, reference
    payout.settled_at, payout.settled_by = now, admin.id
    ledger.do_post(session, effects, "payout_paid", [
        (ledger.platform("payouts_in_transit", payout.currency), payout.amount_minor),
        (ledger.cash("bank", payout.currency), -payout.amount_minor)],
        effective_at=now, payout_id=payout.id, actor_id=admin.id, memo=reference)
    _rerender(session, payout)
    return payout


def do_mark_payout_failed(session: Session, effects: Effects, user: User | None, payout_id: int,
                          reason: str, *, now: datetime | None = None) -> Payout:
    """The bank returned the transfer: the amount goes back to the owner's balance and is
    paid with the next run (after they fix their details, if that was the reason)."""
    admin, payout = _access_payout_for_admin(session, user, payout_id)
    reason = check_chars("reason", (reason or "").strip()[:500], multiline=True)
    if not reason:
        raise InvalidInput("reason", tr("Укажите, почему выплата не прошла: владелец увидит это"))
    if payout.status != PayoutStatus.pending:
        raise Conflict("status", tr("выплата уже в статусе «{value}»", value=PAYOUT_STATUS_LABELS[payout.status]))
    now = now or datetime.now(timezone.utc)
    payout.status, payout.failure_reason = PayoutStatus.failed.value, reason
    payout.settled_at, payout.settled_by = now, admin.id
    ledger.do_post(session, effects, "payout_failed", [
        (ledger.platform("payouts_in_transit", payout.currency), payout.amount_minor),
        (ledger.owner_payable(payout.owner_id, payout.currency), -payout.amount_minor)],
        effective_at=now, payout_id=payout.id, actor_id=admin.id, memo=reason[:255])
    _rerender(session, payout)
    owner = session.get(User, payout.owner_id)
    do_notify(session, effects, owner, "payout_failed", {
        "number": payout.number, "amount": format_money(payout.amount_minor, payout.currency),
        "reason": reason, "link": "/owner/finance"}, dedupe=f"payout_failed:{payout.id}")
    return payout


def _rerender(session: Session, payout: Payout) -> None:
    """The statement PDF shows the payout's status: drawn again when it changes."""
    session.flush()
    owner = session.get(User, payout.owner_id)
    details = _finance_row(session, payout.owner_id)
    figures = statement_figures(session, payout.owner_id, payout.currency, payout.period_start)
    with i18n.use(owner.language):  # the statement speaks its owner's language
        payout.pdf = render_payout_statement(statement_doc(session, payout, owner, figures, details))


# --- what owners and admins see ------------------------------------------------------------


@dataclass(frozen=True)
class FinanceLineOut:
    entry_id: int
    at: datetime
    kind: str
    label: str
    booking_id: int | None
    space: str
    account: str
    gross_minor: int
    commission_minor: int
    net_minor: int


@dataclass(frozen=True)
class OwnerFinanceOut:
    currency: str
    pending_minor: int
    available_minor: int
    in_transit_minor: int
    next_payout_date: date
    commission_bp: int
    bank: BankDetailsOut
    lines: list[FinanceLineOut]


def owner_currencies(session: Session, owner_id: int) -> list[str]:
    return list(session.scalars(select(LedgerAccount.currency).where(LedgerAccount.owner_id == owner_id)
                                .distinct().order_by(LedgerAccount.currency)))


def owner_finance(session: Session, user: User | None, *, currency: str | None = None,
                  limit: int = 200, period: PeriodFilter | None = None,
                  now: datetime | None = None) -> OwnerFinanceOut:
    """The owner's finance page: pending (share of paid bookings not completed), available
    (share of completed bookings not paid out), what is on its way, the next payout date,
    and the lines that make up the balance, newest first."""
    owner = access_owner(user)
    currencies = owner_currencies(session, owner.id)
    if currency is not None and currency not in currencies and currencies:
        raise InvalidInput("currency", tr("У вас нет операций в этой валюте"))
    cur = currency or ("RUB" if "RUB" in currencies or not currencies else currencies[0])
    found = ledger.balances(session, [ledger.owner_pending(owner.id, cur), ledger.owner_payable(owner.id, cur)])
    in_transit = int(session.scalar(select(func.sum(Payout.amount_minor)).where(
        Payout.owner_id == owner.id, Payout.currency == cur, Payout.status == PayoutStatus.pending.value)) or 0)
    start, end = (period or PeriodFilter()).bounds(get_settings().report_timezone)
    lines = owner_lines(session, owner.id, cur, start=start, end=end, limit=limit)
    return OwnerFinanceOut(
        currency=cur, pending_minor=-found[ledger.owner_pending(owner.id, cur).code],
        available_minor=-found[ledger.owner_payable(owner.id, cur).code], in_transit_minor=in_transit,
        next_payout_date=next_payout_date(now), commission_bp=ledger.commission_rate(session, owner.id),
        bank=bank_details_out(_finance_row(session, owner.id)),
        lines=[FinanceLineOut(line.entry_id, line.effective_at, line.kind, line.label, line.booking_id,
                              line.space, line.account, line.gross_minor, line.commission_minor,
                              line.net_minor) for line in lines])


def list_owner_payouts(session: Session, user: User | None) -> list[Payout]:
    owner = access_owner(user)
    return list(session.scalars(select(Payout).where(Payout.owner_id == owner.id)
                                .order_by(Payout.period_start.desc(), Payout.id.desc())))


def access_payout_pdf(session: Session, user: User | None, payout_id: int) -> Payout:
    """The statement of the owner's own payout (admins and operators: any)."""
    user = check_role(user, Role.owner, Role.admin, Role.operator)
    payout = session.get(Payout, payout_id) if 0 < payout_id < 2**31 else None
    staff = user.has_role(Role.admin, Role.operator)
    if payout is None or (payout.owner_id != user.id and not staff):
        raise NotFound(tr("Выплата не найдена"))
    if payout.pdf is None:
        raise NotFound(tr("Отчёт ещё не готов"))
    return payout


class PayoutFilter(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: PayoutStatus | None = None
    period_start: date | None = None
    limit: int = 200


def list_payouts(session: Session, user: User | None, flt: PayoutFilter) -> list[tuple[Payout, str, str]]:
    """Admins' table of payouts: (payout, owner's name, owner's email), newest first."""
    check_role(user, Role.admin, Role.operator)
    query = (select(Payout, User.full_name, User.email).join(User, User.id == Payout.owner_id)
             .order_by(Payout.period_start.desc(), Payout.id.desc()).limit(min(flt.limit, 1000)))
    if flt.status is not None:
        query = query.where(Payout.status == flt.status.value)
    if flt.period_start is not None:
        query = query.where(Payout.period_start == flt.period_start)
    return [(p, name, email) for p, name, email in session.execute(query)]


def do_request_payout_run(session: Session, effects: Effects, user: User | None,
                          period_start: date | None, *, now: datetime | None = None) -> date:
    """An admin asks for a month's payouts now (the same job as the 1st of the month's);
    owners already paid for that month are skipped. Returns the month."""
    admin = check_role(user, Role.admin)
    period = check_period(period_start, now)
    effects.queue_job("jobs.finance.run_payouts", period.isoformat(), admin.id,
                      job_id=f"payouts-{period.isoformat()}", timeout=3600, queue="ops")
    return period


@dataclass(frozen=True)
class PayoutOut:
    id: int
    number: int
    owner_id: int
    period_start: date
    period_end: date
    currency: str
    status: str
    status_label: str
    carried_minor: int
    gross_minor: int
    commission_minor: int
    refunds_minor: int
    penalties_minor: int
    amount_minor: int
    bank_masked: str
    bank_reference: str | None
    failure_reason: str | None
    created_at: datetime
    settled_at: datetime | None
    statement_url: str
    owner_name: str = ""
    owner_email: str = ""


def payout_out(payout: Payout, owner_name: str = "", owner_email: str = "") -> PayoutOut:
    return PayoutOut(
        id=payout.id, number=payout.number, owner_id=payout.owner_id, period_start=payout.period_start,
        period_end=payout.period_end, currency=payout.currency, status=payout.status,
        status_label=PAYOUT_STATUS_LABELS[payout.status], carried_minor=payout.carried_minor,
        gross_minor=payout.gross_minor, commission_minor=payout.commission_minor,
        refunds_minor=payout.refunds_minor, penalties_minor=payout.penalties_minor,
        amount_minor=payout.amount_minor, bank_masked=payout.bank_masked,
        bank_reference=payout.bank_reference, failure_reason=payout.failure_reason,
        created_at=payout.created_at, settled_at=payout.settled_at,
        statement_url=f"/api/v1/owner/payouts/{payout.id}/statement.pdf",
        owner_name=owner_name, owner_email=owner_email)


def owner_operations_xlsx(session: Session, user: User | None, *, currency: str | None = None,
                          period: PeriodFilter | None = None) -> bytes:
    """Every line of the owner's balance as an Excel sheet (the finance page's export)."""
    view = owner_finance(session, user, currency=currency, limit=50_000, period=period)
    account_words = {"pending": tr("ожидает завершения"), "payable": tr("к выплате")}
    rows = [OperationRow(at=line.at, kind=line.label,
                         description=f"{line.space} — {account_words[line.account]}".strip(" —"),
                         booking_id=line.booking_id, amount_minor=line.net_minor, currency=view.currency)
            for line in reversed(view.lines)]
    return write_operations_xlsx(rows, tr("Операции по балансу ({currency})", currency=view.currency),
                                 zone=get_settings().report_timezone)
