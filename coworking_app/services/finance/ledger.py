"""The double-entry ledger: the book of record for every ruble (docs/finance.md).

Accounts (one per currency; `code` names them):

| code | kind | holds |
|---|---|---|
| `cash:<provider>:<cur>` | asset | money at Stripe, YooKassa, the test provider, or our bank (`bank`) |
| `unbilled:<company>:<cur>` | asset | a company's on-account bookings not invoiced yet |
| `receivable:<company>:<cur>` | asset | a company's issued, unpaid invoices |
| `owner_pending:<owner>:<cur>` | liability | owners' share of paid bookings not completed yet |
| `owner_payable:<owner>:<cur>` | liability | owners' share of completed bookings, not paid out yet |
| `deferred_commission:<cur>` | liability | the platform's share of bookings not completed yet |
| `payouts_in_transit:<cur>` | liability | payouts sent to the bank, not confirmed |
| `vat_payable:<cur>` | liability | VAT inside the platform's commission and penalty share |
| `commission:<cur>` | revenue | commission on completed bookings (net of VAT) |
| `penalties:<cur>` | revenue | the platform's share of late-cancellation and no-show fees |
| `refunds:<cur>` | expense | commission given back by refunds after a booking completed |

Amounts are signed minor units: debit positive, credit negative; every entry sums to zero
per currency. A booking's money is posted by `do_post_booking`, which computes what the
ledger should hold for the booking now (from its payments, refunds, status and commission)
and posts the difference from what was posted before, in the transaction of the change: one
home for what a booking means in money, whichever path changed it. Payouts and invoices
post their own entries (services/finance/payouts.py, invoices.py) through `do_post`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.services.accounts.permissions import check_role
from coworking_app.services.booking.pricing import div_round
from coworking_app.settings import get_settings
from models import (
    AccountKind,
    Booking,
    BookingStatus,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    LedgerDayCity,
    LedgerDaySpace,
    LedgerMonthSpace,
    OwnerFinance,
    Payment,
    PaymentStatus,
    Role,
    Space,
    User,
)

S = BookingStatus
ON_ACCOUNT = "account"  # the payment "provider" of a company's on-account booking
LIVE = (S.pending_payment.value, S.paid.value, S.confirmed.value)


class LedgerError(Exception):
    """A posting that does not balance: a bug, never the user's input."""


@dataclass(frozen=True, order=True)
class Acct:
    code: str
    kind: str
    currency: str
    owner_id: int | None = None
    company_id: int | None = None


def cash(provider: str, currency: str) -> Acct:
    return Acct(f"cash:{provider}:{currency}", AccountKind.asset.value, currency)


def unbilled(company_id: int, currency: str) -> Acct:
    return Acct(f"unbilled:{company_id}:{currency}", AccountKind.asset.value, currency, company_id=company_id)


def receivable(company_id: int, currency: str) -> Acct:
    return Acct(f"receivable:{company_id}:{currency}", AccountKind.asset.value, currency, company_id=company_id)


def owner_pending(owner_id: int, currency: str) -> Acct:
    return Acct(f"owner_pending:{owner_id}:{currency}", AccountKind.liability.value, currency, owner_id=owner_id)


def owner_payable(owner_id: int, currency: str) -> Acct:
    return Acct(f"owner_payable:{owner_id}:{currency}", AccountKind.liability.value, currency, owner_id=owner_id)


def platform(name: str, currency: str) -> Acct:
    kinds = {"deferred_commission": AccountKind.liability, "payouts_in_transit": AccountKind.liability,
             "vat_payable": AccountKind.liability, "commission": AccountKind.revenue,
             "penalties": AccountKind.revenue, "refunds": AccountKind.expense}
    return Acct(f"{name}:{currency}", kinds[name].value, currency)


# --- posting -------------------------------------------------------------------------------


def do_post(session: Session, effects: Effects | None, kind: str, lines: list[tuple[Acct, int]], *,
            effective_at: datetime | None = None, booking_id: int | None = None,
            payout_id: int | None = None, invoice_id: int | None = None,
            penalty_id: int | None = None, actor_id: int | None = None, memo: str = "",
            space_id: int | None = None, city_id: int | None = None,
            plan_purchase_id: int | None = None) -> int | None:
    """One journal entry with `lines` (same accounts merged, zeros dropped), the accounts'
    kept balances moved in the same statement, and (for a booking's entry: `space_id`,
    `city_id`) the day's figures of its space and city (`ledger_day_space`, `ledger_day_city`). Returns the entry's id, None when
    nothing remains to post. Refuses (LedgerError) lines that do not add up to zero per
    currency."""
    merged: dict[Acct, int] = defaultdict(int)
    for acct, amount in lines:
        merged[acct] += int(amount)
    merged = {a: v for a, v in merged.items() if v}
    if not merged:
        return None
    totals: dict[str, int] = defaultdict(int)
    for acct, amount in merged.items():
        totals[acct.currency] += amount
    if any(totals.values()):
        raise LedgerError(f"entry {kind} does not balance: {dict(totals)}")
    effective_at = effective_at or datetime.now(timezone.utc)
    entry_id = session.execute(insert(JournalEntry).values(
        kind=kind, booking_id=booking_id, payout_id=payout_id, invoice_id=invoice_id,
        penalty_id=penalty_id, plan_purchase_id=plan_purchase_id, actor_id=actor_id, memo=memo[:255],
        effective_at=effective_at).returning(JournalEntry.id)).scalar_one()
    ordered = sorted(merged)  # accounts locked in one order: two postings never deadlock
    upsert = pg_insert(LedgerAccount).values([
        {"code": a.code, "kind": a.kind, "currency": a.currency, "owner_id": a.owner_id,
         "company_id": a.company_id, "balance_minor": merged[a]} for a in ordered])
    upsert = upsert.on_conflict_do_update(
        index_elements=["code"],
        set_={"balance_minor": LedgerAccount.balance_minor + upsert.excluded.balance_minor},
    ).returning(LedgerAccount.id, LedgerAccount.code)
    ids = dict((code, id_) for id_, code in session.execute(upsert))
    session.execute(insert(JournalLine), [
        {"entry_id": entry_id, "account_id": ids[a.code], "currency": a.currency,
         "amount_minor": merged[a]} for a in ordered])
    if space_id is not None:
        _add_day_figures(session, space_id, city_id, effective_at, merged)
    if effects is not None:
        effects.count("ledger_entries", kind)
    return entry_id


# What a booking entry adds to its space's day (ledger_day_space; the migration's backfill
# and tests/services/finance/test_ledger_days.py count the same from the journal):
RECEIVED = ("cash:", "unbilled:")  # money taken from renters and companies, less refunds
EARNED = ("owner_payable:", "commission:", "penalties:", "refunds:", "vat_payable:")  # revenue recognized
PLATFORM = ("commission:", "penalties:", "refunds:")  # the platform's part of it, VAT apart


def day_figures(merged: dict[Acct, int]) -> dict[str, tuple[int, int, int]]:
    """Per currency: (received, earned, commission) of one entry's lines (pure)."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for acct, amount in merged.items():
        figures = out[acct.currency]
        if acct.code.startswith(RECEIVED):
            figures[0] += amount
        if acct.code.startswith(EARNED):
            figures[1] -= amount
        if acct.code.startswith(PLATFORM):
            figures[2] -= amount
    return {cur: (r, e, c) for cur, (r, e, c) in out.items() if r or e or c}


def report_day(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(get_settings().report_timezone)).date()


_FIGURES = ("received_minor", "earned_minor", "commission_minor")


def _add_day_figures(session: Session, space_id: int, city_id: int | None, effective_at: datetime,
                     merged: dict[Acct, int]) -> None:
    figures = day_figures(merged)
    if not figures:
        return
    day = report_day(effective_at)
    for table, period, when, key, value in (
            (LedgerDaySpace, "day", day, "space_id", space_id),
            (LedgerMonthSpace, "month", day.replace(day=1), "space_id", space_id),
            (LedgerDayCity, "day", day, "city_id", city_id or 0)):
        rows = [{period: when, key: value, "currency": cur, "received_minor": r, "earned_minor": e,
                 "commission_minor": c} for cur, (r, e, c) in sorted(figures.items())]
        upsert = pg_insert(table).values(rows)
        session.execute(upsert.on_conflict_do_update(
            index_elements=[period, key, "currency"],
            set_={name: getattr(table, name) + getattr(upsert.excluded, name) for name in _FIGURES}))


# --- what a booking means in money ---------------------------------------------------------


@dataclass(frozen=True)
class Split:
    owner: int  # the owner's share
    commission: int  # the platform's share, VAT inside
    vat: int  # the VAT inside the platform's share


def split(amount: int, *, commission_bp: int, booking_vat_bp: int, platform_vat_bp: int) -> Split:
    """Divides money kept on a booking: the commission is `commission_bp` of its price
    before the booking's VAT; the platform's VAT is inside the commission."""
    base = div_round(amount * 10_000, 10_000 + booking_vat_bp) if booking_vat_bp else amount
    commission = min(amount, div_round(base * commission_bp, 10_000))
    vat = commission - div_round(commission * 10_000, 10_000 + platform_vat_bp) if platform_vat_bp else 0
    return Split(owner=amount - commission, commission=commission, vat=vat)


def commission_rate(session: Session, owner_id: int | None) -> int:
    """The commission an owner's bookings carry: the admin's figure for them, else the
    settings' default. A space nobody owns is the platform's own: it keeps everything."""
    if owner_id is None:
        return 10_000
    own = session.scalar(select(OwnerFinance.commission_bp).where(OwnerFinance.owner_id == owner_id))
    return get_settings().platform_commission_bp if own is None else own


def money_held(session: Session, booking_id: int) -> dict[str, int]:
    """What the booking's successful payments still hold, by provider (paid minus refunded)."""
    rows = session.execute(
        select(Payment.provider, func.sum(Payment.amount_minor - Payment.refunded_minor))
        .where(Payment.booking_id == booking_id, Payment.status == PaymentStatus.succeeded.value)
        .group_by(Payment.provider))
    return {provider: int(amount) for provider, amount in rows}


@dataclass
class _Posted:
    accounts: dict[str, Acct] = field(default_factory=dict)
    amounts: dict[str, int] = field(default_factory=dict)


_POSTED_FOR_BOOKING = (
    select(LedgerAccount.code, LedgerAccount.kind, LedgerAccount.currency, LedgerAccount.owner_id,
           LedgerAccount.company_id, func.sum(JournalLine.amount_minor))
    .join(JournalLine, JournalLine.account_id == LedgerAccount.id)
    .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
    .where(JournalEntry.booking_id == bindparam("booking_id"))
    .group_by(LedgerAccount.id))


def posted_for_booking(session: Session, booking_id: int) -> _Posted:
    posted = _Posted()
    for code, kind, currency, owner_id, company_id, amount in session.execute(
            _POSTED_FOR_BOOKING, {"booking_id": booking_id}):
        posted.accounts[code] = Acct(code, kind, currency, owner_id, company_id)
        posted.amounts[code] = int(amount)
    return posted


def booking_targets(booking: Booking, held: dict[str, int], *, owner_id: int | None,
                    commission_bp: int, platform_vat_bp: int,
                    posted_commission: int = 0) -> dict[Acct, int]:
    """What the ledger should hold for this booking now (pure; tests/unit checks it).

    Money held at a provider is cash (or, on a company's account, its unbilled receivable).
    While the booking is live the kept money is deferred: the owner's share pending, the
    platform's deferred. When it completes, the owner's share becomes payable and the
    platform's commission revenue (VAT apart). A cancelled or no-show booking that kept
    money kept a penalty: the same split, the platform's part in `penalties`. A refund after
    completion takes the owner's share back from what they are owed and the platform's part
    through `refunds` (so the month's commission stays as earned)."""
    cur = booking.currency
    target: dict[Acct, int] = defaultdict(int)
    for provider, amount in held.items():
        if provider == ON_ACCOUNT:
            target[unbilled(booking.company_id, cur)] += amount
        else:
            target[cash(provider, cur)] += amount
    kept = sum(held.values())
    if kept == 0 and not posted_commission:
        return dict(target)
    if owner_id is None:  # the platform's own space: everything kept is its own
        parts = Split(owner=0, commission=kept, vat=split(kept, commission_bp=10_000, booking_vat_bp=0,
                                                          platform_vat_bp=platform_vat_bp).vat)
    else:
        parts = split(kept, commission_bp=commission_bp,
                      booking_vat_bp=int((booking.price or {}).get("vat_rate_bp") or 0),
                      platform_vat_bp=platform_vat_bp)
    owner_share = owner_pending if booking.status in LIVE else owner_payable
    if owner_id is not None and parts.owner:
        target[owner_share(owner_id, cur)] -= parts.owner
    if booking.status in LIVE:
        target[platform("deferred_commission", cur)] -= parts.commission
        return dict(target)
    target[platform("vat_payable", cur)] -= parts.vat
    earned = -(parts.commission - parts.vat)
    if booking.status == S.completed.value:
        if posted_commission and posted_commission != earned:
            target[platform("commission", cur)] = posted_commission
            target[platform("refunds", cur)] = earned - posted_commission
        else:
            target[platform("commission", cur)] = earned
    else:  # cancelled, no_show, expired with money kept: a penalty
        target[platform("penalties", cur)] = earned
    return dict(target)


def do_post_booking(session: Session, effects: Effects | None, booking: Booking, kind: str, *,
                    effective_at: datetime | None = None, actor_id: int | None = None,
                    penalty_id: int | None = None) -> int | None:
    """Brings the ledger in line with the booking as it is now (called by every change
    that moves its money or its status with money on it). Returns the entry's id, or None
    when the ledger already matched."""
    session.flush()
    held = money_held(session, booking.id)
    posted = posted_for_booking(session, booking.id)
    if not held and not posted.amounts:
        return None
    owner_id, city_id = session.execute(select(Space.owner_id, Space.city_id)
                                        .where(Space.id == booking.space_id)).one()
    if booking.commission_bp is None:
        booking.commission_bp = commission_rate(session, owner_id)
    cur = booking.currency
    target = booking_targets(
        booking, held, owner_id=owner_id, commission_bp=booking.commission_bp,
        platform_vat_bp=get_settings().platform_vat_bp,
        posted_commission=posted.amounts.get(platform("commission", cur).code, 0))
    lines: list[tuple[Acct, int]] = [(acct, amount) for acct, amount in target.items()]
    for code, amount in posted.amounts.items():
        lines.append((posted.accounts[code], -amount))
    return do_post(session, effects, kind, lines, effective_at=effective_at, booking_id=booking.id,
                   actor_id=actor_id, penalty_id=penalty_id, space_id=booking.space_id, city_id=city_id)


# --- balances and the check ----------------------------------------------------------------


def balance(session: Session, acct: Acct) -> int:
    """The kept balance (debit positive); 0 for an account never posted to."""
    return int(session.scalar(select(LedgerAccount.balance_minor).where(LedgerAccount.code == acct.code)) or 0)


def balances(session: Session, accts: list[Acct]) -> dict[str, int]:
    rows = session.execute(select(LedgerAccount.code, LedgerAccount.balance_minor)
                           .where(LedgerAccount.code.in_([a.code for a in accts])))
    found = {code: int(amount) for code, amount in rows}
    return {a.code: found.get(a.code, 0) for a in accts}


@dataclass(frozen=True)
class Difference:
    kind: str  # account_balance | entry_unbalanced | currency_unbalanced
    reference: str  # the account's code, the entry's id, or the currency
    kept_minor: int
    counted_minor: int


@dataclass(frozen=True)
class LedgerCheck:
    balanced: bool
    accounts_checked: int
    entries_checked: int
    differences: list[Difference]
    checked_at: datetime


def access_ledger_check(session: Session, user: User | None) -> LedgerCheck:
    """The check for admins and operators (the operator panel, the REST endpoint)."""
    check_role(user, Role.admin, Role.operator)
    return ledger_check(session)


def ledger_check(session: Session) -> LedgerCheck:
    """Every account's kept balance against the sum of its lines, every entry and every
    currency summing to zero."""
    differences: list[Difference] = []
    accounts = session.execute(text(
        "SELECT a.code, a.balance_minor, coalesce(l.total, 0) FROM ledger_account a "
        "LEFT JOIN (SELECT account_id, sum(amount_minor) AS total FROM journal_line "
        "GROUP BY account_id) l ON l.account_id = a.id ORDER BY a.code")).all()
    for code, kept, counted in accounts:
        if int(kept) != int(counted):
            differences.append(Difference("account_balance", code, int(kept), int(counted)))
    for entry_id, currency, total in session.execute(text(
            "SELECT entry_id, currency, sum(amount_minor) FROM journal_line "
            "GROUP BY entry_id, currency HAVING sum(amount_minor) <> 0 ORDER BY entry_id LIMIT 100")):
        differences.append(Difference("entry_unbalanced", f"{entry_id}:{currency}", 0, int(total)))
    for currency, total in session.execute(text(
            "SELECT currency, sum(balance_minor) FROM ledger_account GROUP BY currency "
            "HAVING sum(balance_minor) <> 0 ORDER BY currency")):
        differences.append(Difference("currency_unbalanced", currency, 0, int(total)))
    entries = int(session.scalar(select(func.count()).select_from(JournalEntry)) or 0)
    return LedgerCheck(balanced=not differences, accounts_checked=len(accounts), entries_checked=entries,
                       differences=differences, checked_at=datetime.now(timezone.utc))
