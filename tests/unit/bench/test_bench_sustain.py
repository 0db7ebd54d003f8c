"""The sustain check's choice of the next load to hold for 30 s."""

from __future__ import annotations

from bench.sustain import next_rate

HELD_SHORT = [500.0, 1000.0, 2000.0]  # the 6-s loads that held (5,000/s did not)


def _run(holds_up_to: float, tries: int = 3, held_short=HELD_SHORT) -> list[tuple[float, bool]]:
    """The checks the bench would run against a stack that holds every load up to a rate."""
    checks: list[tuple[float, bool]] = []
    for _ in range(tries):
        rate = next_rate(held_short, checks)
        if rate is None:
            break
        checks.append((rate, rate <= holds_up_to))
    return checks


def test_the_first_try_is_the_highest_load_held_over_six_seconds_and_if_it_holds_that_is_all():
    assert _run(holds_up_to=2500) == [(2000.0, True)]


def test_after_a_failure_the_range_is_halved_geometrically_not_dropped_to_the_next_held_load():
    # The check up to 6abd1a9 went 2,000 (no) -> 1,000 (yes): the answer was a whole step low.
    assert _run(holds_up_to=1800) == [(2000.0, False), (1410.0, True), (1680.0, True)]
    assert _run(holds_up_to=1500) == [(2000.0, False), (1410.0, True), (1680.0, False)]


def test_when_the_middle_fails_too_it_falls_back_to_the_next_load_held_over_six_seconds():
    assert _run(holds_up_to=1200) == [(2000.0, False), (1410.0, False), (1000.0, True)]
    assert _run(holds_up_to=700, tries=4) == [
        (2000.0, False), (1410.0, False), (1000.0, False), (500.0, True)
    ]


def test_it_stops_when_the_range_is_narrow_and_never_offers_a_rate_nothing_held_below():
    # 1,680 held, 1,830 failed: 1,830 / 1,680 < 1.15, nothing left worth a try.
    checks = [(2000.0, False), (1410.0, True), (1680.0, True), (1830.0, False)]
    assert next_rate(HELD_SHORT, checks) is None
    assert next_rate([], []) is None
    assert next_rate([1000.0], [(1000.0, False)]) is None


def test_a_narrow_gap_to_the_held_load_below_tries_that_load_itself():
    assert _run(holds_up_to=1800, held_short=[1000.0, 1800.0, 1950.0]) == [
        (1950.0, False), (1800.0, True)
    ]
