"""Cases in PostgreSQL; each state change commits its event to the outbox."""

from __future__ import annotations

import asyncpg

from services.routing.domain.case import Case
from shared.events.envelope import OutgoingMessage
from shared.postgres.outbox import enqueue

SCHEMA = "routing"


async def insert_case(conn: asyncpg.Connection, case: Case, message: OutgoingMessage) -> bool:
    """Store a new case and its event; False if the report already has a case."""
    inserted = await conn.fetchval(
        """
        INSERT INTO cases (case_id, report_id, kind, category, severity, community_code,
            street_code, lon, lat, reporter_id, status, opened_at, acknowledge_by, resolve_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
        ON CONFLICT (report_id) DO NOTHING
        RETURNING case_id
        """,
        case.case_id, case.report_id, case.kind, case.category, case.severity,
        case.owner.community_code, case.owner.street_code, case.lon, case.lat, case.reporter_id,
        case.status, case.opened_at, case.deadlines.acknowledge_by, case.deadlines.resolve_by,
    )
    if inserted is None:
        return False
    await enqueue(conn, SCHEMA, [message])
    return True


class PostgresCaseQueries:
    """Read side of cases for staff."""

    def __init__(self, *, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def list_open(
        self, *, community: str | None, street: str | None, limit: int = 200
    ) -> list[asyncpg.Record]:
        """Open cases of a community, a street, or (both None) the whole district."""
        return await self._pool.fetch(
            """
            SELECT * FROM cases
            WHERE status <> 'closed'
              AND ($1::text IS NULL OR community_code = $1)
              AND ($2::text IS NULL OR street_code = $2)
            ORDER BY resolve_by LIMIT $3
            """,
            community, street, limit,
        )

    async def get(self, case_id: str) -> asyncpg.Record | None:
        """One case by id."""
        return await self._pool.fetchrow("SELECT * FROM cases WHERE case_id = $1::uuid", case_id)
