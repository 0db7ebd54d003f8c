"""Report sections on PostgreSQL over the pipeline loads: its statements, its tables' upkeep, its WAL."""

from __future__ import annotations


def statements_section(stats: dict | None) -> list[str]:
    """The statements that took PostgreSQL's execution time over all pipeline loads."""
    if not stats:
        return []
    if "error" in stats:
        return [f"PostgreSQL statements: not measured ({stats['error']}).", ""]
    note = "Execution time only (pg_stat_statements): parsing, commits and WAL writes are not in it."
    L = [
        f"PostgreSQL statements over all pipeline loads: {stats['total_calls']:,} calls, "
        f"{stats['total_exec_ms']:,.0f} ms executing. {note}",
        "",
        "| share | total ms | calls | mean ms | rows | statement |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    total = stats["total_exec_ms"] or 1.0
    for x in stats["statements"]:
        query = x["query"].replace("|", "\\|")
        L.append(
            f"| {100 * x['total_ms'] / total:.1f}% | {x['total_ms']:,.0f} | {x['calls']:,} | "
            f"{x['mean_ms']:.3f} | {x['rows']:,} | `{query}` |"
        )
    L.append("")
    return L


def _cpu_s(seconds: float | None) -> str:
    return "" if seconds is None else f" ({seconds:.2f} s)"


def maintenance_section(m: dict | None) -> list[str]:
    """What the pipeline loads wrote to each table, how often autovacuum came, and the WAL."""
    if not m or not m.get("tables"):
        return []
    delivered = m.get("delivered") or 0
    L = [
        "PostgreSQL's tables over all pipeline loads (pg_stat_user_tables): rows written, and how often "
        "autovacuum and autoanalyze ran on each (with their CPU, when the server's log says it). Their "
        "workers exit when done, so their CPU is in \"postgres\" above but in no statement.",
        "",
        "| table | inserted | updated (HOT) | deleted | autovacuum | autoanalyze "
        "| live / dead rows at the end | size |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for t in m["tables"]:
        hot = f" ({100 * t['n_tup_hot_upd'] / t['n_tup_upd']:.0f} %)" if t["n_tup_upd"] else ""
        L.append(
            f"| `{t['table']}` | {t['n_tup_ins']:,} | {t['n_tup_upd']:,}{hot} | {t['n_tup_del']:,} | "
            f"{t['autovacuum_count']}{_cpu_s(t.get('vacuum_cpu_s'))} | "
            f"{t['autoanalyze_count']}{_cpu_s(t.get('analyze_cpu_s'))} | {t['live']:,} / {t['dead']:,} | "
            f"{t['bytes'] / 2**20:,.1f} MB |"
        )
    if m.get("autovacuum_cpu_s") is not None and m.get("seconds"):
        vac, ana, secs = m["autovacuum_cpu_s"], m["autoanalyze_cpu_s"], m["seconds"]
        L += [
            "",
            f"CPU of autovacuum {vac:,.1f} s and of autoanalyze {ana:,.1f} s over the {secs:,.0f} s of "
            f"the loads ({(vac + ana) / secs:.2f} cores), from the server's log "
            "(`log_autovacuum_min_duration=0`).",
        ]
    wal = m.get("wal")
    if wal and delivered:
        L += [
            "",
            f"WAL written (the whole server): {wal['wal_bytes'] / 2**20:,.0f} MB, "
            f"{wal['wal_bytes'] / delivered / 1024:.1f} KB per delivered report; "
            f"{wal['wal_fpi']:,} full-page images in {wal['wal_records']:,} records.",
        ]
    L.append("")
    return L
