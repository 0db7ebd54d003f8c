"""The bench's hop-by-hop cut of end-to-end latency, read from span files as the services write them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.hops import HOPS, Journeys, SpanTail, summarize
from bench.report.tables import hops_section

MS = 1_000_000


def _span(trace: str, name: str, start_ms: float, end_ms: float, **attributes: str) -> dict:
    return {
        "trace_id": trace,
        "span_id": f"{trace}-{name}",
        "parent_id": None,
        "name": name,
        "service": "nuanxin-x",
        "start_ns": int(start_ms * MS),
        "end_ns": int(end_ms * MS),
        "status": "UNSET",
        "attributes": attributes,
        "links": [],
    }


def _line(span: dict) -> str:
    return json.dumps(span) + "\n"


def test_the_tail_reads_each_whole_line_once_and_waits_for_a_half_written_one(tmp_path: Path):
    first, second, third = (_line(_span(t, "POST /reports", 0, 1)) for t in ("a", "b", "c"))
    path = tmp_path / "spans-1.jsonl"
    path.write_text(first + "not json\n" + second[:20])
    tail = SpanTail(tmp_path)
    assert [s["trace_id"] for s in tail.read_new()] == ["a"]
    with path.open("a") as f:
        f.write(second[20:] + third)
    (tmp_path / "spans-2.jsonl").write_text(first)
    assert sorted(s["trace_id"] for s in tail.read_new()) == ["a", "b", "c"]
    assert list(tail.read_new()) == []


def test_a_reports_hops_are_cut_at_its_span_edges_and_add_up_to_its_latency():
    offset_ns = 5_000 * MS  # wall clock = monotonic + 5 s
    journeys = Journeys()
    journeys.add(
        [
            _span("t1", "POST /reports", 5_102, 5_110, **{"nuanxin.report_id": "r1"}),
            _span("t1", "routing apply nuanxin.report.submitted.v1", 5_150, 5_170),
            _span("t1", "notify apply nuanxin.case.opened.v1", 5_200, 5_205),
            _span("t1", "reports apply nuanxin.case.opened.v1", 5_190, 5_300),  # not a hop
            # r2 never reached notify: it is left out rather than cut short.
            _span("t2", "POST /reports", 5_100, 5_101, **{"nuanxin.report_id": "r2"}),
            _span("t2", "routing apply nuanxin.report.submitted.v1", 5_120, 5_130),
        ]
    )
    sched = {"r1": 0.100, "r2": 0.100, "r3": 0.100}
    connected = {"r1": 0.1015, "r2": 0.100, "r3": 0.100}  # r1 waited 1.5 ms for a connection
    seen = {"r1": 0.212, "r2": 0.300}
    rows = journeys.cut(sched, connected, seen, offset_ns)
    assert len(rows) == 1
    assert rows[0] == pytest.approx([1.5, 0.5, 8, 40, 20, 30, 5, 7])
    assert len(rows[0]) == len(HOPS)
    assert sum(rows[0]) == pytest.approx((seen["r1"] - sched["r1"]) * 1000)


def test_a_report_that_joined_an_open_case_is_cut_at_its_joined_event():
    # "Me too": routing joined r4 to r1's case; notify's span for the case.joined event is in r4's
    # trace, as the case.opened one is in r1's. Both reports are on the stream, so both are cut.
    journeys = Journeys()
    journeys.add(
        [
            _span("t1", "POST /reports", 102, 110, **{"nuanxin.report_id": "r1"}),
            _span("t1", "routing apply nuanxin.report.submitted.v1", 150, 170),
            _span("t1", "notify apply nuanxin.case.opened.v1", 200, 205),
            _span("t4", "POST /reports", 103, 111, **{"nuanxin.report_id": "r4"}),
            _span("t4", "routing apply nuanxin.report.submitted.v1", 150, 170),
            _span("t4", "notify apply nuanxin.case.joined.v1", 200, 206),
            _span("t4", "notify apply nuanxin.case.sla_breached.v1", 900, 901),  # not a hop
        ]
    )
    sched = {"r1": 0.100, "r4": 0.101}
    seen = {"r1": 0.212, "r4": 0.213}
    rows = journeys.cut(sched, sched, seen, 0)
    assert len(rows) == 2
    assert rows[1] == pytest.approx([0, 2, 8, 39, 20, 30, 6, 7])
    assert sum(rows[1]) == pytest.approx((seen["r4"] - sched["r4"]) * 1000)


def test_the_summary_says_what_the_slowest_reports_spent_their_time_on():
    rows = [[0.0, 1.0, 5.0, 40.0, 20.0, 30.0, 5.0, 5.0] for _ in range(199)]
    rows.append([0.0, 1.0, 5.0, 900.0, 20.0, 30.0, 5.0, 5.0])  # one report stuck on the way to routing
    rows.append([0.0, 1.0, 5.0, 40.0, 20.0, 30.0, 5.0, 600.0])  # one stuck on the way to the dashboard
    s = summarize(rows)
    assert s["n"] == 201
    assert s["total_p50_ms"] == pytest.approx(106.0)
    hop = {h["hop"]: h for h in s["hops"]}
    assert hop["to routing"]["p50_ms"] == 40.0
    # The slowest 1 % (2 of 201): the two stuck ones.
    assert hop["to routing"]["tail_mean_ms"] == pytest.approx((900 + 40) / 2)
    assert hop["to the dashboard"]["tail_mean_ms"] == pytest.approx((600 + 5) / 2)
    assert hop["intake"]["tail_mean_ms"] == 5.0
    assert summarize([]) is None


def test_the_report_shows_each_loads_hops_and_says_what_they_are():
    hops = summarize([[2.0, 1.0, 5.0, 40.0, 20.0, 30.0, 5.0, 5.0]] * 10)
    pipe = {
        "rates": [{"offered": 1000.0, "duration_s": 6.0, "hops": hops}, {"offered": 500.0, "hops": None}],
        "sustain_checks": [{"offered": 1000.0, "duration_s": 30.0, "sustain_check": True, "hops": hops}],
    }
    text = "\n".join(hops_section(pipe))
    assert "| 1,000 | 10 | 2 / 2 (2) | 1 / 1 (1) | 5 / 5 (5) | 40 / 40 (40) |" in text
    assert "| 1,000 (30 s) | 10 |" in text
    assert "| 500 |" not in text
    assert all(f"**{name}**" in text for name, _ in HOPS)
    assert hops_section({"rates": [{"offered": 500.0}]}) == []
