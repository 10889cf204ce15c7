"""Reconciliation: the ledger's cash at each payment provider against our payment rows and
against the provider's own records (docs/operations.md, "Reconciliation").

Per provider and currency, three figures:

- the ledger: the balance of `cash:<provider>:<cur>` (`ledger.cash`);
- ours: what our succeeded payments of that provider still hold (amount minus refunded),
  which is exactly what `ledger.do_post_booking` (bookings) and `settlement` (invoices paid
  by card, and such a payment given back) post to that account. A difference is a
  `ledger_differs` item (company payments on account, `ledger.ON_ACCOUNT`, are no provider's
  cash and are never reconciled);
- the provider's: its succeeded payments minus its refunds made in the period, read through
  its own client library (the totals show them next to ours for the same period).

Then record by record over the period, matched by the provider's ids (a payment's
`Payment.provider_payment_id`, a refund's `Refund.provider_refund_id`): a payment or refund
the provider has and we have no succeeded row for (`missing_in_ledger`), our succeeded
payment or refund the provider does not list (`missing_at_provider`), and one both have
with another amount or currency (`amount_differs`). The offline test provider has no
records outside: only the ledger is compared with our rows.

The period: our rows that succeeded (payments) or were made (refunds) since `since`; the
provider's records created since `since - LOOKBACK`, because a payment is created at the
provider before it succeeds here (a checkout stays open up to a day). A provider's record
younger than GRACE with no row here is not reported yet: its webhook may be on its way.

Stripe: the account's balance transactions (`balance_transactions.list`, what moved the
balance), listed with `expand[]=data.source` so that each one carries its source: a charge
names its `payment_intent` (our payment's id there), a refund is itself the refund we keep.
One listing, one request per 100 transactions and no look-up per row, so it is no harder
than listing PaymentIntents and Refunds, and it shows what really reached the balance.
Amounts come from the source (the charge's captured amount, the refund's amount, in the
payment's currency), not from the transaction, whose amount is in the settlement currency
after conversion. `charge`/`payment` count as payments, `refund`/`payment_refund` as
refunds, `refund_failure` gives a refund back; fees, payouts, transfers and dispute
adjustments move the balance but no row of ours and are not compared.

YooKassa: succeeded payments and succeeded refunds created since the date, through the
SDK's `Payment.list` / `Refund.list`, page by page (`next_cursor`).

A provider that cannot be reached leaves a run with status `failed` and a Russian error,
and nothing else; the job (jobs/finance.py) logs it, counts it and alerts.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.formatting import (
    PAYMENT_PROVIDER_LABELS,
    RECONCILIATION_KIND_LABELS,
    RECONCILIATION_STATUS_LABELS,
    RECONCILIATION_SUBJECT_LABELS,
)
from coworking_app.services.accounts.permissions import check_role
from coworking_app.services.common.errors import InvalidInput
from coworking_app.services.finance import ledger
from coworking_app.services.payments.payments import ProviderError, get_provider
from coworking_app.services.payments.yookassa import minor_units
from coworking_app.settings import get_settings
from models import (
    LedgerAccount,
    Payment,
    PaymentStatus,
    ReconciliationItem,
    ReconciliationRun,
    Refund,
    Role,
    User,
)
from coworking_app.i18n import tr

log = logging.getLogger(__name__)

PROVIDERS = ("stripe", "yookassa", "test")
PERIOD_DAYS = 31  # the nightly run's period
MAX_PERIOD_DAYS = 366  # the longest period an operator may ask for
LOOKBACK = timedelta(days=2)
GRACE = timedelta(minutes=15)
MAX_ITEMS = 500  # items kept per run; `mismatches` counts them all
_CHUNK = 1000  # ids per IN (...) look-up

STRIPE_PAYMENT_TYPES = ("charge", "payment")
STRIPE_REFUND_TYPES = ("refund", "payment_refund")
STRIPE_REFUND_FAILURE = "refund_failure"


# --- the provider's records --------------------------------------------------------------------


@dataclass
class Record:
    """One payment or refund as the provider has it (amounts of one id summed)."""

    subject: str  # payment | refund
    reference: str
    currency: str
    amount_minor: int
    created_at: datetime


def _add(records: dict[tuple[str, str], Record], subject: str, reference: str, currency: str,
         amount: int, created_at: datetime) -> None:
    record = records.get((subject, reference))
    if record is None:
        records[(subject, reference)] = Record(subject, reference, currency.upper(), amount, created_at)
    else:
        record.amount_minor += amount
        record.created_at = min(record.created_at, created_at)


def _id(value: object) -> str | None:
    """An expandable field: the id, whether it came expanded or not."""
    return getattr(value, "id", value) if value is not None else None


def stripe_records(transactions: list) -> dict[tuple[str, str], Record]:
    """Stripe's balance transactions (with `source` expanded) as payments and refunds."""
    records: dict[tuple[str, str], Record] = {}
    for txn in transactions:
        kind = getattr(txn, "type", None)
        if kind in STRIPE_PAYMENT_TYPES:
            subject, sign = "payment", 1
        elif kind in STRIPE_REFUND_TYPES:
            subject, sign = "refund", 1
        elif kind == STRIPE_REFUND_FAILURE:
            subject, sign = "refund", -1
        else:
            continue
        created = datetime.fromtimestamp(int(txn.created), timezone.utc)
        source = getattr(txn, "source", None)
        if source is None or isinstance(source, str):  # not expanded: the transaction's own figures
            reference, amount, currency = source or txn.id, abs(int(txn.amount)), txn.currency
        elif subject == "payment":
            reference = _id(getattr(source, "payment_intent", None)) or source.id
            amount = getattr(source, "amount_captured", None) or source.amount
            currency = source.currency
        else:
            reference, amount, currency = source.id, source.amount, source.currency
        _add(records, subject, str(reference), str(currency), sign * int(amount), created)
    return records


def yookassa_records(payments: list[dict], refunds: list[dict]) -> dict[tuple[str, str], Record]:
    records: dict[tuple[str, str], Record] = {}
    for subject, found in (("payment", payments), ("refund", refunds)):
        for obj in found:
            money = obj.get("amount") or {}
            amount = minor_units(money.get("value"))
            created = datetime.fromisoformat(str(obj.get("created_at")).replace("Z", "+00:00"))
            if amount is None:
                log.error("yookassa %s %s has an unreadable amount %r", subject, obj.get("id"), money)
                amount = 0
            _add(records, subject, str(obj["id"]), str(money.get("currency", "")), amount, created)
    return records


def fetch_records(provider: str, since: datetime) -> dict[tuple[str, str], Record] | None:
    """The provider's payments and refunds created since `since`; None for the test
    provider (nothing outside). ProviderError when it cannot be asked."""
    if provider == "test":
        return None
    client = get_provider(provider)  # refuses one that is not configured
    if provider == "stripe":
        return stripe_records(client.balance_transactions(since))
    return yookassa_records(client.succeeded_since("payment", since), client.succeeded_since("refund", since))


# --- our rows ------------------------------------------------------------------------------------


@dataclass
class Ours:
    subject: str
    reference: str
    currency: str
    amount_minor: int = 0
    payment_id: int | None = None
    succeeded: bool = False


def _our_payments(session: Session, provider: str, where) -> list[Ours]:
    rows = session.execute(
        select(Payment.id, Payment.provider_payment_id, Payment.currency, Payment.amount_minor, Payment.status)
        .where(Payment.provider == provider, *where).order_by(Payment.id))
    found: dict[str, Ours] = {}
    for payment_id, reference, currency, amount, status in rows:
        reference = reference or f"#{payment_id}"
        mine = found.setdefault(reference, Ours("payment", reference, currency, payment_id=payment_id))
        if status == PaymentStatus.succeeded.value:
            mine.amount_minor += int(amount)
            mine.succeeded = True
            mine.currency = currency
    return list(found.values())


def _our_refunds(session: Session, provider: str, where) -> list[Ours]:
    rows = session.execute(
        select(Refund.id, Refund.payment_id, Refund.provider_refund_id, Refund.currency, Refund.amount_minor)
        .join(Payment, Payment.id == Refund.payment_id)
        .where(Payment.provider == provider, *where).order_by(Refund.id))
    found: dict[str, Ours] = {}
    for refund_id, payment_id, reference, currency, amount in rows:
        reference = reference or f"#{refund_id}"
        mine = found.setdefault(reference, Ours("refund", reference, currency, payment_id=payment_id,
                                                succeeded=True))
        mine.amount_minor += int(amount)
    return list(found.values())


def _chunks(values: list[str]) -> list[list[str]]:
    return [values[i:i + _CHUNK] for i in range(0, len(values), _CHUNK)]


def our_rows(session: Session, provider: str, since: datetime, now: datetime,
             references: dict[str, list[str]]) -> tuple[dict[tuple[str, str], Ours], set[tuple[str, str]]]:
    """Our payments and refunds of `provider` that the period covers, and those the
    provider named (`references` per subject). Returns them by (subject, reference) and
    the keys of the period's own."""
    in_period = (_our_payments(session, provider, [Payment.status == PaymentStatus.succeeded.value,
                                                   Payment.succeeded_at >= since, Payment.succeeded_at <= now])
                 + _our_refunds(session, provider, [Refund.created_at >= since, Refund.created_at <= now]))
    named: list[Ours] = []
    for chunk in _chunks(references.get("payment", [])):
        named += _our_payments(session, provider, [Payment.provider_payment_id.in_(chunk)])
    for chunk in _chunks(references.get("refund", [])):
        named += _our_refunds(session, provider, [Refund.provider_refund_id.in_(chunk)])
    rows = {(m.subject, m.reference): m for m in named}
    rows.update({(m.subject, m.reference): m for m in in_period})
    return rows, {(m.subject, m.reference) for m in in_period}


def held_by_currency(session: Session, provider: str) -> dict[str, int]:
    """What our succeeded payments of `provider` still hold, per currency: the ledger's
    cash there should be exactly this (ledger.money_held, summed over every booking)."""
    rows = session.execute(
        select(Payment.currency, func.sum(Payment.amount_minor - Payment.refunded_minor))
        .where(Payment.provider == provider, Payment.status == PaymentStatus.succeeded.value)
        .group_by(Payment.currency))
    return {currency: int(amount) for currency, amount in rows}


def ledger_cash(session: Session, provider: str) -> dict[str, int]:
    """The ledger's cash at `provider`, per currency (every `cash:<provider>:<cur>`)."""
    rows = session.execute(select(LedgerAccount.currency, LedgerAccount.code)
                           .where(LedgerAccount.code.startswith(f"cash:{provider}:", autoescape=True)))
    found = {currency: code for currency, code in rows}
    kept = ledger.balances(session, [ledger.cash(provider, cur) for cur in found])
    return {cur: kept[ledger.cash(provider, cur).code] for cur in found}


# --- the comparison ------------------------------------------------------------------------------


@dataclass
class Mismatch:
    kind: str
    subject: str
    reference: str
    currency: str
    ledger_minor: int = 0
    ours_minor: int = 0
    provider_minor: int = 0
    payment_id: int | None = None


@dataclass
class Comparison:
    mismatches: list[Mismatch] = field(default_factory=list)
    totals: list[dict] = field(default_factory=list)
    checked: int = 0


def compare(*, provider: str, cash: dict[str, int], held: dict[str, int],
            records: dict[tuple[str, str], Record] | None, ours: dict[tuple[str, str], Ours],
            in_period: set[tuple[str, str]], since: datetime, now: datetime) -> Comparison:
    """The mismatches and the figures per currency (pure: tests/unit could call it alone)."""
    result = Comparison()
    period_ours: dict[str, int] = defaultdict(int)
    period_provider: dict[str, int] = defaultdict(int)
    for key in in_period:
        mine = ours[key]
        period_ours[mine.currency] += mine.amount_minor if mine.subject == "payment" else -mine.amount_minor
    if records is not None:
        provider_since = since.replace(microsecond=0)  # the providers keep whole seconds
        for key, record in records.items():
            if record.created_at >= provider_since:
                sign = 1 if record.subject == "payment" else -1
                period_provider[record.currency] += sign * record.amount_minor
            mine = ours.get(key)
            if mine is None or not mine.succeeded:
                if record.amount_minor and record.created_at <= now - GRACE:
                    result.mismatches.append(Mismatch(
                        "missing_in_ledger", record.subject, record.reference, record.currency,
                        provider_minor=record.amount_minor, payment_id=mine.payment_id if mine else None))
            elif (mine.amount_minor, mine.currency) != (record.amount_minor, record.currency):
                result.mismatches.append(Mismatch(
                    "amount_differs", record.subject, record.reference, record.currency,
                    ours_minor=mine.amount_minor, provider_minor=record.amount_minor,
                    payment_id=mine.payment_id))
        for key in sorted(in_period - records.keys()):
            mine = ours[key]
            result.mismatches.append(Mismatch(
                "missing_at_provider", mine.subject, mine.reference, mine.currency,
                ours_minor=mine.amount_minor, payment_id=mine.payment_id))
        result.checked = len(records.keys() | in_period)
    currencies = sorted(set(cash) | set(held) | set(period_ours) | set(period_provider))
    for cur in currencies:
        kept, mine = cash.get(cur, 0), held.get(cur, 0)
        if kept != mine:
            result.mismatches.append(Mismatch("ledger_differs", "cash", ledger.cash(provider, cur).code, cur,
                                              ledger_minor=kept, ours_minor=mine))
        result.totals.append({
            "currency": cur, "ledger_minor": kept, "ours_minor": mine,
            "period_ours_minor": period_ours.get(cur, 0),
            "period_provider_minor": None if records is None else period_provider.get(cur, 0)})
    result.checked += len(currencies)
    return result


def _label(provider: str) -> str:
    return PAYMENT_PROVIDER_LABELS.get(provider, provider)


@dataclass(frozen=True)
class Fetched:
    """What the provider said: its records (None for the test provider), or why it could not."""

    records: dict[tuple[str, str], Record] | None
    error: str | None = None


def fetch(provider: str, since: datetime) -> Fetched:
    """The provider's records for the period since `since` (from `since - LOOKBACK`). No
    session: the job asks before it opens its transaction, so none stays open meanwhile."""
    if provider not in PROVIDERS:
        raise InvalidInput("provider", tr("Сверка возможна со Stripe, ЮKassa и тестовой платёжной системой"))
    try:
        return Fetched(fetch_records(provider, since - LOOKBACK))
    except ProviderError as exc:
        log.warning("reconciliation with %s failed: %s", provider, exc.message)
        return Fetched(None, tr("Сверка не выполнена: {reason}", reason=exc.message)[:500])


def do_reconcile(session: Session, provider: str, *, since: datetime, now: datetime,
                 fetched: Fetched | None = None) -> RunView:
    """One provider's reconciliation over the period since `since`: a ReconciliationRun
    with its items (`failed`, with the reason, when the provider could not be asked).
    `fetched`: the provider's answer when the caller asked it already (`fetch`)."""
    fetched = fetched or fetch(provider, since)
    if fetched.error:
        run = ReconciliationRun(provider=provider, status="failed", since_at=since, error=fetched.error)
        session.add(run)
        session.flush()
        return run_view(run, [])
    records = fetched.records
    references: dict[str, list[str]] = defaultdict(list)
    for subject, reference in (records or {}):
        references[subject].append(reference)
    ours, in_period = our_rows(session, provider, since, now, references)
    result = compare(provider=provider, cash=ledger_cash(session, provider),
                     held=held_by_currency(session, provider), records=records, ours=ours,
                     in_period=in_period, since=since, now=now)
    single = result.totals[0] if len(result.totals) == 1 else None
    run = ReconciliationRun(
        provider=provider, status="mismatches" if result.mismatches else "ok", checked=result.checked,
        mismatches=len(result.mismatches), since_at=since, totals=result.totals,
        ledger_minor=single["ledger_minor"] if single else 0,
        provider_minor=(single["period_provider_minor"] or 0) if single else 0)
    session.add(run)
    session.flush()
    items = [ReconciliationItem(run_id=run.id, reference=m.reference[:255], kind=m.kind, subject=m.subject,
                                ledger_minor=m.ledger_minor, ours_minor=m.ours_minor,
                                provider_minor=m.provider_minor, currency=m.currency, payment_id=m.payment_id)
             for m in result.mismatches[:MAX_ITEMS]]
    session.add_all(items)
    session.flush()
    log.info("reconciliation with %s: %s, %d checked, %d mismatches", provider, run.status,
             run.checked, run.mismatches)
    return run_view(run, items)


# --- what the operators see ----------------------------------------------------------------------


@dataclass(frozen=True)
class ItemView:
    kind: str
    kind_label: str
    subject: str
    subject_label: str
    reference: str
    currency: str
    ledger_minor: int
    ours_minor: int
    provider_minor: int
    payment_id: int | None


@dataclass(frozen=True)
class CurrencyTotals:
    currency: str
    ledger_minor: int  # the ledger's cash at the provider
    ours_minor: int  # what our succeeded payments still hold
    period_ours_minor: int  # our payments minus refunds in the period
    period_provider_minor: int | None  # the provider's, same period; None for the test provider


@dataclass(frozen=True)
class RunView:
    id: int
    provider: str
    provider_label: str
    status: str
    status_label: str
    error: str | None
    checked: int
    mismatches: int
    since: datetime | None
    created_at: datetime | None
    totals: list[CurrencyTotals]
    items: list[ItemView]


def run_view(run: ReconciliationRun, items: list[ReconciliationItem]) -> RunView:
    return RunView(
        id=run.id, provider=run.provider, provider_label=_label(run.provider), status=run.status,
        status_label=RECONCILIATION_STATUS_LABELS.get(run.status, run.status), error=run.error,
        checked=run.checked, mismatches=run.mismatches, since=run.since_at, created_at=run.created_at,
        totals=[CurrencyTotals(**t) for t in run.totals or []],
        items=[ItemView(kind=i.kind, kind_label=RECONCILIATION_KIND_LABELS.get(i.kind, i.kind),
                        subject=i.subject, subject_label=RECONCILIATION_SUBJECT_LABELS.get(i.subject, i.subject),
                        reference=i.reference, currency=i.currency, ledger_minor=i.ledger_minor,
                        ours_minor=i.ours_minor, provider_minor=i.provider_minor, payment_id=i.payment_id)
               for i in items])


def access_reconciliation(session: Session, user: User | None) -> list[RunView]:
    """The latest run per provider with its items, for admins and operators."""
    check_role(user, Role.admin, Role.operator)
    latest = (select(func.max(ReconciliationRun.id)).group_by(ReconciliationRun.provider)).scalar_subquery()
    runs = session.scalars(select(ReconciliationRun).where(ReconciliationRun.id.in_(latest))
                           .order_by(ReconciliationRun.provider)).all()
    items: dict[int, list[ReconciliationItem]] = defaultdict(list)
    if runs:
        for item in session.scalars(select(ReconciliationItem)
                                    .where(ReconciliationItem.run_id.in_([r.id for r in runs]))
                                    .order_by(ReconciliationItem.id)):
            items[item.run_id].append(item)
    return [run_view(run, items[run.id]) for run in runs]


# --- when and what to reconcile -------------------------------------------------------------------


def configured_providers() -> list[str]:
    """Stripe when its key is set, YooKassa when its shop and key are, the test provider always."""
    settings = get_settings()
    names = ["stripe"] if settings.stripe_secret_key else []
    if settings.yookassa_shop_id and settings.yookassa_secret_key:
        names.append("yookassa")
    return names + ["test"]


def period_start(day: date | None, now: datetime) -> datetime:
    """The period's first moment: 00:00 of `day` in the report zone, or PERIOD_DAYS ago."""
    if day is None:
        return now - timedelta(days=PERIOD_DAYS)
    zone = ZoneInfo(get_settings().report_timezone)
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(timezone.utc)


@dataclass(frozen=True)
class ReconciliationRequest:
    providers: list[str]
    since: date
    queued: bool = True


def do_request_reconciliation(session: Session, effects: Effects, user: User | None, *,
                              since: date | None = None, provider: str | None = None,
                              now: datetime | None = None) -> ReconciliationRequest:
    """An admin or operator asks for a reconciliation now (the nightly job's, on the ops
    queue): every configured provider, or one; since `since` (default: PERIOD_DAYS ago).
    The same request within a minute is queued once."""
    staff = check_role(user, Role.admin, Role.operator)
    now = now or datetime.now(timezone.utc)
    today = now.astimezone(ZoneInfo(get_settings().report_timezone)).date()
    if since is not None and since > today:
        raise InvalidInput("since", tr("Дата начала сверки не может быть в будущем"))
    if since is not None and (today - since).days > MAX_PERIOD_DAYS:
        raise InvalidInput("since", tr("Сверка охватывает не больше {MAX_PERIOD_DAYS} дней", MAX_PERIOD_DAYS=MAX_PERIOD_DAYS))
    configured = configured_providers()
    if provider is not None and provider not in configured:
        raise InvalidInput("provider", tr("Платёжная система {label} не настроена: сверять не с чем", label=_label(provider)))
    day = since or period_start(None, now).astimezone(ZoneInfo(get_settings().report_timezone)).date()
    effects.queue_job("jobs.finance.reconcile_providers", since.isoformat() if since else None, provider, staff.id,
                      job_id=f"reconcile-{provider or 'all'}-{day.isoformat()}-{now:%Y%m%d%H%M}",
                      timeout=1800, queue="ops")
    return ReconciliationRequest(providers=[provider] if provider else configured, since=day)
