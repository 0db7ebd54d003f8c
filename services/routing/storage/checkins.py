"""Scheduled check-in windows in PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import asyncpg


async def add_window(
    conn: asyncpg.Connection,
    *,
    window_id: str,
    pairing_id: str,
    volunteer_id: str,
    community_code: str,
    window_start: datetime,
    window_end: datetime,
    created_by: str,
) -> asyncpg.Record:
    """Schedule one visit window; one still open when its pairing ended comes called off."""
    return await conn.fetchrow(
        """
        INSERT INTO checkin_windows (window_id, pairing_id, volunteer_id, community_code,
            window_start, window_end, created_by, called_off_at)
        VALUES ($1::uuid, $2, $3, $4, $5, $6, $7,
                (SELECT ended_at FROM ended_pairings WHERE pairing_id = $2 AND ended_at < $6))
        ON CONFLICT (window_id) DO UPDATE SET window_start = EXCLUDED.window_start,
            window_end = EXCLUDED.window_end,
            called_off_at = COALESCE(checkin_windows.called_off_at, EXCLUDED.called_off_at)
        RETURNING *
        """,
        window_id, pairing_id, volunteer_id, community_code, window_start, window_end, created_by,
    )


async def record_visit(conn: asyncpg.Connection, *, pairing_id: str, report_id: str, at: datetime) -> int:
    """A logged visit satisfies the pairing's open windows that have started; returns how many.

    A visit at or after its pairing's end counts for nothing (as far as routing has heard of the
    end: it comes on another stream); one before it still counts for a window called off since
    (a window is called off at its pairing's end, so the end decides both).
    """
    result = await conn.execute(
        """
        UPDATE checkin_windows SET visited_by = $2::uuid
        WHERE pairing_id = $1 AND visited_by IS NULL AND alerted_case IS NULL
          AND window_start <= $3
          AND NOT EXISTS (SELECT 1 FROM ended_pairings e WHERE e.pairing_id = $1 AND e.ended_at <= $3)
        """,
        pairing_id, report_id, at,
    )
    return int(result.split()[-1])


async def claim_missed(conn: asyncpg.Connection, now: datetime, limit: int) -> list[asyncpg.Record]:
    """Windows that ended with no visit and no alert yet, locked for this transaction."""
    return await conn.fetch(
        """
        SELECT * FROM checkin_windows
        WHERE window_end <= $1 AND visited_by IS NULL AND alerted_case IS NULL AND called_off_at IS NULL
        ORDER BY window_end LIMIT $2
        FOR UPDATE SKIP LOCKED
        """,
        now, limit,
    )


async def ended_at(conn: asyncpg.Connection, pairing_id: str) -> datetime | None:
    """When a pairing ended, if routing has heard that it did."""
    return await conn.fetchval("SELECT ended_at FROM ended_pairings WHERE pairing_id = $1", pairing_id)


async def call_off(conn: asyncpg.Connection, *, pairing_id: str, at: datetime) -> int:
    """A pairing ended at ``at``: remembered, and its windows still open then owe no visit;
    returns how many windows.

    A window that had already closed unvisited was missed while the pairing stood, and is still
    alerted on.
    """
    await conn.execute(
        "INSERT INTO ended_pairings (pairing_id, ended_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        pairing_id, at,
    )
    result = await conn.execute(
        """
        UPDATE checkin_windows SET called_off_at = $2
        WHERE pairing_id = $1 AND window_end > $2
          AND visited_by IS NULL AND alerted_case IS NULL AND called_off_at IS NULL
        """,
        pairing_id, at,
    )
    return int(result.split()[-1])


async def mark_alerted(conn: asyncpg.Connection, window_id, case_id: str) -> None:
    """Remember which case the missed window raised."""
    await conn.execute(
        "UPDATE checkin_windows SET alerted_case = $2::uuid WHERE window_id = $1", window_id, case_id
    )


async def windows_of(conn: asyncpg.Connection, community_code: str | None) -> list[asyncpg.Record]:
    """Upcoming and recent windows of a community (all when None), soonest end first."""
    return await conn.fetch(
        "SELECT * FROM checkin_windows WHERE ($1::text IS NULL OR community_code = $1) "
        "ORDER BY window_end LIMIT 500",
        community_code,
    )
