"""Money after the payment: the double-entry ledger, owner payouts, companies and their
invoices, penalties, provider reconciliation (services/finance/, docs/finance.md).

Amounts are integer minor units with the currency on every line. A journal line's amount is
signed: debit positive, credit negative; each entry's lines add up to zero per currency
(checked before the insert and again by a deferred trigger at commit). Journal rows are
never updated or deleted (a trigger refuses it); a correction is a new entry.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String as sqlalchemy_string,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.common import created_column, updated_column


def _ts(nullable: bool = True) -> Column:
    return Column(DateTime(timezone=True), nullable=nullable)


def _fk(table: str, *, nullable: bool = False, ondelete: str = "RESTRICT", index: bool = False,
        big: bool = False) -> Column:
    return Column(BigInteger if big else Integer, ForeignKey(f"{table}.id", ondelete=ondelete),
                  nullable=nullable, index=index)


def _in(values: type[StrEnum]) -> str:
    return ", ".join(f"'{v.value}'" for v in values)


class AccountKind(StrEnum):
    asset = "asset"
    liability = "liability"
    revenue = "revenue"
    expense = "expense"


class LedgerAccount(SQLModel, table=True):
    """One account of the ledger, per currency: platform cash at each provider, owners'
    pending and payable shares, commission, VAT, penalties, refunds, payouts in transit,
    companies' unbilled and invoiced receivables. `balance_minor` (debit positive) is kept
    by every posting in its transaction; the nightly check compares it with its lines."""

    __tablename__ = "ledger_account"
    __table_args__ = (
        UniqueConstraint("code", name="uq_ledger_account_code"),
        UniqueConstraint("id", "currency", name="uq_ledger_account_id_currency"),
        CheckConstraint(f"kind IN ({_in(AccountKind)})", name="ck_ledger_account_kind"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="ck_ledger_account_currency"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=80)  # e.g. "owner_payable:42:RUB", "cash:stripe:RUB"
    kind: str = Field(max_length=12)
    currency: str = Field(max_length=3)
    owner_id: int | None = Field(default=None, sa_column=_fk("app_user", nullable=True, index=True))
    company_id: int | None = Field(default=None, sa_column=_fk("company", nullable=True, index=True))
    balance_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    created_at: datetime | None = Field(default=None, sa_column=created_column())


class JournalEntry(SQLModel, table=True):
    """One financial event: a payment captured, a refund, a booking completed, a penalty,
    a payout, an invoice issued or paid. `effective_at` is when it counts for statements
    and invoices (a completion counts at the booking's end); `created_at` when written."""

    __tablename__ = "journal_entry"
    __table_args__ = (
        Index("ix_journal_entry_effective_at", "effective_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    kind: str = Field(max_length=24)
    booking_id: int | None = Field(default=None, sa_column=_fk("booking", nullable=True, index=True))
    payout_id: int | None = Field(default=None, sa_column=_fk("payout", nullable=True, index=True))
    invoice_id: int | None = Field(default=None, sa_column=_fk("invoice", nullable=True, index=True))
    penalty_id: int | None = Field(default=None, sa_column=_fk("penalty", nullable=True))
    plan_purchase_id: int | None = Field(default=None, sa_column=_fk("plan_purchase", nullable=True, index=True))
    actor_id: int | None = Field(default=None, sa_column=_fk("app_user", nullable=True))
    memo: str = Field(default="", max_length=255)
    effective_at: datetime = Field(sa_column=_ts(nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=created_column())


class JournalLine(SQLModel, table=True):
    __tablename__ = "journal_line"
    __table_args__ = (
        # The line's currency is its account's: (account_id, currency) must exist together.
        ForeignKeyConstraint(["account_id", "currency"],
                             ["ledger_account.id", "ledger_account.currency"],
                             name="fk_journal_line_account_currency"),
        CheckConstraint("amount_minor <> 0", name="ck_journal_line_amount"),
        Index("ix_journal_line_account_entry", "account_id", "entry_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    entry_id: int = Field(sa_column=Column(BigInteger, ForeignKey("journal_entry.id"),
                                           nullable=False, index=True))
    account_id: int = Field(sa_column=Column(Integer, nullable=False))
    currency: str = Field(max_length=3)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))


class OwnerFinance(SQLModel, table=True):
    """An owner's money settings: the commission an admin set for them (none: the
    default of the settings) and the bank details payouts go to (editable by the owner
    only, shown masked)."""

    __tablename__ = "owner_finance"
    __table_args__ = (
        CheckConstraint("commission_bp IS NULL OR (commission_bp >= 0 AND commission_bp <= 10000)",
                        name="ck_owner_finance_commission"),
    )

    owner_id: int = Field(sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="CASCADE"),
                                           primary_key=True))
    commission_bp: int | None = None
    payee_name: str = Field(default="", max_length=200)
    payee_inn: str = Field(default="", max_length=12)
    bank_name: str = Field(default="", max_length=200)
    bank_bik: str = Field(default="", max_length=9)
    bank_account: str = Field(default="", max_length=20)
    bank_corr_account: str = Field(default="", max_length=20)
    updated_at: datetime | None = Field(default=None, sa_column=updated_column())


class PayoutStatus(StrEnum):
    pending = "pending"  # sent to the bank, waiting for an admin to confirm
    paid = "paid"
    failed = "failed"
    rolled_over = "rolled_over"  # below the minimum: stays in the balance for next month


class Payout(SQLModel, table=True):
    """One owner's month: the statement (its figures and PDF) and the transfer."""

    __tablename__ = "payout"
    __table_args__ = (
        UniqueConstraint("owner_id", "period_start", "currency", name="uq_payout_owner_period"),
        CheckConstraint(f"status IN ({_in(PayoutStatus)})", name="ck_payout_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(sa_column=_fk("app_user", index=True))
    number: int
    period_start: date = Field(sa_column=Column(Date, nullable=False))
    period_end: date = Field(sa_column=Column(Date, nullable=False))  # inclusive
    currency: str = Field(max_length=3)
    status: str = Field(default=PayoutStatus.pending.value, max_length=12)
    carried_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    gross_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    commission_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    refunds_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    penalties_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    amount_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    bank_masked: str = Field(default="", max_length=120)
    bank_reference: str | None = Field(default=None, max_length=120)
    failure_reason: str | None = Field(default=None, max_length=500)
    pdf: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime | None = Field(default=None, sa_column=created_column())
    settled_at: datetime | None = Field(default=None, sa_column=_ts())
    settled_by: int | None = Field(default=None, sa_column=_fk("app_user", nullable=True))


class PenaltyKind(StrEnum):
    late_cancellation = "late_cancellation"
    no_show = "no_show"


class PenaltyStatus(StrEnum):
    charged = "charged"
    waived = "waived"


class Penalty(SQLModel, table=True):
    """A fee kept under the space's policy: a late cancellation or a no-show."""

    __tablename__ = "penalty"
    __table_args__ = (
        UniqueConstraint("booking_id", "kind", name="uq_penalty_booking_kind"),
        CheckConstraint(f"kind IN ({_in(PenaltyKind)})", name="ck_penalty_kind"),
        CheckConstraint(f"status IN ({_in(PenaltyStatus)})", name="ck_penalty_status"),
        CheckConstraint("amount_minor > 0", name="ck_penalty_amount"),
    )

    id: int | None = Field(default=None, primary_key=True)
    booking_id: int = Field(sa_column=_fk("booking", index=True))
    kind: str = Field(max_length=20)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    status: str = Field(default=PenaltyStatus.charged.value, max_length=10)
    waived_by: int | None = Field(default=None, sa_column=_fk("app_user", nullable=True))
    waive_reason: str | None = Field(default=None, max_length=500)
    waived_at: datetime | None = Field(default=None, sa_column=_ts())
    created_at: datetime | None = Field(default=None, sa_column=created_column())


class Company(SQLModel, table=True):
    """A company whose members book on its account and pay by weekly invoice."""

    __tablename__ = "company"
    __table_args__ = (
        CheckConstraint("credit_limit_minor >= 0", name="ck_company_credit_limit"),
        CheckConstraint("vat_status IN ('vat', 'no_vat')", name="ck_company_vat_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    inn: str = Field(max_length=12, index=True)
    kpp: str | None = Field(default=None, max_length=9)
    address: str = Field(max_length=500)
    billing_email: str = Field(max_length=254)
    currency: str = Field(default="RUB", max_length=3)
    credit_limit_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    vat_status: str = Field(default="vat", max_length=8)
    timezone: str = Field(default="Europe/Moscow", max_length=64)
    created_by: int | None = Field(default=None, sa_column=_fk("app_user", nullable=True))
    created_at: datetime | None = Field(default=None, sa_column=created_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_column())


class CompanyMember(SQLModel, table=True):
    __tablename__ = "company_member"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'member')", name="ck_company_member_role"),
        CheckConstraint("monthly_limit_minor IS NULL OR monthly_limit_minor >= 0",
                        name="ck_company_member_limit"),
    )

    company_id: int = Field(sa_column=Column(Integer, ForeignKey("company.id", ondelete="CASCADE"),
                                             primary_key=True))
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="CASCADE"),
                                          primary_key=True, index=True))
    role: str = Field(default="member", max_length=8)
    monthly_limit_minor: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime | None = Field(default=None, sa_column=created_column())


class CompanyInvitation(SQLModel, table=True):
    __tablename__ = "company_invitation"
    __table_args__ = (
        Index("uq_company_invitation_open", "company_id", text("lower(email)"), unique=True,
              postgresql_where=text("accepted_at IS NULL AND revoked_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(sa_column=_fk("company", ondelete="CASCADE", index=True))
    email: str = Field(max_length=254)
    role: str = Field(default="member", max_length=8)
    monthly_limit_minor: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    token_digest: str = Field(max_length=64, unique=True)
    invited_by: int | None = Field(default=None, sa_column=_fk("app_user", nullable=True))
    expires_at: datetime = Field(sa_column=_ts(nullable=False))
    accepted_at: datetime | None = Field(default=None, sa_column=_ts())
    revoked_at: datetime | None = Field(default=None, sa_column=_ts())
    created_at: datetime | None = Field(default=None, sa_column=created_column())


class InvoiceStatus(StrEnum):
    issued = "issued"
    paid = "paid"


class Invoice(SQLModel, table=True):
    """A company's weekly invoice (счёт на оплату), numbered without gaps."""

    __tablename__ = "invoice"
    __table_args__ = (
        UniqueConstraint("number", name="uq_invoice_number"),
        UniqueConstraint("company_id", "period_start", name="uq_invoice_company_period"),
        CheckConstraint(f"status IN ({_in(InvoiceStatus)})", name="ck_invoice_status"),
        CheckConstraint("amount_minor > 0", name="ck_invoice_amount"),
        Index("ix_invoice_open_due", "due_date", postgresql_where=text("status = 'issued'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(sa_column=_fk("company", index=True))
    number: int
    period_start: date = Field(sa_column=Column(Date, nullable=False))
    period_end: date = Field(sa_column=Column(Date, nullable=False))  # inclusive
    issued_at: datetime = Field(sa_column=_ts(nullable=False))
    due_date: date = Field(sa_column=Column(Date, nullable=False))
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    vat_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    status: str = Field(default=InvoiceStatus.issued.value, max_length=8)
    paid_at: datetime | None = Field(default=None, sa_column=_ts())
    paid_by: int | None = Field(default=None, sa_column=_fk("app_user", nullable=True))
    payment_method: str | None = Field(default=None, max_length=16)  # bank_transfer | card
    payment_reference: str | None = Field(default=None, max_length=120)
    reminded_at: datetime | None = Field(default=None, sa_column=_ts())
    pdf: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime | None = Field(default=None, sa_column=created_column())


class InvoiceLine(SQLModel, table=True):
    __tablename__ = "invoice_line"

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(sa_column=_fk("invoice", ondelete="CASCADE", index=True))
    booking_id: int | None = Field(default=None, sa_column=_fk("booking", nullable=True, index=True))
    description: str = Field(max_length=300)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    vat_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class ReconciliationRun(SQLModel, table=True):
    """One comparison of the ledger's cash at a provider with our payment rows and the
    provider's own records (services/finance/reconciliation.py). `totals` holds the figures
    per currency; `ledger_minor`/`provider_minor` repeat them when the run saw one currency."""

    __tablename__ = "reconciliation_run"

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=16)
    status: str = Field(default="ok", max_length=12)  # ok | mismatches | failed
    checked: int = 0
    mismatches: int = 0
    ledger_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    provider_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    error: str | None = Field(default=None, max_length=500)
    # The provider's records compared were those made since then (our rows: succeeded since).
    since_at: datetime | None = Field(default=None, sa_column=_ts())
    # [{"currency", "ledger_minor", "ours_minor", "period_ours_minor", "period_provider_minor"}]
    totals: list = Field(default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]"))
    created_at: datetime | None = Field(default=None, sa_column=created_column())


class ReconciliationItem(SQLModel, table=True):
    __tablename__ = "reconciliation_item"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(sa_column=_fk("reconciliation_run", ondelete="CASCADE", index=True))
    reference: str = Field(max_length=255)  # the provider's payment/refund id; the cash account's code
    # missing_in_ledger | missing_at_provider | amount_differs | ledger_differs
    kind: str = Field(max_length=24)
    subject: str = Field(default="payment", max_length=8,  # payment | refund | cash
                         sa_column_kwargs={"server_default": "payment"})
    ledger_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    ours_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    provider_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    payment_id: int | None = Field(default=None, sa_column=_fk("payment", nullable=True))


class LedgerDaySpace(SQLModel, table=True):
    """The ledger's booking money per report-zone day, space and currency, kept by every
    posting in its own transaction (services/finance/ledger.py `do_post`): what the
    dashboards' money figures read, so any period is a range of small rows. Equal to a
    recount of the journal (tests/services/finance/test_ledger_days.py)."""

    __tablename__ = "ledger_day_space"
    __table_args__ = (
        # An owner's or one space's days: their own rows, not every space's of the period.
        Index("ix_ledger_day_space_space_day", "space_id", "day",
              postgresql_include=["currency", "earned_minor", "received_minor"]),
    )

    day: date = Field(sa_column=Column(Date, primary_key=True))
    space_id: int = Field(sa_column=Column(Integer, ForeignKey("space.id", ondelete="CASCADE"), primary_key=True))
    currency: str = Field(sa_column=Column("currency", sqlalchemy_string(3), primary_key=True))
    # Money taken from renters and companies, less refunds (cash and on-account lines).
    received_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    # Revenue recognized: completed stays and penalties at their full price, less refunds
    # after completion (the owners' share, the commission and its VAT).
    earned_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    # The platform's part of it, VAT apart (commission, penalties' share, less refunds of it).
    commission_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))


class LedgerDayCity(SQLModel, table=True):
    """`ledger_day_space` summed per city (the network's and a city's dashboards read a few
    rows a day); kept by the same postings."""

    __tablename__ = "ledger_day_city"

    day: date = Field(sa_column=Column(Date, primary_key=True))
    city_id: int = Field(sa_column=Column(Integer, primary_key=True))  # 0: a space with no city
    currency: str = Field(sa_column=Column("currency", sqlalchemy_string(3), primary_key=True))
    received_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    earned_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    commission_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))


class LedgerMonthSpace(SQLModel, table=True):
    """`ledger_day_space` by report-zone month: the top spaces of a long period read whole
    months here and only the period's edge days there. Kept by the same postings."""

    __tablename__ = "ledger_month_space"
    __table_args__ = (
        Index("ix_ledger_month_space_space_month", "space_id", "month",
              postgresql_include=["currency", "earned_minor"]),
    )

    month: date = Field(sa_column=Column(Date, primary_key=True))
    space_id: int = Field(sa_column=Column(Integer, ForeignKey("space.id", ondelete="CASCADE"), primary_key=True))
    currency: str = Field(sa_column=Column("currency", sqlalchemy_string(3), primary_key=True))
    received_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    earned_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    commission_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
