"""Which statements took PostgreSQL's time during a stage (pg_stat_statements, when loaded), and
what its tables were written and vacuumed meanwhile (pg_stat_user_tables, pg_stat_wal)."""

from __future__ import annotations

import re
from pathlib import Path

import asyncpg

_SPACES = re.compile(r"\s+")


async def reset(url: str) -> str | None:
    """Start counting from zero; the reason when pg_stat_statements is not available."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        await conn.execute("SELECT pg_stat_statements_reset()")
    except asyncpg.PostgresError as exc:
        return f"pg_stat_statements not available: {exc}"
    finally:
        await conn.close()
    return None


async def top(url: str, limit: int = 12) -> dict:
    """This database's statements by total execution time since ``reset``, and the totals."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT query, calls, total_exec_time, rows, shared_blks_hit + shared_blks_read AS blocks "
            "FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
            "WHERE d.datname = current_database() ORDER BY total_exec_time DESC"
        )
    except asyncpg.PostgresError as exc:
        return {"error": str(exc)}
    finally:
        await conn.close()
    total_ms = sum(r["total_exec_time"] for r in rows)
    return {
        "total_exec_ms": total_ms,
        "total_calls": sum(r["calls"] for r in rows),
        "statements": [
            {
                "query": _SPACES.sub(" ", r["query"]).strip()[:160],
                "calls": r["calls"],
                "total_ms": r["total_exec_time"],
                "mean_ms": r["total_exec_time"] / r["calls"] if r["calls"] else 0.0,
                "rows": r["rows"],
                "blocks": r["blocks"],
            }
            for r in rows[:limit]
        ],
    }


_TABLES = (
    "SELECT schemaname || '.' || relname AS name, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del, "
    "n_live_tup, n_dead_tup, autovacuum_count, autoanalyze_count, "
    "pg_total_relation_size(relid) AS bytes FROM pg_stat_user_tables"
)
_COUNTS = ("n_tup_ins", "n_tup_upd", "n_tup_hot_upd", "n_tup_del", "autovacuum_count", "autoanalyze_count")


async def tables(url: str) -> dict:
    """Each table's cumulative writes and maintenance, and the WAL written so far, in this database."""
    conn = await asyncpg.connect(url)
    try:
        # Counters reach the shared statistics when a backend flushes them (at most once a
        # second while it is busy); ask for a fresh read rather than this transaction's cache.
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        rows = await conn.fetch(_TABLES)
        try:
            wal = await conn.fetchrow(
                "SELECT wal_records, wal_fpi, wal_bytes::bigint AS wal_bytes FROM pg_stat_wal"
            )
        except asyncpg.PostgresError:  # before PostgreSQL 14
            wal = None
    finally:
        await conn.close()
    return {
        "tables": {r["name"]: dict(r) for r in rows},
        "wal": dict(wal) if wal else None,
    }


def maintenance(before: dict, after: dict, cpu: dict | None = None, limit: int = 12) -> dict:
    """What each table was written and vacuumed between two ``tables`` snapshots, busiest first.

    Autovacuum and autoanalyze run in worker processes that exit when done: their CPU is
    PostgreSQL's (the sampler charges exited children to their parent) but no statement's; ``cpu``
    (``autovacuum_cpu``) says how much each table's took, when the server's log was read.
    """
    cpu = cpu or {}
    old = before.get("tables", {})
    rows = []
    for name, now in after.get("tables", {}).items():
        was = old.get(name, {})
        delta = {k: now[k] - was.get(k, 0) for k in _COUNTS}
        if not any(delta.values()):
            continue
        spent = cpu.get(name, {})
        rows.append(
            {"table": name, **delta, "live": now["n_live_tup"], "dead": now["n_dead_tup"],
             "bytes": now["bytes"], "vacuum_cpu_s": spent.get("vacuum_cpu_s"),
             "analyze_cpu_s": spent.get("analyze_cpu_s")}
        )
    rows.sort(
        key=lambda r: (
            (r["vacuum_cpu_s"] or 0.0) + (r["analyze_cpu_s"] or 0.0),
            r["autovacuum_count"] + r["autoanalyze_count"],
            r["n_tup_ins"] + r["n_tup_upd"],
        ),
        reverse=True,
    )
    out: dict = {"tables": rows[:limit]}
    if cpu:
        out["autovacuum_cpu_s"] = sum(t["vacuum_cpu_s"] for t in cpu.values())
        out["autoanalyze_cpu_s"] = sum(t["analyze_cpu_s"] for t in cpu.values())
    w0, w1 = before.get("wal"), after.get("wal")
    if w0 and w1:
        out["wal"] = {k: w1[k] - w0[k] for k in ("wal_records", "wal_fpi", "wal_bytes")}
    return out


_ENTRY = re.compile(r"\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)")
_RUN = re.compile(r'automatic (vacuum|analyze) of table "([^"]+)"')
_CPU = re.compile(r"CPU: user: ([\d.]+) s, system: ([\d.]+) s")


def log_offset(path: Path | None) -> int:
    """Where the server's log ends now: read ``autovacuum_cpu`` from here on."""
    return path.stat().st_size if path is not None and path.exists() else 0


def autovacuum_cpu(path: Path | None, offset: int, database: str) -> dict[str, dict[str, float]]:
    """CPU seconds and runs of autovacuum and autoanalyze per table of ``database``, from the log.

    Needs ``log_autovacuum_min_duration=0``: each run is then logged with its CPU time. Tables are
    named "schema.table"; an empty answer when there is no log to read.
    """
    if path is None or not path.exists():
        return {}
    with path.open("rb") as log:
        log.seek(offset)
        text = log.read().decode(errors="replace")
    out: dict[str, dict[str, float]] = {}
    for entry in _ENTRY.split(text):
        run, cpu = _RUN.search(entry), _CPU.search(entry)
        if run is None or cpu is None:
            continue
        db, _, table = run.group(2).partition(".")
        if db != database:
            continue
        row = out.setdefault(
            table, {"vacuum_runs": 0, "vacuum_cpu_s": 0.0, "analyze_runs": 0, "analyze_cpu_s": 0.0}
        )
        row[f"{run.group(1)}_runs"] += 1
        row[f"{run.group(1)}_cpu_s"] += float(cpu.group(1)) + float(cpu.group(2))
    return out
