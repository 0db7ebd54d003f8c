"""Cases in PostgreSQL; each state change commits its event to the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import asyncpg

from services.routing.domain.case import Case, Deadlines
from services.routing.domain.clustering import OpenCaseNearby
from shared.postgres.pool import snapshot

SCHEMA = "routing"


@dataclass(frozen=True)
class NewCase:
    """A case to store with its deadlines and the trace it was opened in."""

    case: Case
    timers: list[tuple[str, int, datetime]]
    trace_parent: str | None = None


class _Plan(NamedTuple):
    """What cases opened together share: sent once, named by each case."""

    kind: str
    category: str
    severity: str
    status: str
    opened_at: datetime
    deadlines: Deadlines
    hierarchy_version: str
    timers: tuple[tuple[str, int, datetime], ...]


async def insert_cases(conn: asyncpg.Connection, new: Sequence[NewCase]) -> set[str]:
    """Store new cases, their deadlines and first history rows: one statement for any number.

    Returns the ids stored; a case whose report already has one is skipped (nothing written):
    its deadlines and history rows are taken from what the cases' insert returned.

    The cases of a batch share a few plans (kind, category, severity, deadlines, timers: they
    open at one moment), so each plan is sent once and each case names its plan. asyncpg spends
    about a microsecond on every array element it sends, two on a timestamp, and a case's
    deadlines and timers were another eighteen elements.
    """
    if not new:
        return set()
    plans: dict[_Plan, int] = {}
    plan_of = []
    for n in new:
        c = n.case
        plan = _Plan(c.kind, c.category, c.severity, c.status, c.opened_at, c.deadlines,
                     c.hierarchy_version, tuple(n.timers))
        plan_of.append(plans.setdefault(plan, len(plans) + 1))
    shared = list(plans)
    timers = [(i, *t) for i, plan in enumerate(shared, start=1) for t in plan.timers]
    cs = [n.case for n in new]
    rows = await conn.fetch(
        """
        WITH plan AS (
            SELECT * FROM unnest($12::text[], $13::text[], $14::text[], $15::text[],
                $16::timestamptz[], $17::timestamptz[], $18::timestamptz[], $19::text[], $20::text[])
                WITH ORDINALITY AS p(kind, category, severity, status, opened_at, acknowledge_by,
                resolve_by, sla_basis, hierarchy_version, plan)
        ),
        opened AS (
            INSERT INTO cases (case_id, report_id, kind, category, severity, community_code,
                street_code, co_owner_code, lon, lat, reporter_id, reporter_private, status,
                opened_at, acknowledge_by, resolve_by, sla_basis, hierarchy_version, trace_parent,
                updated_at)
            SELECT c.case_id, c.report_id::uuid, p.kind, p.category, p.severity, c.community_code,
                c.street_code, c.co_owner_code, c.lon, c.lat, c.reporter_id, c.reporter_private,
                p.status, p.opened_at, p.acknowledge_by, p.resolve_by, p.sla_basis,
                p.hierarchy_version, c.trace_parent, p.opened_at
            FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[],
                $7::float8[], $8::float8[], $9::text[], $10::text[], $11::text[])
                WITH ORDINALITY AS c(case_id, report_id, plan, community_code, street_code,
                co_owner_code, lon, lat, reporter_id, reporter_private, trace_parent, i)
            JOIN plan p USING (plan)
            ORDER BY c.i
            ON CONFLICT (report_id) DO NOTHING
            RETURNING case_id, status, opened_at
        ),
        timed AS (
            INSERT INTO deadlines (case_id, kind, level, due_at)
            SELECT o.case_id, t.kind, t.level, t.due_at
            FROM opened o
            JOIN unnest($1::uuid[], $3::int[]) AS c(case_id, plan) USING (case_id)
            JOIN unnest($21::int[], $22::text[], $23::int[], $24::timestamptz[])
                AS t(plan, kind, level, due_at) USING (plan)
        ),
        logged AS (
            -- History rows in the batch's order, as one statement per case would have added them;
            -- the note quotes the report id as the report's event gave it.
            INSERT INTO case_history (case_id, action, from_status, to_status, actor_id, actor_role,
                note, at)
            SELECT o.case_id, 'open', NULL, o.status, 'system', 'system', 'report ' || b.report_id,
                o.opened_at
            FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS b(case_id, report_id, i)
            JOIN opened o USING (case_id)
            ORDER BY b.i
        )
        SELECT case_id FROM opened
        """,
        [c.case_id for c in cs], [c.report_id for c in cs], plan_of,
        [c.owner.community_code for c in cs], [c.owner.street_code for c in cs],
        [c.owner.co_owner_code for c in cs], [c.lon for c in cs], [c.lat for c in cs],
        [c.visible_reporter for c in cs], [c.reporter_id for c in cs], [n.trace_parent for n in new],
        [p.kind for p in shared], [p.category for p in shared], [p.severity for p in shared],
        [p.status for p in shared], [p.opened_at for p in shared],
        [p.deadlines.acknowledge_by for p in shared], [p.deadlines.resolve_by for p in shared],
        [p.deadlines.basis for p in shared], [p.hierarchy_version for p in shared],
        *([list(column) for column in zip(*timers, strict=True)] if timers else [[], [], [], []]),
    )
    return {str(r["case_id"]) for r in rows}


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
    """Attach reports (report_id, case_id, at) to cases and grow each cluster by its joins (one
    statement).

    Returns each touched case's row after, by case id (cluster_size counts every join).
    """
    if not joins:
        return {}
    report_ids, case_ids, ats = (list(c) for c in zip(*joins, strict=True))
    rows = await conn.fetch(
        """
        WITH attached AS (
            INSERT INTO case_reports (report_id, case_id, joined_at)
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[])
        )
        UPDATE cases c SET cluster_size = c.cluster_size + j.n, updated_at = j.at
        FROM (SELECT case_id, count(*) AS n, max(at) AS at
              FROM unnest($2::uuid[], $3::timestamptz[]) AS t(case_id, at) GROUP BY case_id) j
        WHERE c.case_id = j.case_id
        RETURNING c.*
        """,
        report_ids, case_ids, ats,
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
