"""Writes of the wish lifecycle: lock, insert, update, audit trail (inside the caller's transaction)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

SCHEMA = "wishes"
_WISH_FIELDS = {
    "status", "shares_taken", "shares_fulfilled", "reviewed_by", "review_reason", "approved_at",
    "fulfilled_at", "ended_at",
}
_CLAIM_FIELDS = {
    "status", "handed_over_at", "handover_station_id", "handover_place", "confirmed_at",
    "thanked_at", "thanks_message", "ended_at", "end_reason",
}


async def lock_wish(conn: asyncpg.Connection, wish_id: str) -> asyncpg.Record | None:
    """The wish row, locked until the transaction ends: one change at a time per wish.

    Every path that touches a wish and its claims locks the wish first, then claims, so two
    transactions never wait on each other in opposite orders.
    """
    return await conn.fetchrow("SELECT * FROM wishes WHERE wish_id = $1::uuid FOR UPDATE", wish_id)


async def lock_claim(conn: asyncpg.Connection, wish_id: str, claim_id: str) -> asyncpg.Record | None:
    """A claim of this wish, locked (call after lock_wish)."""
    return await conn.fetchrow(
        "SELECT * FROM claims WHERE claim_id = $1::uuid AND wish_id = $2::uuid FOR UPDATE",
        claim_id, wish_id,
    )


async def open_claims(conn: asyncpg.Connection, wish_id: str, status: str) -> list[asyncpg.Record]:
    """A wish's claims in one status, locked (call after lock_wish)."""
    return await conn.fetch(
        "SELECT * FROM claims WHERE wish_id = $1::uuid AND status = $2 ORDER BY claimed_at FOR UPDATE",
        wish_id, status,
    )


async def insert_wish(conn: asyncpg.Connection, **row: Any) -> asyncpg.Record:
    """Store a new wish; returns the row."""
    return await _insert(conn, "wishes", row)


async def update_wish(conn: asyncpg.Connection, wish_id: str, at: datetime, **fields: Any) -> asyncpg.Record:
    """Set the given columns and updated_at; returns the row after."""
    return await _update(conn, "wishes", "wish_id", _WISH_FIELDS, wish_id, fields, at)


async def insert_claim(conn: asyncpg.Connection, **row: Any) -> asyncpg.Record:
    """Store a new claim; returns the row."""
    return await _insert(conn, "claims", row)


async def update_claim(conn: asyncpg.Connection, claim_id: str, **fields: Any) -> asyncpg.Record:
    """Set the given columns of a claim; returns the row after."""
    return await _update(conn, "claims", "claim_id", _CLAIM_FIELDS, claim_id, fields, None)


async def _insert(conn: asyncpg.Connection, table: str, row: dict[str, Any]) -> asyncpg.Record:
    names = list(row)
    params = ", ".join(f"${i + 1}" for i in range(len(names)))
    return await conn.fetchrow(
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({params}) RETURNING *", *(row[n] for n in names)
    )


async def _update(
    conn: asyncpg.Connection, table: str, key: str, allowed: set[str], row_id: str, fields: dict, at
) -> asyncpg.Record:
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    names = list(fields)
    sets = [f"{name} = ${i + 2}" for i, name in enumerate(names)]
    args = [fields[n] for n in names]
    if at is not None:
        sets.append(f"updated_at = ${len(names) + 2}")
        args.append(at)
    return await conn.fetchrow(
        f"UPDATE {table} SET {', '.join(sets)} WHERE {key} = $1::uuid RETURNING *", row_id, *args
    )


async def append_history(
    conn: asyncpg.Connection,
    *,
    wish_id: str,
    action: str,
    from_status: str | None,
    to_status: str,
    actor_id: str,
    actor_role: str,
    at: datetime,
    claim_id: str | None = None,
    note: str | None = None,
) -> None:
    """One audit row: who did what to the wish (or to a claim on it), when and why."""
    await conn.execute(
        "INSERT INTO wish_history (wish_id, claim_id, action, from_status, to_status, actor_id, "
        "actor_role, note, at) VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8, $9)",
        wish_id, claim_id, action, from_status, to_status, actor_id, actor_role, note, at,
    )
