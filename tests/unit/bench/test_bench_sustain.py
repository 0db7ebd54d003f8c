"""The sustain check's choice of the next load to hold for 30 s."""

from __future__ import annotations

from bench.options import Options
from bench.sustain import next_rate

HELD_SHORT = [500.0, 1000.0, 2000.0]  # the 6-s loads that held (5,000/s did not)
TRIES = Options().sustain_tries


def _run(holds_up_to: float, held_short=HELD_SHORT, tries: int = TRIES) -> list[tuple[float, bool]]:
    """The checks the bench would run against a stack that holds every load up to a rate."""
    checks: list[tuple[float, bool]] = []
    for _ in range(tries):
        rate = next_rate(held_short, checks)
        if rate is None:
            break
        checks.append((rate, rate <= holds_up_to))
    return checks


def _found(checks: list[tuple[float, bool]]) -> float:
    return max((rate for rate, ok in checks if ok), default=0.0)


def test_the_first_try_is_the_highest_load_held_over_six_seconds_and_if_it_holds_that_is_all():
    assert _run(holds_up_to=2500) == [(2000.0, True)]


def test_after_a_failure_it_finds_a_floor_then_narrows_the_range_above_it():
    # Up to 6abd1a9 the check stopped at the floor: 2,000 (no) -> 1,000 (yes), a whole step low.
    assert _run(holds_up_to=1800) == [(2000.0, False), (1000.0, True), (1410.0, True), (1680.0, True)]
    assert _run(holds_up_to=1500) == [(2000.0, False), (1000.0, True), (1410.0, True), (1680.0, False)]
    assert _run(holds_up_to=1150) == [(2000.0, False), (1000.0, True), (1410.0, False), (1190.0, False)]


def _old(held_short, holds_up_to: float, tries: int) -> float:
    """What the check up to 6abd1a9 found: the held 6-s loads highest first, the first that holds."""
    tried = sorted(held_short, reverse=True)[:tries]
    return next((rate for rate in tried if rate <= holds_up_to), 0.0)


def test_it_never_finds_less_than_going_down_the_held_loads_did_with_as_many_tries():
    held_short = [250.0, 500.0, 1000.0, 2000.0, 2510.0]
    for tries in range(1, TRIES + 1):
        for holds_up_to in (100, 300, 700, 999, 1000, 1200, 1409, 1700, 1999, 2000, 2400, 3000):
            found = _found(_run(holds_up_to, held_short, tries))
            assert found >= _old(held_short, holds_up_to, tries), (tries, holds_up_to)
    # The default of four tries against the old default of three: never less, often more.
    for holds_up_to in (300, 700, 1200, 1800, 2400):
        assert _found(_run(holds_up_to)) >= _old(HELD_SHORT, holds_up_to, 3)
    assert _found(_run(holds_up_to=1800)) == 1680.0  # the old check: 1,000
    assert _found(_run(holds_up_to=700)) == 500.0  # 2,000 and 1,000 fail; 500 holds
    assert _found(_run(holds_up_to=300)) == 0.0  # nothing held over 6 s holds for 30 s


def test_it_stops_when_the_range_is_narrow_or_nothing_is_left_below():
    # 1,680 held, 1,830 failed: 1,830 / 1,680 < 1.15, nothing left worth a try.
    assert next_rate(HELD_SHORT, [(2000.0, False), (1680.0, True), (1830.0, False)]) is None
    assert next_rate([], []) is None
    assert next_rate([1000.0], [(1000.0, False)]) is None
    # At low rates the middle rounded to 10/s may land on an end: not a new rate, so no try.
    assert next_rate([50.0, 60.0], [(60.0, False), (50.0, True)]) is None


def test_a_held_rate_above_a_failure_does_not_count_as_the_floor_below_it():
    # Defensive: the check's own order never produces this (every rate it tries lies below every
    # failure). Were 1,000 to fail after 1,410 held, the range to look in is below 1,000.
    checks = [(2000.0, False), (1410.0, True), (1000.0, False)]
    assert next_rate(HELD_SHORT, checks) == 500.0
