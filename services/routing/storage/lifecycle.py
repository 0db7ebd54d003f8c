"""Writes of the case lifecycle: lock, update, audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

_UPDATABLE = {
    "status", "paused_at", "resolved_at", "acknowledge_by", "resolve_by", "community_code",
    "street_code", "co_owner_code",
}


async def lock_case(conn: asyncpg.Connection, case_id: str) -> asyncpg.Record | None:
    """The case row, locked until the transaction ends (one transition at a time per case)."""
    return await conn.fetchrow("SELECT * FROM cases WHERE case_id = $1::uuid FOR UPDATE", case_id)


async def update_case(conn: asyncpg.Connection, case_id: str, at: datetime, **fields: Any) -> asyncpg.Record:
    """Set the given columns and updated_at; returns the row after."""
    unknown = set(fields) - _UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    names = list(fields)
    sets = ", ".join(f"{name} = ${i + 3}" for i, name in enumerate(names))
    return await conn.fetchrow(
        f"UPDATE cases SET {sets}, updated_at = $2 WHERE case_id = $1::uuid RETURNING *",
        case_id, at, *(fields[n] for n in names),
    )


async def append_history(
    conn: asyncpg.Connection,
    *,
    case_id: str,
    action: str,
    from_status: str,
    to_status: str,
    actor_id: str,
    actor_role: str,
    note: str | None,
    at: datetime,
) -> None:
    """One audit row: who did what, when and why."""
    await conn.execute(
        "INSERT INTO case_history (case_id, action, from_status, to_status, actor_id, actor_role, "
        "note, at) VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8)",
        case_id, action, from_status, to_status, actor_id, actor_role, note, at,
    )
