"""Elderly residents, their pairings, scheduled visits and the visit log in PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import asyncpg

_ELDER = """
    SELECT e.*, p.pairing_id, p.volunteer_id FROM elders e
    LEFT JOIN pairings p ON p.elder_id = e.elder_id AND p.ended_at IS NULL
"""


async def add_elder(conn: asyncpg.Connection, **row: object) -> None:
    """Register an elderly resident."""
    await conn.execute(
        "INSERT INTO elders (elder_id, community_code, name, address, phone, created_by, created_at) "
        "VALUES ($1::uuid, $2, $3, $4, $5, $6, $7)",
        row["elder_id"], row["community_code"], row["name"], row["address"], row["phone"],
        row["created_by"], row["created_at"],
    )


async def elder(conn: asyncpg.Connection, elder_id: str) -> asyncpg.Record | None:
    """One elder with their current pairing, if any."""
    return await conn.fetchrow(_ELDER + " WHERE e.elder_id = $1::uuid", elder_id)


async def elders(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every elder with their current pairing; callers filter by what the reader may see."""
    return await conn.fetch(_ELDER + " ORDER BY e.created_at LIMIT 2000")


async def add_pairing(conn: asyncpg.Connection, **row: object) -> asyncpg.Record:
    """Pair an elder with a volunteer; the unique index refuses a second active pairing."""
    return await conn.fetchrow(
        "INSERT INTO pairings (pairing_id, elder_id, volunteer_id, community_code, created_by, created_at) "
        "VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6) RETURNING *",
        row["pairing_id"], row["elder_id"], row["volunteer_id"], row["community_code"],
        row["created_by"], row["created_at"],
    )


async def pairing(conn: asyncpg.Connection, pairing_id: str, *, lock: bool = False) -> asyncpg.Record | None:
    """One pairing; with ``lock``, held against an end until the caller's transaction finishes."""
    return await conn.fetchrow(
        "SELECT * FROM pairings WHERE pairing_id = $1::uuid" + (" FOR SHARE" if lock else ""), pairing_id
    )


async def end_pairing(
    conn: asyncpg.Connection, pairing_id: str, *, ended_by: str, reason: str, at: datetime
) -> asyncpg.Record | None:
    """End an active pairing; None if it had already ended."""
    return await conn.fetchrow(
        "UPDATE pairings SET ended_at = $2, ended_by = $3, end_reason = $4 "
        "WHERE pairing_id = $1::uuid AND ended_at IS NULL RETURNING *",
        pairing_id, at, ended_by, reason,
    )


async def pairings(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every active pairing; callers filter by what the reader may see."""
    return await conn.fetch("SELECT * FROM pairings WHERE ended_at IS NULL ORDER BY created_at LIMIT 2000")


async def add_visit(conn: asyncpg.Connection, **row: object) -> asyncpg.Record:
    """Schedule a visit window."""
    return await conn.fetchrow(
        """
        INSERT INTO visits (visit_id, pairing_id, volunteer_id, community_code, window_start, window_end,
            scheduled_by, scheduled_at)
        VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8) RETURNING *
        """,
        row["visit_id"], row["pairing_id"], row["volunteer_id"], row["community_code"],
        row["window_start"], row["window_end"], row["scheduled_by"], row["scheduled_at"],
    )


async def visits(conn: asyncpg.Connection, pairing_id: str) -> list[asyncpg.Record]:
    """A pairing's scheduled visits with what was logged against them."""
    return await conn.fetch(
        """
        SELECT v.*, l.outcome, l.visited_at FROM visits v
        LEFT JOIN visit_log l ON l.report_id = v.report_id
        WHERE v.pairing_id = $1::uuid ORDER BY v.window_start
        """,
        pairing_id,
    )


async def log_visit(
    conn: asyncpg.Connection, *, report_id: str, pairing_id: str, volunteer_id: str, outcome: str,
    visited_at: datetime,
) -> asyncpg.Record | None:
    """Log a visit once per report, against the earliest open window it falls in; None if seen before."""
    window = await conn.fetchrow(
        """
        SELECT visit_id FROM visits
        WHERE pairing_id = $1::uuid AND report_id IS NULL AND window_start <= $2 AND window_end >= $2
        ORDER BY window_start LIMIT 1 FOR UPDATE
        """,
        pairing_id, visited_at,
    )
    visit_id = window["visit_id"] if window else None
    logged = await conn.fetchrow(
        """
        INSERT INTO visit_log (report_id, pairing_id, volunteer_id, outcome, visited_at, visit_id)
        VALUES ($1, $2::uuid, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING *
        """,
        report_id, pairing_id, volunteer_id, outcome, visited_at, visit_id,
    )
    if logged is not None and visit_id is not None:
        await conn.execute("UPDATE visits SET report_id = $2 WHERE visit_id = $1", visit_id, report_id)
    return logged


async def visit_log(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every logged visit, oldest first (a source of the ledger rebuild)."""
    return await conn.fetch("SELECT * FROM visit_log ORDER BY visited_at, report_id")
