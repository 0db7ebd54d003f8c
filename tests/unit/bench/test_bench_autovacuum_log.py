"""The bench reads what autovacuum and autoanalyze cost from PostgreSQL's log, per table."""

from __future__ import annotations

from bench.pgstat import autovacuum_cpu, log_offset, maintenance

BEFORE = """2026-12-01 18:20:00.100 UTC [1] LOG:  automatic analyze of table "bench_x.notify.feed"
\tavg read rate: 1.000 MB/s, avg write rate: 0.000 MB/s
\tsystem usage: CPU: user: 9.00 s, system: 0.00 s, elapsed: 9.00 s
"""
AFTER = """2026-12-01 18:20:12.815 UTC [18016] LOG:  automatic analyze of table "bench_x.notify.feed"
\tavg read rate: 21.3 MB/s, avg write rate: 0.000 MB/s
\tbuffer usage: 3201 hits, 12 misses, 0 dirtied
\tsystem usage: CPU: user: 0.15 s, system: 0.02 s, elapsed: 0.31 s
2026-12-01 18:20:13.002 UTC [18017] LOG:  automatic vacuum of table "bench_x.reports.outbox": index scans: 1
\tpages: 78 removed, 0 remain, 78 scanned (100.00% of total)
\tsystem usage: CPU: user: 0.01 s, system: 0.00 s, elapsed: 0.02 s
2026-12-01 18:20:13.500 UTC [21064] LOG:  checkpoint starting: wal
2026-12-01 18:20:14.100 UTC [18020] LOG:  automatic analyze of table "bench_x.notify.feed"
\tsystem usage: CPU: user: 0.20 s, system: 0.01 s, elapsed: 0.40 s
2026-12-01 18:20:14.200 UTC [18021] LOG:  automatic analyze of table "other_db.notify.feed"
\tsystem usage: CPU: user: 5.00 s, system: 0.00 s, elapsed: 5.00 s
2026-12-01 18:20:15.000 UTC [18022] FATAL:  terminating autovacuum process due to administrator command
"""


def test_runs_and_cpu_per_table_of_this_database_from_where_the_log_stood(tmp_path):
    log = tmp_path / "server.log"
    log.write_text(BEFORE)
    offset = log_offset(log)
    with log.open("a") as out:
        out.write(AFTER)
    found = autovacuum_cpu(log, offset, "bench_x")
    assert set(found) == {"notify.feed", "reports.outbox"}, "other databases and runs before are left out"
    feed = found["notify.feed"]
    assert (feed["analyze_runs"], feed["vacuum_runs"]) == (2, 0)
    assert abs(feed["analyze_cpu_s"] - 0.38) < 1e-9
    assert found["reports.outbox"]["vacuum_runs"] == 1
    assert abs(found["reports.outbox"]["vacuum_cpu_s"] - 0.01) < 1e-9


def test_no_log_no_figures(tmp_path):
    assert log_offset(None) == 0
    assert autovacuum_cpu(None, 0, "bench_x") == {}
    assert autovacuum_cpu(tmp_path / "missing.log", 0, "bench_x") == {}


def test_the_tables_that_cost_most_come_first_with_the_totals():
    def snap(ins: dict[str, int]) -> dict:
        return {
            "tables": {
                name: {"n_tup_ins": n, "n_tup_upd": 0, "n_tup_hot_upd": 0, "n_tup_del": 0,
                       "autovacuum_count": 0, "autoanalyze_count": n // 100, "n_live_tup": n,
                       "n_dead_tup": 0, "bytes": 8192}
                for name, n in ins.items()
            },
            "wal": {"wal_records": 0, "wal_fpi": 0, "wal_bytes": 0},
        }

    cpu = {
        "notify.feed": {"vacuum_runs": 0, "vacuum_cpu_s": 0.0, "analyze_runs": 2, "analyze_cpu_s": 0.4},
        "routing.inbox": {"vacuum_runs": 1, "vacuum_cpu_s": 0.1, "analyze_runs": 9, "analyze_cpu_s": 0.05},
    }
    m = maintenance(snap({}), snap({"routing.inbox": 900, "notify.feed": 200, "quiet.t": 0}), cpu)
    assert [t["table"] for t in m["tables"]] == ["notify.feed", "routing.inbox"]
    assert m["tables"][0]["analyze_cpu_s"] == 0.4
    assert abs(m["autovacuum_cpu_s"] - 0.1) < 1e-9 and abs(m["autoanalyze_cpu_s"] - 0.45) < 1e-9
