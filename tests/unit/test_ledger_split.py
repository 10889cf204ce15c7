"""What a booking means in money, without a database (services/finance/ledger.py): `split`
divides the money a booking keeps between the owner and the platform (commission on the
price before the booking's VAT, the platform's VAT inside its commission), and
`booking_targets` says what the ledger should hold for the booking in each state."""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coworking_app.services.booking.pricing import div_round
from coworking_app.services.finance.ledger import (
    ON_ACCOUNT,
    booking_targets,
    cash,
    owner_payable,
    owner_pending,
    platform,
    split,
    unbilled,
)
from models import Booking, BookingStatus

S = BookingStatus
OWNER = 42
LIVE = (S.pending_payment, S.paid, S.confirmed)
ENDED_WITHOUT_STAY = (S.cancelled, S.no_show, S.expired)


def _booking(status: str, *, vat_bp: int = 0, currency: str = "RUB", company_id: int | None = None) -> Booking:
    return Booking(id=1, user_id=1, space_id=1, resource_id=1, seats=1, status=str(status),
                   timezone="Europe/Moscow", total_minor=0, currency=currency, policy="flexible",
                   price={"vat_rate_bp": vat_bp, "vat_included": True}, company_id=company_id)


def _codes(targets: dict) -> dict[str, int]:
    """The targets by account code, accounts with nothing to hold left out."""
    return {acct.code: amount for acct, amount in targets.items() if amount}


def _sums_by_currency(targets: dict) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for acct, amount in targets.items():
        totals[acct.currency] += amount
    return dict(totals)


# --- split -------------------------------------------------------------------------------


def test_without_vat_the_commission_is_its_rate_of_what_was_kept():
    parts = split(10_000, commission_bp=1500, booking_vat_bp=0, platform_vat_bp=0)
    assert (parts.owner, parts.commission, parts.vat) == (8_500, 1_500, 0)


def test_the_commission_is_taken_from_the_price_before_the_bookings_vat():
    # 12 000 paid with 20 % VAT inside: 10 000 before VAT, 15 % of it is 1 500; the
    # platform's 20 % VAT inside those 1 500 is 250. The booking's VAT stays with the owner.
    parts = split(12_000, commission_bp=1500, booking_vat_bp=2000, platform_vat_bp=2000)
    assert (parts.owner, parts.commission, parts.vat) == (10_500, 1_500, 250)


def test_a_vat_exclusive_price_is_split_like_the_same_total_with_vat_inside():
    # A price shown "plus VAT" (10 000 + 20 %) is paid as 12 000, like an inclusive one:
    # the commission is on the 10 000 either way.
    net = 10_000
    exclusive_total = net + div_round(net * 2000, 10_000)
    assert exclusive_total == 12_000
    parts = split(exclusive_total, commission_bp=1500, booking_vat_bp=2000, platform_vat_bp=2000)
    assert parts.commission == div_round(net * 1500, 10_000) == 1_500
    assert parts == split(12_000, commission_bp=1500, booking_vat_bp=2000, platform_vat_bp=2000)


def test_a_reduced_vat_rate_counts_the_commission_on_a_bigger_base():
    # 10 % VAT inside 11 000: 10 000 before VAT. The platform is not a VAT payer here.
    parts = split(11_000, commission_bp=1500, booking_vat_bp=1000, platform_vat_bp=0)
    assert (parts.owner, parts.commission, parts.vat) == (9_500, 1_500, 0)


def test_no_commission_leaves_everything_to_the_owner():
    parts = split(12_345, commission_bp=0, booking_vat_bp=2000, platform_vat_bp=2000)
    assert (parts.owner, parts.commission, parts.vat) == (12_345, 0, 0)


def test_a_full_commission_takes_the_price_before_vat_and_leaves_the_owner_the_vat():
    parts = split(10_000, commission_bp=10_000, booking_vat_bp=0, platform_vat_bp=2000)
    assert (parts.owner, parts.commission, parts.vat) == (0, 10_000, 1_667)
    with_vat = split(12_000, commission_bp=10_000, booking_vat_bp=2000, platform_vat_bp=0)
    assert (with_vat.owner, with_vat.commission) == (2_000, 10_000)


@pytest.mark.parametrize(("amount", "owner", "commission", "vat"), [
    (0, 0, 0, 0),
    (1, 1, 0, 0),  # 0.15 rounds to 0
    (3, 3, 0, 0),  # 0.45 rounds to 0
    (4, 3, 1, 0),  # 0.6 rounds to 1; 1 / 1.2 = 0.83 rounds to 1: no VAT
    (10, 8, 2, 0),  # 1.5 rounds half up to 2; 2 / 1.2 = 1.67 rounds to 2
    (7, 6, 1, 0),  # 1.05 rounds to 1
    (40, 34, 6, 1),  # 6 / 1.2 = 5
    (99_999, 84_999, 15_000, 2_500),  # 14 999.85 rounds to 15 000
])
def test_rounding_keeps_every_part_whole_and_the_parts_add_up(amount, owner, commission, vat):
    parts = split(amount, commission_bp=1500, booking_vat_bp=0, platform_vat_bp=2000)
    assert (parts.owner, parts.commission, parts.vat) == (owner, commission, vat)
    assert parts.owner + parts.commission == amount


AMOUNTS = st.integers(min_value=0, max_value=10**10)
RATES = st.integers(min_value=0, max_value=10_000)
VAT_RATES = st.integers(min_value=0, max_value=5_000)


@settings(max_examples=400, deadline=None, database=None)
@given(amount=AMOUNTS, commission_bp=RATES, booking_vat_bp=VAT_RATES, platform_vat_bp=VAT_RATES)
def test_the_parts_always_add_up_and_are_never_negative(amount, commission_bp, booking_vat_bp,
                                                        platform_vat_bp):
    parts = split(amount, commission_bp=commission_bp, booking_vat_bp=booking_vat_bp,
                  platform_vat_bp=platform_vat_bp)
    assert parts.owner + parts.commission == amount
    assert parts.owner >= 0 and parts.commission >= 0 and parts.vat >= 0
    assert parts.vat <= parts.commission
    # Within a minor unit of the exact rates (one rounding of the base, one of the rate):
    # the base is off by at most 1/2, so the commission by at most 1/2 * rate + 1/2.
    exact = Fraction(amount * 10_000, 10_000 + booking_vat_bp) * Fraction(commission_bp, 10_000)
    assert abs(parts.commission - exact) <= 1
    exact_vat = Fraction(parts.commission) * Fraction(platform_vat_bp, 10_000 + platform_vat_bp)
    assert abs(parts.vat - exact_vat) <= Fraction(1, 2)


@settings(max_examples=300, deadline=None, database=None)
@given(amount=AMOUNTS, less=st.integers(min_value=1, max_value=10**6), commission_bp=RATES,
       booking_vat_bp=VAT_RATES, platform_vat_bp=VAT_RATES)
def test_keeping_less_never_gives_anyone_more(amount, less, commission_bp, booking_vat_bp, platform_vat_bp):
    """A refund lowers what is kept: neither the owner's share nor the commission nor its
    VAT may grow (the refund after completion takes from each)."""
    rates = dict(commission_bp=commission_bp, booking_vat_bp=booking_vat_bp, platform_vat_bp=platform_vat_bp)
    more, fewer = split(amount + less, **rates), split(amount, **rates)
    assert fewer.owner <= more.owner
    assert fewer.commission <= more.commission
    assert fewer.vat <= more.vat


# --- booking_targets: what the ledger holds for a booking -------------------------------------


TARGET_RATES = dict(owner_id=OWNER, commission_bp=1500, platform_vat_bp=2000)


@pytest.mark.parametrize("status", LIVE)
def test_a_live_booking_defers_both_shares(status):
    targets = booking_targets(_booking(status, vat_bp=2000), {"test": 12_000}, **TARGET_RATES)
    assert _codes(targets) == {
        "cash:test:RUB": 12_000,
        f"owner_pending:{OWNER}:RUB": -10_500,
        "deferred_commission:RUB": -1_500,
    }
    assert targets[owner_pending(OWNER, "RUB")] == -10_500


def test_a_completed_booking_makes_the_owners_share_payable_and_the_commission_revenue():
    targets = booking_targets(_booking(S.completed, vat_bp=2000), {"test": 12_000}, **TARGET_RATES)
    assert _codes(targets) == {
        "cash:test:RUB": 12_000,
        f"owner_payable:{OWNER}:RUB": -10_500,
        "vat_payable:RUB": -250,
        "commission:RUB": -1_250,
    }
    assert targets[owner_payable(OWNER, "RUB")] == -10_500


@pytest.mark.parametrize("status", ENDED_WITHOUT_STAY)
def test_money_kept_by_a_booking_that_did_not_take_place_is_a_penalty(status):
    # A late cancellation that gave back half of 12 000, a no-show fee: the same split,
    # the platform's part is penalty revenue, never commission.
    targets = booking_targets(_booking(status, vat_bp=2000), {"test": 6_000}, **TARGET_RATES)
    assert _codes(targets) == {
        "cash:test:RUB": 6_000,
        f"owner_payable:{OWNER}:RUB": -5_250,
        "vat_payable:RUB": -125,
        "penalties:RUB": -625,
    }


@pytest.mark.parametrize("status", ENDED_WITHOUT_STAY)
def test_a_booking_that_gave_everything_back_holds_nothing(status):
    targets = booking_targets(_booking(status, vat_bp=2000), {"test": 0}, **TARGET_RATES)
    assert _codes(targets) == {}
    assert booking_targets(_booking(status), {}, **TARGET_RATES) == {}


def test_a_refund_after_completion_goes_through_refunds_and_leaves_the_commission_as_earned():
    booking = _booking(S.completed, vat_bp=2000)
    completed = booking_targets(booking, {"test": 12_000}, **TARGET_RATES)
    earned = completed[platform("commission", "RUB")]
    assert earned == -1_250
    # Half of it goes back after the month's statement counted the commission.
    after = booking_targets(booking, {"test": 6_000}, **TARGET_RATES, posted_commission=earned)
    assert _codes(after) == {
        "cash:test:RUB": 6_000,
        f"owner_payable:{OWNER}:RUB": -5_250,  # deducted from what the owner is owed
        "vat_payable:RUB": -125,
        "commission:RUB": -1_250,  # as earned
        "refunds:RUB": 625,  # the commission given back, an expense
    }
    # All of it back: the owner is owed nothing for it, the commission still stands and
    # the refunds carry all of it.
    gone = booking_targets(booking, {"test": 0}, **TARGET_RATES, posted_commission=earned)
    assert _codes(gone) == {"commission:RUB": -1_250, "refunds:RUB": 1_250}


def test_a_completed_booking_without_a_later_refund_has_no_refunds_line():
    booking = _booking(S.completed, vat_bp=2000)
    again = booking_targets(booking, {"test": 12_000}, **TARGET_RATES, posted_commission=-1_250)
    assert "refunds:RUB" not in _codes(again)
    assert again[platform("commission", "RUB")] == -1_250


def test_a_companys_on_account_money_is_its_unbilled_receivable():
    booking = _booking(S.confirmed, company_id=7)
    targets = booking_targets(booking, {ON_ACCOUNT: 10_000}, **TARGET_RATES)
    assert _codes(targets) == {
        "unbilled:7:RUB": 10_000,
        f"owner_pending:{OWNER}:RUB": -8_500,
        "deferred_commission:RUB": -1_500,
    }
    assert unbilled(7, "RUB") in targets and cash(ON_ACCOUNT, "RUB") not in targets
    assert unbilled(7, "RUB").company_id == 7


def test_money_at_two_providers_is_cash_at_each_and_split_once():
    targets = booking_targets(_booking(S.confirmed), {"test": 4_000, "stripe": 6_000}, **TARGET_RATES)
    assert _codes(targets) == {
        "cash:test:RUB": 4_000, "cash:stripe:RUB": 6_000,
        f"owner_pending:{OWNER}:RUB": -8_500, "deferred_commission:RUB": -1_500,
    }


def test_the_accounts_are_in_the_bookings_currency():
    targets = booking_targets(_booking(S.completed, currency="EUR"), {"stripe": 10_000}, **TARGET_RATES)
    assert {acct.currency for acct in targets} == {"EUR"}
    assert _sums_by_currency(targets) == {"EUR": 0}


def test_a_booking_kept_whole_by_a_zero_commission_owes_the_platform_nothing():
    targets = booking_targets(_booking(S.completed, vat_bp=2000), {"test": 12_000},
                              owner_id=OWNER, commission_bp=0, platform_vat_bp=2000)
    assert _codes(targets) == {"cash:test:RUB": 12_000, f"owner_payable:{OWNER}:RUB": -12_000}


def test_the_platforms_own_space_without_vat_keeps_everything_as_commission():
    targets = booking_targets(_booking(S.completed), {"test": 12_000}, owner_id=None,
                              commission_bp=10_000, platform_vat_bp=2000)
    assert _codes(targets) == {"cash:test:RUB": 12_000, "vat_payable:RUB": -2_000,
                               "commission:RUB": -10_000}


@pytest.mark.parametrize("status", (S.confirmed, S.completed))
def test_the_platforms_own_space_with_vat_still_balances(status):
    targets = booking_targets(_booking(status, vat_bp=2000), {"test": 12_000}, owner_id=None,
                              commission_bp=10_000, platform_vat_bp=2000)
    assert _sums_by_currency(targets) == {"RUB": 0}


# --- properties ----------------------------------------------------------------------------


PROVIDERS = st.sampled_from(["test", "stripe", "yookassa", ON_ACCOUNT])
HELD = st.dictionaries(PROVIDERS, st.integers(min_value=0, max_value=10**9), max_size=3)


@st.composite
def _any_booking(draw):
    status = draw(st.sampled_from(list(S)))
    currency = draw(st.sampled_from(["RUB", "EUR", "USD"]))
    booking = _booking(status, vat_bp=draw(VAT_RATES), currency=currency,
                       company_id=draw(st.integers(min_value=1, max_value=10**6)))
    held = draw(HELD)
    # What the completion posted as commission, when a refund came later: a credit of at
    # most the whole commission of what was kept before the refund.
    posted = -draw(st.integers(min_value=0, max_value=10**9)) if status == S.completed else 0
    return booking, held, posted


@settings(max_examples=400, deadline=None, database=None)
@given(case=_any_booking(), commission_bp=RATES, platform_vat_bp=VAT_RATES)
def test_the_targets_of_any_booking_sum_to_zero_per_currency(case, commission_bp, platform_vat_bp):
    booking, held, posted = case
    targets = booking_targets(booking, held, owner_id=OWNER, commission_bp=commission_bp,
                              platform_vat_bp=platform_vat_bp, posted_commission=posted)
    assert all(total == 0 for total in _sums_by_currency(targets).values())
    assert {acct.currency for acct in targets} <= {booking.currency}


@settings(max_examples=400, deadline=None, database=None)
@given(case=_any_booking(), commission_bp=RATES, platform_vat_bp=VAT_RATES)
def test_the_owners_share_and_the_platforms_add_up_to_what_was_kept(case, commission_bp, platform_vat_bp):
    booking, held, posted = case
    targets = booking_targets(booking, held, owner_id=OWNER, commission_bp=commission_bp,
                              platform_vat_bp=platform_vat_bp, posted_commission=posted)
    cur = booking.currency
    kept = sum(held.values())
    cash_held = sum(amount for acct, amount in targets.items()
                    if acct.code.startswith(("cash:", "unbilled:")))
    assert cash_held == kept
    parts = split(kept, commission_bp=commission_bp, booking_vat_bp=booking.price["vat_rate_bp"],
                  platform_vat_bp=platform_vat_bp)
    get = lambda acct: targets.get(acct, 0)  # noqa: E731
    if booking.status in LIVE:
        assert -get(owner_pending(OWNER, cur)) == parts.owner
        assert -get(platform("deferred_commission", cur)) == parts.commission
        assert get(owner_payable(OWNER, cur)) == 0
        return
    # Ended: nothing deferred any more; the owner's share is payable.
    assert get(owner_pending(OWNER, cur)) == 0 and get(platform("deferred_commission", cur)) == 0
    assert -get(owner_payable(OWNER, cur)) == parts.owner
    assert -get(platform("vat_payable", cur)) == parts.vat
    platform_part = (get(platform("commission", cur)) + get(platform("refunds", cur))
                     + get(platform("penalties", cur)))
    assert -platform_part == parts.commission - parts.vat
    assert -(get(owner_payable(OWNER, cur)) + get(platform("vat_payable", cur)) + platform_part) == kept
    if booking.status == S.completed:
        assert get(platform("penalties", cur)) == 0
        if posted:  # a commission already posted is never moved: the difference is a refund
            assert get(platform("commission", cur)) == posted
    else:
        assert get(platform("commission", cur)) == 0 and get(platform("refunds", cur)) == 0
