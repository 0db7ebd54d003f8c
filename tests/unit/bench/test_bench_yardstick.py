"""The machine-speed yardstick: it times real work, and the report says when the machine drifted."""

from __future__ import annotations

import time

import pytest

from bench import yardstick
from bench.report.header import yardstick_line


def test_the_rate_is_events_over_the_time_they_took(monkeypatch: pytest.MonkeyPatch):
    # 10 events a round, each round ~10 ms: at most 1,000 events/s whatever the machine.
    monkeypatch.setattr(yardstick, "_one_round", lambda n: time.sleep(0.01) or n)
    got = yardstick.measure(seconds=0.05, chunk=10)
    assert got["chunks"] >= 3
    assert got["min_per_s"] <= got["events_per_s"] <= got["max_per_s"]
    assert 300 < got["events_per_s"] <= 1_000


def test_a_round_does_the_services_work():
    # Parsing, the event and its partition, a span line: the checksum counts a partition and a
    # ~50-byte JSON line per event, so skipped work would show.
    assert yardstick._one_round(50) >= 50 * 40


def test_measured_in_a_process_of_its_own():
    got = yardstick.measure_apart(0.1)
    assert got is not None
    assert got["events_per_s"] > 0 and got["chunks"] >= 3


def test_the_report_line_lists_each_measurement():
    line = yardstick_line([
        {"at": "start", "events_per_s": 40_000}, {"at": "end", "events_per_s": 38_500},
    ])
    assert line is not None
    assert "start 40,000" in line and "end 38,500" in line
    assert "changed" not in line, "a 4 % change is within a run's noise"


def test_the_report_line_says_when_the_machine_slowed_during_the_run():
    line = yardstick_line([
        {"at": "start", "events_per_s": 40_000},
        {"at": "after the pipeline", "events_per_s": 30_000},
        {"at": "end", "events_per_s": 39_000},
    ])
    assert line is not None and "changed by 25%" in line


def test_no_line_without_measurements():
    assert yardstick_line([]) is None
