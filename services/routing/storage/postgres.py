"""Cases in PostgreSQL; each state change commits its event to the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.routing.domain.case import Case
from services.routing.domain.clustering import OpenCaseNearby
from shared.postgres.pool import snapshot

SCHEMA = "routing"


@dataclass(frozen=True)
class NewCase:
    """A case to store with its deadlines and the trace it was opened in."""

    case: Case
    timers: list[tuple[str, int, datetime]]
    trace_parent: str | None = None


async def insert_cases(conn: asyncpg.Connection, new: Sequence[NewCase]) -> set[str]:
    """Store new cases, their deadlines and first history rows: three statements for any number.

    Returns the ids stored; a case whose report already has one is skipped (nothing written).
    """
    if not new:
        return set()
    cs = [n.case for n in new]
    stored = {
        str(r["case_id"])
        for r in await conn.fetch(
            """
            INSERT INTO cases (case_id, report_id, kind, category, severity, community_code,
                street_code, co_owner_code, lon, lat, reporter_id, reporter_private, status,
                opened_at, acknowledge_by, resolve_by, sla_basis, hierarchy_version, trace_parent,
                updated_at)
            SELECT c.*, c.opened_at FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[],
                $5::text[], $6::text[], $7::text[], $8::text[], $9::float8[], $10::float8[],
                $11::text[], $12::text[], $13::text[], $14::timestamptz[], $15::timestamptz[],
                $16::timestamptz[], $17::text[], $18::text[], $19::text[]) AS c(case_id, report_id,
                kind, category, severity, community_code, street_code, co_owner_code, lon, lat,
                reporter_id, reporter_private, status, opened_at, acknowledge_by, resolve_by,
                sla_basis, hierarchy_version, trace_parent)
            ON CONFLICT (report_id) DO NOTHING
            RETURNING case_id
            """,
            [c.case_id for c in cs], [c.report_id for c in cs], [c.kind for c in cs],
            [c.category for c in cs], [c.severity for c in cs],
            [c.owner.community_code for c in cs], [c.owner.street_code for c in cs],
            [c.owner.co_owner_code for c in cs], [c.lon for c in cs], [c.lat for c in cs],
            [c.visible_reporter for c in cs], [c.reporter_id for c in cs], [c.status for c in cs],
            [c.opened_at for c in cs], [c.deadlines.acknowledge_by for c in cs],
            [c.deadlines.resolve_by for c in cs], [c.deadlines.basis for c in cs],
            [c.hierarchy_version for c in cs], [n.trace_parent for n in new],
        )
    }
    timers = [(n.case.case_id, *t) for n in new if n.case.case_id in stored for t in n.timers]
    if timers:
        await conn.execute(
            "INSERT INTO deadlines (case_id, kind, level, due_at) "
            "SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::timestamptz[])",
            *(list(column) for column in zip(*timers, strict=True)),
        )
    opened = [c for c in cs if c.case_id in stored]
    if opened:
        await conn.execute(
            "INSERT INTO case_history (case_id, action, from_status, to_status, actor_id, actor_role, "
            "note, at) SELECT c, 'open', NULL, s, 'system', 'system', n, a "
            "FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[]) "
            "WITH ORDINALITY AS t(c, s, n, a, i) ORDER BY i",
            [c.case_id for c in opened], [c.status for c in opened],
            [f"report {c.report_id}" for c in opened], [c.opened_at for c in opened],
        )
    return stored


async def reports_with_case(conn: asyncpg.Connection, report_ids: Sequence[str]) -> set[str]:
    """Which of these reports already opened or joined a case (a redelivered report does nothing)."""
    rows = await conn.fetch(
        "SELECT report_id FROM cases WHERE report_id = ANY($1::uuid[]) "
        "UNION SELECT report_id FROM case_reports WHERE report_id = ANY($1::uuid[])",
        list(report_ids),
    )
    return {str(r["report_id"]) for r in rows}


async def lock_keys(conn: asyncpg.Connection, keys: Sequence[str]) -> None:
    """Take transaction advisory locks on keys, in sorted order (no deadlock), in one statement."""
    if keys:
        await conn.execute(
            "SELECT count(pg_advisory_xact_lock(hashtext(k))) FROM "
            "unnest($1::text[]) WITH ORDINALITY AS t(k, i)",
            sorted(set(keys)),
        )


@dataclass(frozen=True)
class AreaQuery:
    """Open cases of a category opened since a time inside a lon/lat box."""

    category: str
    since: datetime
    box: tuple[float, float, float, float]


# Open cases of a category inside a box, for many areas at once. OFFSET 0 keeps the subquery a
# lookup per area (cases_open_by_band): flattened into a join, the planner, expecting ten areas,
# hashed them and read every open case instead.
OPEN_CASES_NEAR = """
        SELECT DISTINCT c.case_id, c.category, c.lon, c.lat, c.opened_at
        FROM unnest($1::text[], $2::timestamptz[], $3::float8[], $4::float8[], $5::float8[],
            $6::float8[]) AS b(category, since, x0, y0, x1, y1)
        CROSS JOIN LATERAL (
            SELECT c.case_id, c.category, c.lon, c.lat, c.opened_at FROM cases c
            WHERE c.category = b.category AND c.status NOT IN ('resolved', 'closed')
                -- The latitude bands of the box, as the index cases_open_by_band spells them.
                AND floor(c.lat * 200)::int = ANY (ARRAY(
                    SELECT generate_series(floor(b.y0 * 200)::int, floor(b.y1 * 200)::int)))
                AND c.lon BETWEEN b.x0 AND b.x1 AND c.lat BETWEEN b.y0 AND b.y1
                AND c.opened_at >= b.since
            OFFSET 0
        ) c
        """


async def open_cases_near(
    conn: asyncpg.Connection, areas: Sequence[AreaQuery]
) -> dict[str, list[OpenCaseNearby]]:
    """Open cases in any of the areas, by category (one statement for any number of areas)."""
    if not areas:
        return {}
    rows = await conn.fetch(
        OPEN_CASES_NEAR,
        [a.category for a in areas], [a.since for a in areas],
        [a.box[0] for a in areas], [a.box[1] for a in areas],
        [a.box[2] for a in areas], [a.box[3] for a in areas],
    )
    found: dict[str, list[OpenCaseNearby]] = {}
    for r in rows:
        found.setdefault(r["category"], []).append(
            OpenCaseNearby(str(r["case_id"]), r["lon"], r["lat"], r["opened_at"])
        )
    return found


async def join_cases(
    conn: asyncpg.Connection, joins: Sequence[tuple[str, str, datetime]]
) -> dict[str, asyncpg.Record]:
    """Attach reports (report_id, case_id, at) to cases and grow each cluster by its joins.

    Returns each touched case's row after, by case id (cluster_size counts every join).
    """
    if not joins:
        return {}
    report_ids, case_ids, ats = (list(c) for c in zip(*joins, strict=True))
    await conn.execute(
        "INSERT INTO case_reports (report_id, case_id, joined_at) "
        "SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[])",
        report_ids, case_ids, ats,
    )
    rows = await conn.fetch(
        """
        UPDATE cases c SET cluster_size = c.cluster_size + j.n, updated_at = j.at
        FROM (SELECT case_id, count(*) AS n, max(at) AS at
              FROM unnest($1::uuid[], $2::timestamptz[]) AS t(case_id, at) GROUP BY case_id) j
        WHERE c.case_id = j.case_id
        RETURNING c.*
        """,
        case_ids, ats,
    )
    return {str(r["case_id"]): r for r in rows}


async def set_severities(conn: asyncpg.Connection, severities: dict[str, str]) -> None:
    """Raise cases' severities (growing clusters)."""
    if severities:
        await conn.execute(
            "UPDATE cases c SET severity = s.severity "
            "FROM unnest($1::uuid[], $2::text[]) AS s(case_id, severity) WHERE c.case_id = s.case_id",
            list(severities), list(severities.values()),
        )


@dataclass(frozen=True)
class CaseDetailRows:
    """A case row, its history rows (oldest first) and its report ids, from one snapshot."""

    case: asyncpg.Record
    history: list[asyncpg.Record]
    reports: list[str]


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

    async def detail(self, case_id: str) -> CaseDetailRows | None:
        """A case with its reports and audit trail as they stood at one moment, or None.

        One snapshot: read one after the other, an action committed in between would show a
        case in one status with a history that has already moved on, or not yet.
        """
        async with snapshot(self._pool) as conn:
            case = await conn.fetchrow("SELECT * FROM cases WHERE case_id = $1::uuid", case_id)
            if case is None:
                return None
            history = await conn.fetch(
                "SELECT * FROM case_history WHERE case_id = $1::uuid ORDER BY seq", case_id
            )
            joined = await conn.fetch(
                "SELECT report_id FROM case_reports WHERE case_id = $1::uuid ORDER BY joined_at", case_id
            )
        # The report that opened the case, then every "me too".
        reports = [str(case["report_id"]), *(str(r["report_id"]) for r in joined)]
        return CaseDetailRows(case, history, reports)
