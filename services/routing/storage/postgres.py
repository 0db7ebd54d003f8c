"""Cases in PostgreSQL; each state change commits its event to the outbox."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.routing.domain.case import Case
from services.routing.domain.clustering import OpenCaseNearby
from shared.events.envelope import OutgoingMessage
from shared.postgres.outbox import enqueue

SCHEMA = "routing"


async def insert_case(
    conn: asyncpg.Connection,
    case: Case,
    timers: list[tuple[str, int, datetime]],
    message: OutgoingMessage,
    *,
    trace_parent: str | None = None,
) -> bool:
    """Store a new case, its deadlines, its first history row and its event.

    False (and nothing written) if the report already has a case.
    """
    inserted = await conn.fetchval(
        """
        INSERT INTO cases (case_id, report_id, kind, category, severity, community_code,
            street_code, co_owner_code, lon, lat, reporter_id, reporter_private, status,
            opened_at, acknowledge_by, resolve_by, sla_basis, hierarchy_version, trace_parent,
            updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
            $19, $14)
        ON CONFLICT (report_id) DO NOTHING
        RETURNING case_id
        """,
        case.case_id, case.report_id, case.kind, case.category, case.severity,
        case.owner.community_code, case.owner.street_code, case.owner.co_owner_code,
        case.lon, case.lat, case.visible_reporter, case.reporter_id, case.status,
        case.opened_at, case.deadlines.acknowledge_by, case.deadlines.resolve_by,
        case.deadlines.basis, case.hierarchy_version, trace_parent,
    )
    if inserted is None:
        return False
    rows = [(case.case_id, kind, level, due_at) for kind, level, due_at in timers]
    await conn.executemany(
        "INSERT INTO deadlines (case_id, kind, level, due_at) VALUES ($1, $2, $3, $4)", rows
    )
    await conn.execute(
        "INSERT INTO case_history (case_id, action, from_status, to_status, actor_id, actor_role, "
        "note, at) VALUES ($1, 'open', NULL, $2, 'system', 'system', $3, $4)",
        case.case_id, case.status, f"report {case.report_id}", case.opened_at,
    )
    await enqueue(conn, SCHEMA, [message])
    return True


async def report_has_case(conn: asyncpg.Connection, report_id: str) -> bool:
    """Whether a report already opened or joined a case (a redelivered report does nothing)."""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM cases WHERE report_id = $1::uuid) "
            "OR EXISTS (SELECT 1 FROM case_reports WHERE report_id = $1::uuid)",
            report_id,
        )
    )


async def lock_area(conn: asyncpg.Connection, category: str, cells: list[tuple[int, int]]) -> None:
    """Serialise duplicate checks for one category in the same ~1 km cells (sorted: no deadlock)."""
    for cell in sorted(set(cells)):
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"dup:{category}:{cell}")


async def open_cases_near(
    conn: asyncpg.Connection,
    *,
    category: str,
    since: datetime,
    box: tuple[float, float, float, float],
) -> list[OpenCaseNearby]:
    """Open cases of a category opened since a time inside a lon/lat box."""
    rows = await conn.fetch(
        """
        SELECT case_id, lon, lat, opened_at FROM cases
        WHERE category = $1 AND status NOT IN ('resolved', 'closed') AND opened_at >= $2
          AND lon BETWEEN $3 AND $5 AND lat BETWEEN $4 AND $6
        """,
        category, since, *box,
    )
    return [OpenCaseNearby(str(r["case_id"]), r["lon"], r["lat"], r["opened_at"]) for r in rows]


async def join_case(
    conn: asyncpg.Connection, *, case_id: str, report_id: str, at: datetime
) -> asyncpg.Record:
    """Attach a report to a case and grow its cluster; returns the case row after."""
    await conn.execute(
        "INSERT INTO case_reports (report_id, case_id, joined_at) VALUES ($1::uuid, $2::uuid, $3)",
        report_id, case_id, at,
    )
    return await conn.fetchrow(
        "UPDATE cases SET cluster_size = cluster_size + 1, updated_at = $2 "
        "WHERE case_id = $1::uuid RETURNING *",
        case_id, at,
    )


async def set_severity(conn: asyncpg.Connection, case_id: str, severity: str) -> None:
    """Raise a case's severity (a growing cluster)."""
    await conn.execute("UPDATE cases SET severity = $2 WHERE case_id = $1::uuid", case_id, severity)


class PostgresCaseQueries:
    """Read side of cases for staff."""

    def __init__(self, *, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def list_open(
        self, *, community: str | None, street: str | None, limit: int = 200
    ) -> list[asyncpg.Record]:
        """Open cases owned or co-owned by a community, of a street, or (both None) all."""
        return await self._pool.fetch(
            """
            SELECT * FROM cases
            WHERE status <> 'closed'
              AND ($1::text IS NULL OR community_code = $1 OR co_owner_code = $1)
              AND ($2::text IS NULL OR street_code = $2)
            ORDER BY resolve_by LIMIT $3
            """,
            community, street, limit,
        )

    async def get(self, case_id: str) -> asyncpg.Record | None:
        """One case by id."""
        return await self._pool.fetchrow("SELECT * FROM cases WHERE case_id = $1::uuid", case_id)

    async def history(self, case_id: str) -> list[asyncpg.Record]:
        """The audit trail of a case, oldest first."""
        return await self._pool.fetch(
            "SELECT * FROM case_history WHERE case_id = $1::uuid ORDER BY seq", case_id
        )

    async def reports(self, case_id: str) -> list[str]:
        """Report ids of a case: the one that opened it, then every "me too"."""
        rows = await self._pool.fetch(
            "SELECT report_id FROM cases WHERE case_id = $1::uuid UNION ALL "
            "SELECT report_id FROM (SELECT report_id, joined_at FROM case_reports "
            "WHERE case_id = $1::uuid ORDER BY joined_at) j",
            case_id,
        )
        return [str(r["report_id"]) for r in rows]
