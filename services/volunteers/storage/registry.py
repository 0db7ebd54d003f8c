"""Volunteers and their role statuses in PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import asyncpg

SCHEMA = "volunteers"


async def get(conn: asyncpg.Connection, volunteer_id: str, *, lock: bool = False) -> asyncpg.Record | None:
    """One volunteer's registration, locked for the transaction when asked."""
    return await conn.fetchrow(
        f"SELECT * FROM volunteers WHERE volunteer_id = $1{' FOR UPDATE' if lock else ''}", volunteer_id
    )


async def roles_of(conn: asyncpg.Connection, volunteer_id: str) -> list[asyncpg.Record]:
    """A volunteer's roles with their statuses."""
    return await conn.fetch(
        "SELECT role, status, reason, decided_by, decided_at FROM volunteer_roles "
        "WHERE volunteer_id = $1 ORDER BY role", volunteer_id,
    )


async def add(conn: asyncpg.Connection, volunteer_id: str, community_code: str, at: datetime) -> None:
    """Register a volunteer (no-op if already registered)."""
    await conn.execute(
        "INSERT INTO volunteers (volunteer_id, community_code, registered_at) VALUES ($1, $2, $3) "
        "ON CONFLICT DO NOTHING", volunteer_id, community_code, at,
    )


async def set_roles(
    conn: asyncpg.Connection, volunteer_id: str, roles: dict[str, str], *,
    reason: str | None = None, decided_by: str | None = None, decided_at: datetime | None = None,
) -> None:
    """Write role statuses; a decision records who made it, when and why."""
    await conn.executemany(
        """
        INSERT INTO volunteer_roles (volunteer_id, role, status, reason, decided_by, decided_at)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (volunteer_id, role) DO UPDATE SET status = EXCLUDED.status,
            reason = EXCLUDED.reason, decided_by = EXCLUDED.decided_by, decided_at = EXCLUDED.decided_at
        """,
        [(volunteer_id, role, status, reason, decided_by, decided_at) for role, status in roles.items()],
    )


async def in_community(conn: asyncpg.Connection, community_code: str | None) -> list[asyncpg.Record]:
    """Volunteers of a community (every community when None), newest first."""
    return await conn.fetch(
        "SELECT * FROM volunteers WHERE ($1::text IS NULL OR community_code = $1) "
        "ORDER BY registered_at DESC LIMIT 500", community_code,
    )


async def has_confirmed_role(conn: asyncpg.Connection, volunteer_id: str, role: str) -> bool:
    """Whether a volunteer holds a role confirmed by their community."""
    return bool(await conn.fetchval(
        "SELECT 1 FROM volunteer_roles WHERE volunteer_id = $1 AND role = $2 AND status = 'confirmed'",
        volunteer_id, role,
    ))
