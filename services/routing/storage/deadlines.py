"""Durable SLA timers: due rows claimed with FOR UPDATE SKIP LOCKED by any routing instance."""

from __future__ import annotations

from datetime import datetime

import asyncpg

DUE = """
SELECT d.case_id, d.kind, d.level, d.due_at,
       c.status, c.community_code, c.street_code, c.co_owner_code, c.reporter_id, c.reporter_private,
       c.escalation_level, c.trace_parent
FROM deadlines d JOIN cases c USING (case_id)
WHERE d.fired_at IS NULL AND d.due_at <= $1 AND c.paused_at IS NULL
ORDER BY d.due_at, d.level
LIMIT $2
FOR UPDATE OF d SKIP LOCKED
"""


async def claim_due(conn: asyncpg.Connection, now: datetime, limit: int) -> list[asyncpg.Record]:
    """Due, unfired deadlines of running cases, locked for this transaction only."""
    return await conn.fetch(DUE, now, limit)


async def mark_fired(conn: asyncpg.Connection, rows: list[asyncpg.Record], at: datetime) -> None:
    """Record that these deadlines were handled (whether or not they emitted anything)."""
    await conn.executemany(
        "UPDATE deadlines SET fired_at = $4 WHERE case_id = $1 AND kind = $2 AND level = $3",
        [(r["case_id"], r["kind"], r["level"], at) for r in rows],
    )


async def record_escalation(
    conn: asyncpg.Connection,
    *,
    case_id: str,
    level: int,
    to_unit_code: str,
    hierarchy_version: str,
    at: datetime,
) -> bool:
    """Insert the (case, level) escalation; False if it already happened (then emit nothing)."""
    inserted = await conn.fetchval(
        """
        INSERT INTO escalations (case_id, level, to_unit_code, hierarchy_version, escalated_at)
        VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING level
        """,
        case_id, level, to_unit_code, hierarchy_version, at,
    )
    if inserted is None:
        return False
    await conn.execute(
        "UPDATE cases SET escalation_level = GREATEST(escalation_level, $2), updated_at = $3 "
        "WHERE case_id = $1",
        case_id, level, at,
    )
    return True


async def escalated_below(conn: asyncpg.Connection, case_id, level: int) -> bool:
    """Whether the case was already escalated to a lower rung."""
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM escalations WHERE case_id = $1 AND level < $2)", case_id, level
    ))


async def cancel_pending(conn: asyncpg.Connection, case_id: str, at: datetime) -> None:
    """A resolved case owes nothing more: its unfired deadlines are retired."""
    await conn.execute(
        "UPDATE deadlines SET fired_at = $2 WHERE case_id = $1::uuid AND fired_at IS NULL",
        case_id, at,
    )


async def pending(conn: asyncpg.Connection, case_id: str) -> list[asyncpg.Record]:
    """A case's unfired deadlines."""
    return await conn.fetch(
        "SELECT kind, level, due_at FROM deadlines WHERE case_id = $1::uuid AND fired_at IS NULL",
        case_id,
    )


async def move(conn: asyncpg.Connection, case_id: str, kind: str, level: int, due_at: datetime) -> None:
    """Set a deadline's time (pause extension, reopen); it becomes unfired again."""
    await conn.execute(
        """
        INSERT INTO deadlines (case_id, kind, level, due_at) VALUES ($1::uuid, $2, $3, $4)
        ON CONFLICT (case_id, kind, level) DO UPDATE SET due_at = EXCLUDED.due_at, fired_at = NULL
        """,
        case_id, kind, level, due_at,
    )
