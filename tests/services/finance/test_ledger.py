"""The ledger on PostgreSQL (services/finance/ledger.py and the journal's rules in migration
fc854c22184b): an unbalanced entry is refused by the service and, if written by hand, by
the database at commit; journal rows are never changed or deleted; kept balances equal the
sum of their lines, and `ledger_check` finds one that does not. Then a booking's money
through the services, in figures: paid, completed, refunded after completion, cancelled
late, a no-show, rejected.

Postings made here for the ledger's own rules are in XTS (ISO 4217's code for testing),
so they never mix with the accounts real bookings move; every test leaves the shared test
database balanced (the tampering test restores what it changed, in a `finally`)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from coworking_app.db import get_engine
from coworking_app.services.booking import bookings as svc
from coworking_app.services.finance.ledger import (
    Difference,
    LedgerError,
    balance,
    balances,
    cash,
    do_post,
    ledger_check,
    owner_payable,
    owner_pending,
    platform,
)
from coworking_app.services.payments.payments import do_refund_booking
from coworking_app.settings import get_settings
from coworking_app.uow import run_use_case
from models import Booking, Company, CompanyMember, JournalEntry, OwnerFinance, Penalty, User
from tests.booking_auth import signed_in
from tests.booking_helpers import in_days, local, make_bookable
from tests.ledger_helpers import (
    book,
    booking_lines,
    held_by_payments,
    kept_and_counted,
    pay,
    set_commission,
    set_space,
)
from tests.uow_helpers import transaction

XTS = "XTS"
CASH = cash("lab", XTS)
COMMISSION = platform("commission", XTS)
VAT = platform("vat_payable", XTS)


def _counts(s: Session) -> tuple[int, int, int]:
    return tuple(int(s.scalar(text(f"SELECT count(*) FROM {table}")))
                 for table in ("journal_entry", "journal_line", "ledger_account"))


def _post_xts(amount: int = 1_000, memo: str = "ledger test") -> int:
    """A balanced XTS entry, committed: the entry's id."""
    with transaction() as s:
        return do_post(s, None, "test", [(CASH, amount), (COMMISSION, -amount)], memo=memo)


def _assert_balanced() -> None:
    with transaction() as s:
        check = ledger_check(s)
    assert check.balanced, check.differences


# --- the ledger's own rules -------------------------------------------------------------------


def test_an_unbalanced_entry_is_refused_and_nothing_is_written(world):
    _post_xts()  # the accounts exist: a refusal must not move their balances either
    with Session(get_engine()) as s:
        before = _counts(s), balances(s, [CASH, COMMISSION])
        with pytest.raises(LedgerError, match="does not balance"):
            do_post(s, None, "test", [(CASH, 100), (COMMISSION, -99)])
        # Zero in total but not per currency: refused too.
        with pytest.raises(LedgerError, match="does not balance"):
            do_post(s, None, "test", [(CASH, 100), (cash("lab", "XXX"), -100)])
        assert (_counts(s), balances(s, [CASH, COMMISSION])) == before
        s.rollback()


def test_a_posting_merges_its_lines_and_moves_the_kept_balances(world):
    with transaction() as s:
        before = balances(s, [CASH, COMMISSION, VAT])
        entry_id = do_post(s, None, "test", [(CASH, 700), (CASH, 300), (COMMISSION, -850), (VAT, -150),
                                              (platform("refunds", XTS), 0)], memo="merged")
        lines = s.execute(text("SELECT a.code, l.amount_minor, l.currency FROM journal_line l "
                               "JOIN ledger_account a ON a.id = l.account_id WHERE l.entry_id = :e "
                               "ORDER BY a.code"), {"e": entry_id}).all()
        assert [tuple(row) for row in lines] == [("cash:lab:XTS", 1000, XTS), ("commission:XTS", -850, XTS),
                                                 ("vat_payable:XTS", -150, XTS)]
        after = balances(s, [CASH, COMMISSION, VAT])
        assert {code: after[code] - before[code] for code in after} == {
            "cash:lab:XTS": 1000, "commission:XTS": -850, "vat_payable:XTS": -150}
        assert balance(s, VAT) == after["vat_payable:XTS"]
        assert balance(s, platform("payouts_in_transit", "XTS")) == 0  # never posted to
        # Lines that cancel out leave nothing to post: no entry at all.
        counts = _counts(s)
        assert do_post(s, None, "test", [(CASH, 5), (CASH, -5)]) is None
        assert _counts(s) == counts
    with transaction() as s:
        kept = kept_and_counted(s, "a.currency = :c", {"c": XTS})
        assert kept and all(k == c for k, c in kept.values()), kept
        assert s.get(JournalEntry, entry_id).memo == "merged"


@pytest.mark.parametrize("statement", [
    "UPDATE journal_line SET amount_minor = amount_minor + 1 WHERE entry_id = :e",
    "DELETE FROM journal_line WHERE entry_id = :e",
    "UPDATE journal_entry SET memo = 'поправка задним числом' WHERE id = :e",
    "DELETE FROM journal_entry WHERE id = :e",
])
def test_journal_rows_are_never_changed_or_deleted(world, statement):
    entry_id = _post_xts(memo="append-only")
    with get_engine().connect() as conn:
        with pytest.raises(IntegrityError, match="never changed or deleted"):
            conn.execute(text(statement), {"e": entry_id})
        conn.rollback()
    with transaction() as s:
        rows = s.execute(text("SELECT amount_minor FROM journal_line WHERE entry_id = :e ORDER BY amount_minor"),
                         {"e": entry_id}).scalars().all()
        assert rows == [-1000, 1000]
        assert s.get(JournalEntry, entry_id).memo == "append-only"
    _assert_balanced()


def _insert_entry(s: Session, memo: str) -> int:
    return s.execute(text("INSERT INTO journal_entry (kind, memo, effective_at) VALUES "
                          "('test', :m, now()) RETURNING id"), {"m": memo}).scalar_one()


def _insert_line(s: Session, entry_id: int, code: str, currency: str, amount: int) -> None:
    s.execute(text("INSERT INTO journal_line (entry_id, account_id, currency, amount_minor) "
                   "SELECT :e, id, :c, :a FROM ledger_account WHERE code = :code"),
              {"e": entry_id, "c": currency, "a": amount, "code": code})


def test_the_database_refuses_an_unbalanced_entry_written_by_hand_at_commit(world):
    _post_xts()
    with transaction() as s:
        do_post(s, None, "test", [(cash("lab", "XXX"), 1), (platform("commission", "XXX"), -1)])
    for lines in ([("cash:lab:XTS", XTS, 100)],
                  [("cash:lab:XTS", XTS, 100), ("commission:XTS", XTS, -99)],
                  # zero in total, but not in each currency
                  [("cash:lab:XTS", XTS, 100), ("cash:lab:XXX", "XXX", -100)]):
        with Session(get_engine()) as s:
            entry_id = _insert_entry(s, "by hand")
            for code, currency, amount in lines:
                _insert_line(s, entry_id, code, currency, amount)
            # Deferred: the rows are in until the commit, and the check sees the entry.
            check = ledger_check(s)
            assert not check.balanced
            assert any(d.kind == "entry_unbalanced" and d.reference.startswith(f"{entry_id}:")
                       for d in check.differences)
            with pytest.raises(IntegrityError, match=f"journal entry {entry_id} does not balance"):
                s.commit()
            s.rollback()
        with transaction() as s:
            assert s.get(JournalEntry, entry_id) is None
    # Balanced by hand, line by line: accepted (the trigger waits for the whole entry).
    with transaction() as s:
        entry_id = _insert_entry(s, "by hand, balanced")
        _insert_line(s, entry_id, "cash:lab:XTS", XTS, 100)
        _insert_line(s, entry_id, "commission:XTS", XTS, -100)
        s.execute(text("UPDATE ledger_account SET balance_minor = balance_minor + "
                       "CASE code WHEN 'cash:lab:XTS' THEN 100 ELSE -100 END "
                       "WHERE code IN ('cash:lab:XTS', 'commission:XTS')"))
    _assert_balanced()


def test_a_line_in_another_currency_than_its_account_is_refused(world):
    _post_xts()
    with Session(get_engine()) as s:
        entry_id = _insert_entry(s, "wrong currency")
        with pytest.raises(IntegrityError, match="fk_journal_line_account_currency"):
            _insert_line(s, entry_id, "cash:lab:XTS", "RUB", 100)
        s.rollback()


def test_the_check_finds_a_kept_balance_that_differs_from_its_lines(world):
    _post_xts()
    with transaction() as s:
        check = ledger_check(s)
        kept = balance(s, CASH)
        accounts = int(s.scalar(text("SELECT count(*) FROM ledger_account")))
    assert check.balanced, check.differences
    assert check.accounts_checked == accounts and check.entries_checked >= 1
    tamper = "UPDATE ledger_account SET balance_minor = balance_minor + :d WHERE code = 'cash:lab:XTS'"
    with transaction() as s:
        s.execute(text(tamper), {"d": 7})
    try:
        with transaction() as s:  # another transaction, as the nightly job would read it
            check = ledger_check(s)
        assert not check.balanced
        assert set(check.differences) == {
            Difference("account_balance", "cash:lab:XTS", kept + 7, kept),
            Difference("currency_unbalanced", XTS, 0, 7),
        }
    finally:
        with transaction() as s:
            s.execute(text(tamper), {"d": -7})
    _assert_balanced()


@pytest.mark.parametrize("table", ["owner_finance", "company_member"])
def test_the_audited_finance_rows_keyed_without_an_id_can_be_written(world, table):
    user_id, _ = signed_in("owner")
    with Session(get_engine()) as s:
        if table == "owner_finance":
            s.add(OwnerFinance(owner_id=user_id, commission_bp=1000))
        else:
            company = Company(name="ООО «Ромашка»", inn="7723456782", address="Москва, ул. Тверская, 1",
                              billing_email="buh@example.com")
            s.add(company)
            s.flush()
            s.add(CompanyMember(company_id=company.id, user_id=user_id, role="member"))
        try:
            s.flush()
        finally:
            s.rollback()


# --- a booking's money through the services, in figures -------------------------------------


_SLOT = iter(range(10_000))


def _slot(hours: int = 2) -> tuple:
    """A free two-hour slot of its own, days ahead (no two tests share one)."""
    n = next(_SLOT)
    day = in_days(8 + n // 5)
    start = local(day, 8 + 2 * (n % 5))
    return start, start + timedelta(hours=hours)


def _booking(booking_id: int) -> Booking:
    with transaction() as s:
        return s.get(Booking, booking_id)


def _lines(booking_id: int) -> dict[str, int]:
    with transaction() as s:
        return booking_lines(s, booking_id)


def _entries(booking_id: int) -> list[JournalEntry]:
    with transaction() as s:
        return list(s.scalars(select(JournalEntry).where(JournalEntry.booking_id == booking_id)
                              .order_by(JournalEntry.id)))


def _owner_accounts_match(owner_id: int) -> None:
    with transaction() as s:
        accounts = kept_and_counted(s, "a.owner_id = :o", {"o": owner_id})
    assert accounts and all(k == c for k, c in accounts.values()), accounts


def _complete(booking: Booking) -> None:
    run_use_case(lambda s, fx: svc.do_complete_past(s, fx, now=booking.end_at + timedelta(minutes=1)))


def test_a_paid_booking_defers_both_shares_and_its_completion_makes_them_earned(world):
    assert get_settings().platform_commission_bp == 1500 and get_settings().platform_vat_bp == 2000
    b = make_bookable(vat_rate_bp=2000, vat_included=True)
    renter_id, _ = signed_in()
    start, end = _slot()
    booking_id = book(renter_id, b.desk_id, start, end)  # 2 h × 300 ₽, 20 % VAT inside
    assert _lines(booking_id) == {} and _entries(booking_id) == []  # a hold moves no money
    pay(renter_id, booking_id)
    owner = b.owner_id
    # 600 ₽ is 500 ₽ before VAT: 15 % of it, 75 ₽, is the platform's (12.50 ₽ VAT inside).
    assert _lines(booking_id) == {"cash:test:RUB": 60_000, f"owner_pending:{owner}:RUB": -52_500,
                                  "deferred_commission:RUB": -7_500}
    assert [e.kind for e in _entries(booking_id)] == ["payment"]
    assert _booking(booking_id).commission_bp == 1500
    _owner_accounts_match(owner)

    booking = _booking(booking_id)
    _complete(booking)
    assert _booking(booking_id).status == "completed"
    assert _lines(booking_id) == {"cash:test:RUB": 60_000, f"owner_payable:{owner}:RUB": -52_500,
                                  "vat_payable:RUB": -1_250, "commission:RUB": -6_250}
    completion = _entries(booking_id)[-1]
    assert completion.kind == "completion" and completion.effective_at == booking.end_at
    with transaction() as s:
        assert balance(s, owner_pending(owner, "RUB")) == 0  # this owner's only booking
        assert balance(s, owner_payable(owner, "RUB")) == -52_500
    _owner_accounts_match(owner)

    # 200 ₽ go back after the stay (a goodwill refund): the owner's share shrinks, the
    # month's commission stays as earned and the platform's part goes through `refunds`.
    run_use_case(lambda s, fx: do_refund_booking(s, fx, s.get(Booking, booking_id), 20_000,
                                                 reason="возврат после визита"))
    assert _lines(booking_id) == {"cash:test:RUB": 40_000, f"owner_payable:{owner}:RUB": -35_000,
                                  "vat_payable:RUB": -833, "commission:RUB": -6_250, "refunds:RUB": 2_083}
    assert [e.kind for e in _entries(booking_id)] == ["payment", "completion", "refund"]
    with transaction() as s:
        assert held_by_payments(s, booking_id) == 40_000
    _owner_accounts_match(owner)
    _assert_balanced()


def test_the_commission_is_fixed_when_the_first_money_arrives(world):
    b = make_bookable()
    set_commission(b.owner_id, 1000)  # an admin's 10 % for this owner
    renter_id, _ = signed_in()
    booking_id = book(renter_id, b.desk_id, *_slot())
    pay(renter_id, booking_id)
    set_commission(b.owner_id, 3000)  # changed later: the booking keeps its rate
    booking = _booking(booking_id)
    assert booking.commission_bp == 1000
    _complete(booking)
    assert _lines(booking_id) == {"cash:test:RUB": 60_000, f"owner_payable:{b.owner_id}:RUB": -54_000,
                                  "vat_payable:RUB": -1_000, "commission:RUB": -5_000}
    _assert_balanced()


def _cancel(user_id: int, booking_id: int, *, hours_before: float, reason: str | None = None):
    booking = _booking(booking_id)
    now = booking.start_at - timedelta(hours=hours_before)
    return run_use_case(lambda s, fx: svc.do_cancel_booking(s, fx, s.get(User, user_id), booking_id,
                                                            reason=reason, now=now))


def _penalty_entry(booking_id: int) -> JournalEntry:
    """The entry of the booking that credits `penalties`."""
    with transaction() as s:
        entry_id = s.scalar(text(
            "SELECT e.id FROM journal_entry e JOIN journal_line l ON l.entry_id = e.id "
            "JOIN ledger_account a ON a.id = l.account_id "
            "WHERE e.booking_id = :b AND a.code LIKE 'penalties:%' AND l.amount_minor < 0"), {"b": booking_id})
        return s.get(JournalEntry, entry_id)


def test_a_late_cancellation_keeps_its_fee_as_a_penalty(world):
    b = make_bookable()  # flexible: half back between 24 h and 2 h before the start
    renter_id, _ = signed_in()
    booking_id = book(renter_id, b.desk_id, *_slot())
    pay(renter_id, booking_id)
    _, refunded = _cancel(renter_id, booking_id, hours_before=12)
    assert refunded == 30_000
    with transaction() as s:
        penalty = s.scalars(select(Penalty).where(Penalty.booking_id == booking_id)).one()
        assert (penalty.kind, penalty.amount_minor, penalty.status) == ("late_cancellation", 30_000, "charged")
        assert held_by_payments(s, booking_id) == 30_000
    # 15 % of the fee is the platform's penalty revenue (VAT inside), the rest the owner's.
    assert _lines(booking_id) == {"cash:test:RUB": 30_000, f"owner_payable:{b.owner_id}:RUB": -25_500,
                                  "vat_payable:RUB": -750, "penalties:RUB": -3_750}
    _owner_accounts_match(b.owner_id)
    _assert_balanced()


def test_a_cancellation_too_late_for_any_refund_names_its_penalty(world):
    b = make_bookable()
    renter_id, _ = signed_in()
    booking_id = book(renter_id, b.desk_id, *_slot())
    pay(renter_id, booking_id)
    _, refunded = _cancel(renter_id, booking_id, hours_before=1)
    assert refunded == 0
    with transaction() as s:
        penalty = s.scalars(select(Penalty).where(Penalty.booking_id == booking_id)).one()
    assert penalty.amount_minor == 60_000
    entry = _penalty_entry(booking_id)
    assert entry.kind == "cancellation" and entry.penalty_id == penalty.id
    _assert_balanced()


@pytest.mark.parametrize("how", ["late_cancellation", "no_show"])
def test_the_entry_that_books_a_partly_refunded_fee_names_its_penalty(world, how):
    b = make_bookable()
    set_space(b.space_id, no_show_fee_percent=40)
    renter_id, _ = signed_in()
    booking_id = book(renter_id, b.desk_id, *_slot())
    pay(renter_id, booking_id)
    if how == "late_cancellation":
        _cancel(renter_id, booking_id, hours_before=12)  # 50 % back
    else:
        start = _booking(booking_id).start_at
        run_use_case(lambda s, fx: svc.do_mark_no_show(s, fx, s.get(User, b.owner_id), booking_id,
                                                       now=start + timedelta(minutes=30)))
    with transaction() as s:
        penalty = s.scalars(select(Penalty).where(Penalty.booking_id == booking_id)).one()
    assert penalty.kind == how
    assert _penalty_entry(booking_id).penalty_id == penalty.id


@pytest.mark.parametrize(("fee_percent", "kept"), [(100, 60_000), (30, 18_000), (0, 0)])
def test_a_no_show_keeps_the_spaces_fee_and_gives_back_the_rest(world, fee_percent, kept):
    b = make_bookable()
    set_space(b.space_id, no_show_fee_percent=fee_percent)
    renter_id, _ = signed_in()
    booking_id = book(renter_id, b.desk_id, *_slot())
    pay(renter_id, booking_id)
    start = _booking(booking_id).start_at
    run_use_case(lambda s, fx: svc.do_mark_no_show(s, fx, s.get(User, b.owner_id), booking_id,
                                                   now=start + timedelta(minutes=30)))
    booking = _booking(booking_id)
    assert booking.status == "no_show" and booking.refunded_minor == 60_000 - kept
    with transaction() as s:
        penalties = s.scalars(select(Penalty).where(Penalty.booking_id == booking_id)).all()
        assert held_by_payments(s, booking_id) == kept
    assert [(p.kind, p.amount_minor) for p in penalties] == ([("no_show", kept)] if kept else [])
    lines = _lines(booking_id)
    if kept:
        commission = kept * 15 // 100
        vat = {60_000: 1_500, 18_000: 450}[kept]
        assert lines == {"cash:test:RUB": kept, f"owner_payable:{b.owner_id}:RUB": commission - kept,
                         "vat_payable:RUB": -vat, "penalties:RUB": vat - commission}
    else:
        assert lines == {}  # all of it back: the ledger holds nothing for the booking
    _owner_accounts_match(b.owner_id)
    _assert_balanced()


def test_a_rejected_booking_leaves_nothing_in_the_ledger(world):
    b = make_bookable(instant_book=False, vat_rate_bp=2000, vat_included=False)
    renter_id, _ = signed_in()
    booking_id = book(renter_id, b.desk_id, *_slot())
    pay(renter_id, booking_id)
    assert _booking(booking_id).status == "paid"
    assert _lines(booking_id)[f"owner_pending:{b.owner_id}:RUB"] == -63_000  # 720 ₽ (600 + 20 % VAT) less 15 % of 600
    run_use_case(lambda s, fx: svc.do_reject_booking(s, fx, s.get(User, b.owner_id), booking_id,
                                                     "Не работаем в этот день"))
    assert _lines(booking_id) == {}
    assert [e.kind for e in _entries(booking_id)] == ["payment", "rejection"]
    with transaction() as s:
        assert s.scalars(select(Penalty).where(Penalty.booking_id == booking_id)).all() == []
    _owner_accounts_match(b.owner_id)
    _assert_balanced()
