"""Which statements took PostgreSQL's time during a stage (pg_stat_statements, when loaded)."""

from __future__ import annotations

import re

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
