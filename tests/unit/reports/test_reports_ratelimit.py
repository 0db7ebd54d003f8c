"""Per-worker rate limit: a burst up to the limit, then refills over time; workers do not share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.reports.domain.ratelimit import Decision, RateLimited, RateLimiter

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def _seconds(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def test_a_burst_up_to_the_limit_is_allowed_then_refused_with_a_wait():
    limiter = RateLimiter(3, timedelta(minutes=1))

    decisions = [limiter.check("w-1", T0) for _ in range(4)]

    assert decisions[:3] == [Decision(True, 0)] * 3
    assert decisions[3] == Decision(False, 20)


def test_one_request_comes_back_each_limit_th_of_the_window():
    limiter = RateLimiter(3, timedelta(minutes=1))
    for _ in range(3):
        limiter.check("w-1", T0)

    assert limiter.check("w-1", _seconds(19)) == Decision(False, 1)
    assert limiter.check("w-1", _seconds(20)).allowed
    assert limiter.check("w-1", _seconds(20)) == Decision(False, 20)


def test_the_full_burst_is_back_after_a_whole_window():
    limiter = RateLimiter(3, timedelta(minutes=1))
    for _ in range(3):
        limiter.check("w-1", T0)

    later = _seconds(60)
    assert [limiter.check("w-1", later).allowed for _ in range(4)] == [True, True, True, False]


def test_refusals_do_not_use_up_the_allowance():
    limiter = RateLimiter(1, timedelta(seconds=10))
    limiter.check("w-1", T0)
    for s in range(1, 10):
        assert not limiter.check("w-1", _seconds(s)).allowed

    assert limiter.check("w-1", _seconds(10)).allowed


def test_retry_after_is_rounded_up_to_a_whole_second():
    limiter = RateLimiter(1, timedelta(seconds=10))
    limiter.check("w-1", T0)

    assert limiter.check("w-1", T0 + timedelta(seconds=9, milliseconds=500)) == Decision(False, 1)


def test_workers_have_their_own_allowance():
    limiter = RateLimiter(1, timedelta(minutes=1))

    assert limiter.check("w-1", T0).allowed
    assert not limiter.check("w-1", T0).allowed
    assert limiter.check("w-2", T0).allowed


def test_workers_whose_allowance_refilled_are_forgotten():
    limiter = RateLimiter(2, timedelta(minutes=1))
    for n in range(100):
        limiter.check(f"w-{n}", T0)
    assert limiter.tracked() == 100

    limiter.check("w-late", _seconds(61))

    assert limiter.tracked() == 1


@pytest.mark.parametrize("limit, per", [(0, timedelta(minutes=1)), (1, timedelta(0))])
def test_nonsense_limits_are_refused(limit, per):
    with pytest.raises(ValueError):
        RateLimiter(limit, per)


def test_rate_limited_says_how_long_to_wait():
    refused = RateLimited(20)

    assert refused.retry_after_s == 20
    assert "20 s" in str(refused)
