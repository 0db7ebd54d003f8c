"""The bench's reading of each service's batches from /metrics, and the report's table of them."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from bench.batches import during, parse
from bench.report.batches import batches_section
from shared.telemetry.metrics import ServiceMetrics


def _exposition(observations: dict[tuple[str, str], list[float]], records: dict[tuple[str, str], int]) -> str:
    """A real registry, as a process running routing and notify exposes it."""
    registry = CollectorRegistry()
    for (service, topic), seconds in observations.items():
        metrics = ServiceMetrics(service, registry)
        for s in seconds:
            metrics.consumer_batch_seconds.labels(service, topic).observe(s)
    for (service, outcome), n in records.items():
        ServiceMetrics(service, registry).events_in.labels(service, "nuanxin.reports", outcome).inc(n)
    return generate_latest(registry).decode()


def test_a_services_batches_are_summed_over_its_topics_and_nobody_elses():
    text = _exposition(
        {("routing", "nuanxin.reports"): [0.1, 0.3], ("routing", "nuanxin.volunteers"): [0.05],
         ("notify", "nuanxin.cases"): [2.0]},
        {("routing", "applied"): 40, ("routing", "duplicate"): 2, ("notify", "applied"): 7},
    )
    assert parse(text, "routing") == pytest.approx({"batches": 3, "seconds": 0.45, "records": 42})
    assert parse(text, "notify") == pytest.approx({"batches": 1, "seconds": 2.0, "records": 7})
    assert parse(text, "reports") == {"batches": 0, "seconds": 0, "records": 0}


def test_between_two_scrapes():
    before = {"routing": {"batches": 10, "seconds": 1.0, "records": 100},
              "notify": {"batches": 5, "seconds": 0.2, "records": 50}}
    after = {"routing": {"batches": 30, "seconds": 4.0, "records": 2100},
             "notify": {"batches": 5, "seconds": 0.2, "records": 50},
             "reports": {"batches": 9, "seconds": 0.9, "records": 90}}
    got = during(before, after, seconds=5.0)
    assert got["routing"] == pytest.approx(
        {"batches": 20, "per_s": 4.0, "records_per_batch": 100.0, "ms_per_batch": 150.0, "busy_share": 0.6}
    )
    # No batch in between (notify), or no reading before (reports): nothing to say.
    assert set(got) == {"routing"}


def test_the_report_row_per_load():
    loads = [
        {"offered": 1000, "duration_s": 6, "batches": {
            "routing": {"batches": 20, "per_s": 2.3, "records_per_batch": 273.4, "ms_per_batch": 265.2,
                        "busy_share": 0.61}}},
        {"offered": 1000, "duration_s": 30, "sustain_check": True, "batches": {}},
        {"offered": 500, "duration_s": 30, "sustain_check": True, "batches": {
            "notify": {"batches": 9, "per_s": 10.5, "records_per_batch": 37.0, "ms_per_batch": 30.0,
                       "busy_share": 0.32}}},
    ]
    lines = batches_section(loads)
    assert "| offered/s | routing | notify | reports |" in lines
    assert "| 1,000 | 2.3/s × 273, 265 ms, 61 % | - | - |" in lines
    assert "| 500 (30 s) | - | 10.5/s × 37, 30 ms, 32 % | - |" in lines
    assert len([x for x in lines if x.startswith("| 1,000")]) == 1, "a load without batches has no row"
    assert batches_section([{"offered": 250, "duration_s": 6}]) == []
