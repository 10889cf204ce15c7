"""Attempt limits in the cache Redis (services/accounts/ratelimit.py): how many get through, how long
the refused wait, several limits at once, and attempts that are given back. The limits as
people meet them (sign-in, sign-up, messages): test_accounts_api.py, test_messages.py."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from coworking_app.db import get_cache_redis
from coworking_app.services.accounts import ratelimit
from coworking_app.services.common.errors import RateLimited


@pytest.fixture()
def key(world):
    return f"test:{uuid.uuid4().hex}"


def _count(key: str) -> int:
    return int(get_cache_redis().get(f"ratelimit:{key}") or 0)


def test_the_limit_lets_exactly_that_many_through_then_says_how_long_to_wait(key):
    for _ in range(3):
        ratelimit.do_take(key, 3, window_seconds=120)
    with pytest.raises(RateLimited) as refused:
        ratelimit.do_take(key, 3, window_seconds=120, message="Слишком много попыток входа")
    assert 1 <= refused.value.retry_after <= 120
    assert refused.value.message == "Слишком много попыток входа"
    assert refused.value.wait_text.startswith("Слишком много попыток входа. Попробуйте через 2 минуты")
    assert _count(key) == 3  # the refused attempt is not counted: the window ends on time
    assert 0 < get_cache_redis().ttl(f"ratelimit:{key}") <= 120


def test_several_limits_count_together_all_or_none(key):
    account, address = f"{key}:account", f"{key}:ip"
    ratelimit.do_take([(account, 2), (address, 100)])
    ratelimit.do_take([(account, 2), (address, 100)])
    with pytest.raises(RateLimited):
        ratelimit.do_take([(account, 2), (address, 100)])
    assert (_count(account), _count(address)) == (2, 2)  # the refusal took nothing from either
    ratelimit.do_take([])  # nothing to count: allowed


def test_an_attempt_given_back_and_a_cleared_limit(key):
    ratelimit.do_take(key, 1)
    ratelimit.do_give_back([key])
    ratelimit.do_take(key, 1)  # the first one did not count
    with pytest.raises(RateLimited):
        ratelimit.do_take(key, 1)
    ratelimit.do_clear([key])
    ratelimit.do_take(key, 1)  # a successful sign-in, say, clears the account's counter


def test_twenty_attempts_at_once_let_exactly_the_limit_through(key):
    def attempt(_n) -> bool:
        try:
            ratelimit.do_take(key, 5, window_seconds=60)
            return True
        except RateLimited:
            return False

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(attempt, range(20)))
    assert results.count(True) == 5 and _count(key) == 5
