"""Sections of report.md: how busy the machine was in each pipeline load; intake's new connections;
PostgreSQL's tables over the pipeline loads."""

from __future__ import annotations

from bench.report.header import busy_machine_line
from bench.report.intake import intake_section
from bench.report.postgres import maintenance_section
from bench.report.tables import pipeline_section


def _load(offered: float, machine: float) -> dict:
    return {
        "offered": offered, "duration_s": 30.0, "accepted_per_s": offered, "intake_p50_ms": 5.0,
        "intake_p99_ms": 20.0, "throughput_per_s": offered, "delivered": 100, "expected": 100,
        "p50_ms": 150.0, "p99_ms": 400.0, "sustained": True, "sustain_check": True,
        "cpu_cores": {"reports": 0.5, "routing": 0.3, "_machine": machine},
        "cpu_ms_per_report": {"reports": 0.5},
    }


def test_each_row_shows_the_machine_busy_beside_its_processes():
    pipe = {
        "rates": [_load(500, 0.91)], "sustain_checks": [_load(1000, 1.95)], "sustain_s": 30.0,
        "sustainable_per_s": 1000.0, "sustainable_is_lower_bound": False, "held_short_per_s": 1000.0,
        "max_throughput_per_s": 1000.0,
    }
    lines = pipeline_section(pipe, None)
    start = next(i for i, line in enumerate(lines) if line.startswith("| offered/s | accepted/s"))
    end = lines.index("", start)
    header, _, *rows = lines[start:end]
    at = [c.strip() for c in header.strip("|").split("|")].index("machine busy, cores")
    assert [[c.strip() for c in row.strip("|").split("|")][at] for row in rows] == ["0.91", "1.95"]


def test_each_row_says_how_many_of_its_reports_joined_an_open_case():
    joined = _load(500, 0.9) | {"joined_case": 1915}
    pipe = {
        "rates": [_load(250, 0.5), joined], "sustain_s": 30.0, "sustainable_per_s": 500.0,
        "sustainable_is_lower_bound": False, "held_short_per_s": 500.0, "max_throughput_per_s": 500.0,
    }
    lines = pipeline_section(pipe, None)
    start = next(i for i, line in enumerate(lines) if line.startswith("| offered/s | accepted/s"))
    header, _, *rows = lines[start:lines.index("", start)]
    at = [c.strip() for c in header.strip("|").split("|")].index("on stream / expected")
    cells = [[c.strip() for c in row.strip("|").split("|")][at] for row in rows]
    assert cells == ["100/100", "100/100 (1,915 me too)"]


def test_the_header_warns_when_something_else_used_the_machine_before_any_load():
    line = busy_machine_line({"broker": 0.07, "reports": 0.01, "others": 0.34})
    assert line is not None and "0.34 cores" in line
    assert busy_machine_line({"broker": 0.11, "others": 0.02}) is None
    assert busy_machine_line(None) is None


def _http(offered: float, per_s: float) -> dict:
    return {"offered": offered, "accepted_per_s": per_s, "p50_ms": 4.0, "p99_ms": 40.0,
            "statuses": {"201": 10}}


def test_the_intake_section_tells_how_new_connections_fared_beside_open_ones():
    it = {
        "rates": {"reports": [_http(2000, 1990)], "bare": [_http(2000, 2000)]},
        "new_connections": {
            "rate": 2400.0, "burst": 150, "open": 20, "new_connect_p50_ms": 3.0, "new_connect_max_ms": 9.0,
            "new_answer_p50_ms": 61.0, "new_answer_p90_ms": 140.0, "new_answer_max_ms": 188.0,
            "new_statuses": {"201": 150}, "open_answer_p50_ms": 35.0, "open_answer_max_ms": 44.0,
            "load": {"accepted_per_s": 2390.0, "p50_ms": 12.0, "p99_ms": 95.0},
        },
    }
    text = "\n".join(intake_section(it, {}, None))
    assert "150 connections opened at once" in text and "2,400/s on intake" in text
    assert "61 / 140 / 188 ms" in text and "35 ms p50, 44 max" in text
    assert "{'201': 150}" in text and "2,390/s" in text
    assert "New connections" not in "\n".join(intake_section({**it, "new_connections": None}, {}, None))


def test_the_maintenance_table_shows_writes_hot_updates_vacuums_and_wal_per_report():
    m = {
        "tables": [
            {"table": "reports.reports", "n_tup_ins": 1000, "n_tup_upd": 1000, "n_tup_hot_upd": 250,
             "n_tup_del": 0, "autovacuum_count": 3, "autoanalyze_count": 4, "live": 1000, "dead": 120,
             "bytes": 3 * 2**20, "vacuum_cpu_s": 0.08, "analyze_cpu_s": 2.11},
            {"table": "routing.inbox", "n_tup_ins": 2000, "n_tup_upd": 0, "n_tup_hot_upd": 0,
             "n_tup_del": 0, "autovacuum_count": 0, "autoanalyze_count": 1, "live": 2000, "dead": 0,
             "bytes": 2**19},
        ],
        "wal": {"wal_records": 50_000, "wal_fpi": 1_200, "wal_bytes": 8 * 2**20},
        "delivered": 1024,
        "autovacuum_cpu_s": 0.08,
        "autoanalyze_cpu_s": 2.11,
        "seconds": 100.0,
    }
    text = "\n".join(maintenance_section(m))
    row = "| `reports.reports` | 1,000 | 1,000 (25 %) | 0 | 3 (0.08 s) | 4 (2.11 s) | 1,000 / 120 | 3.0 MB |"
    assert row in text
    assert "| `routing.inbox` | 2,000 | 0 | 0 | 0 | 1 | 2,000 / 0 | 0.5 MB |" in text
    assert "8.0 KB per delivered report" in text
    assert "1,200 full-page images in 50,000 records" in text
    assert "autovacuum 0.1 s and of autoanalyze 2.1 s over the 100 s of the loads (0.02 cores)" in text
    assert maintenance_section({"tables": []}) == []


def test_intakes_cpu_a_request_adds_its_relay_processs_and_says_how_much_that_was():
    with_relay = _http(2000, 1990) | {"server_cpu_ms_per_request": 0.18, "relay_cpu_ms_per_request": 0.02}
    it = {"rates": {"reports": [with_relay], "bare": [_http(2000, 2000)]}}
    text = "\n".join(intake_section(it, {"reports_relay": "separate"}, None))
    assert "| 0.20 (0.02 relay) |" in text
    assert "relay to Kafka from a process of its own" in text
    alone = "\n".join(intake_section({"rates": {"reports": [_http(2000, 1990)], "bare": []}}, {}, None))
    assert "relay)" not in alone and "from a process of its own" not in alone


def test_intake_rows_charge_the_relay_process_only_to_intake():
    from bench.options import parse_args
    from bench.stages.intake import _with_cpu

    cores = {"reports": 0.9, "relay": 0.1, "bare-endpoint": 0.95}
    intake = _with_cpu({"accepted": 5000}, cores, "reports", 1.0)
    bare = _with_cpu({"accepted": 10000}, cores, "bare-endpoint", 1.0)
    assert (intake["server_cpu_ms_per_request"], intake["relay_cpu_ms_per_request"]) == (0.18, 0.02)
    assert "relay_cpu_ms_per_request" not in bare
    assert "relay_cpu_ms_per_request" not in _with_cpu({"accepted": 5000}, {"reports": 0.9}, "reports", 1.0)
    assert parse_args([]).reports_relay == "separate"
    assert parse_args(["--reports-relay", "in-service"]).reports_relay == "in-service"
    assert parse_args([]).relay_linger_ms == 100
    assert parse_args(["--relay-linger-ms", "50"]).relay_linger_ms == 50
