"""The span micro-benchmark measures both tracers through the services' export pipeline."""

from __future__ import annotations

from bench.spans import measure


def test_both_tracers_are_timed_with_their_export():
    cost = measure(spans=200, rounds=1)
    assert set(cost) == {"sdk", "lean"}
    assert all(0 < us < 10_000 for us in cost.values()), cost
