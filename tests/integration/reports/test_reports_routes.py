"""Where reports' cases stand (report_routes) on the real PostgreSQL: migration 0006 moves routed
reports there and back intact, and the reads that grew a join still read by index.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from alembic import command

from services.reports.main import SPEC
from services.reports.storage.open311_queries import (
    MAX_REQUESTS,
    Open311Queries,
    Reach,
    RequestFilter,
    search,
)
from services.reports.storage.postgres import Routed, follow_case, mark_routed, reports_of_case
from shared.postgres import migrate
from tests.integration.reports.helpers import add, make_report

pytestmark = pytest.mark.integration

T0 = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
ROUTED = "11111111-1111-7111-8111-111111111111"
WAITING = "22222222-2222-7222-8222-222222222222"
CASE = "33333333-3333-7333-8333-333333333333"

# Both reports as a reader sees them: status, where the case stands, when last changed.
STATE = (
    "SELECT report_id::text AS id, status, case_id::text AS case_id, community_code, street_code, "
    "co_owner_code, resolve_by, status_notes, updated_at FROM {table} ORDER BY report_id"
)


def _config(database_url: str):
    return migrate.alembic_config(database_url, schema="reports", script_location=SPEC.migrations)


async def test_routed_reports_move_to_their_own_table_and_back(database_url):
    cfg = _config(database_url)
    await asyncio.to_thread(command.upgrade, cfg, "0005")
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "reports"})
    try:
        for report_id, status in ((ROUTED, "submitted"), (WAITING, "submitted")):
            await conn.execute(
                "INSERT INTO reports (report_id, reporter_id, kind, category, severity, lon, lat, "
                "reporter_hidden, status, submitted_at, updated_at) "
                "VALUES ($1, 'w-1', 'hazard', 'road_damage', 'medium', 106.6, 29.7, false, $2, $3, $3)",
                report_id, status, T0,
            )
        await conn.execute(
            "UPDATE reports SET status = 'in_progress', case_id = $2, community_code = '500112002001', "
            "street_code = '500112002', co_owner_code = '500112002002', resolve_by = $3, "
            "status_notes = '社区已接单', updated_at = $4 WHERE report_id = $1",
            ROUTED, CASE, T0 + timedelta(days=3), T0 + timedelta(hours=1),
        )
        before = [dict(r) for r in await conn.fetch(STATE.format(table="reports"))]

        await asyncio.to_thread(command.upgrade, cfg, "0006")
        assert [dict(r) for r in await conn.fetch(STATE.format(table="report_state"))] == before
        assert await conn.fetchval("SELECT count(*) FROM report_routes") == 1
        columns = {
            r["attname"]
            for r in await conn.fetch(
                "SELECT attname FROM pg_attribute WHERE attrelid = 'reports'::regclass "
                "AND attnum > 0 AND NOT attisdropped"
            )
        }
        assert not columns & {"case_id", "community_code", "status_notes", "resolve_by"}
        # Reads by case and by community find the routed report through the view.
        by_case = await conn.fetchval("SELECT report_id::text FROM report_state WHERE case_id = $1", CASE)
        assert by_case == ROUTED
        assert await conn.fetchval(
            "SELECT count(*) FROM report_state WHERE community_code = '500112002001'"
        ) == 1

        # What changes at 0006 (the waiting report routed, the case resolved) goes back down too.
        await mark_routed(conn, [Routed(report_id=WAITING, case_id=CASE, community_code="500112002001")])
        await follow_case(conn, case_id=CASE, status="resolved", status_notes="已处理")
        at_0006 = [dict(r) for r in await conn.fetch(STATE.format(table="report_state"))]
        assert [r["status"] for r in at_0006] == ["resolved", "resolved"]

        await asyncio.to_thread(command.downgrade, cfg, "0005")
        assert [dict(r) for r in await conn.fetch(STATE.format(table="reports"))] == at_0006
        assert await conn.fetchval("SELECT to_regclass('reports.report_state')") is None
        # As 0005 left them: every column of reports, the ones put back too, sampled from 3,000 rows.
        targets = await conn.fetch(
            "SELECT attname, attstattarget FROM pg_attribute WHERE attrelid = 'reports'::regclass "
            "AND attnum > 0 AND NOT attisdropped"
        )
        assert {r["attname"]: r["attstattarget"] for r in targets if r["attstattarget"] != 10} == {}
    finally:
        await conn.close()


async def _plan(conn: asyncpg.Connection, statement: str, *args: object) -> str:
    rows = await conn.fetch(f"EXPLAIN (COSTS OFF) {statement}", *args)
    return "\n".join(r[0] for r in rows)


async def test_reads_through_the_views_use_the_indexes(database_url):
    """100,000 reports, 90,000 routed over 18 busy communities: each read plans an index, not a
    scan of every report; a community's newest 1,000 come in the index's order, unsorted."""
    await migrate.upgrade(database_url, schema="reports", script_location=SPEC.migrations)
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "reports"})
    try:
        await conn.execute(
            "INSERT INTO reports (report_id, reporter_id, kind, category, severity, lon, lat, "
            "reporter_hidden, status, submitted_at, updated_at) "
            "SELECT gen_random_uuid(), 'w-' || (i % 2000), 'hazard', 'road_damage', 'medium', 106.6, "
            "29.7, false, 'submitted', $1::timestamptz - i * interval '1 minute', $1 "
            "FROM generate_series(1, 100000) AS i",
            T0,
        )
        await conn.execute(
            "INSERT INTO report_routes (report_id, case_id, status, community_code, street_code, "
            "submitted_at, updated_at) "
            "SELECT report_id, gen_random_uuid(), 'routed', '500112' || lpad((n % 20)::text, 6, '0'), "
            "'500112002', submitted_at, $1 "
            "FROM (SELECT report_id, submitted_at, row_number() OVER () AS n FROM reports) AS r "
            "WHERE n % 10 <> 0",
            T0,
        )
        await conn.execute("ANALYZE reports; ANALYZE report_routes")
        community = Reach(community_code="500112000003")
        statement, args = search(community, RequestFilter(), limit=MAX_REQUESTS)
        plan = await _plan(conn, statement, *args)
        assert "report_routes_by_community" in plan and "Seq Scan" not in plan, plan
        assert "Sort" not in plan, plan

        # The community's newest 1,000 of its 5,000, newest first.
        got = [r["report_id"] for r in await conn.fetch(statement, *args)]
        newest = await conn.fetch(
            "SELECT r.report_id FROM reports r JOIN report_routes x USING (report_id) "
            "WHERE x.community_code = '500112000003' ORDER BY r.submitted_at DESC LIMIT 1000"
        )
        assert got == [r["report_id"] for r in newest] and len(got) == 1000

        mine, args = search(Reach(reporter_id="w-7"), RequestFilter(), limit=MAX_REQUESTS)
        plan = await _plan(conn, mine, *args)
        assert "Index" in plan and "Seq Scan" not in plan, plan

        case_id = await conn.fetchval("SELECT case_id FROM report_routes LIMIT 1")
        plan = await _plan(conn, "SELECT report_id FROM report_state WHERE case_id = $1", case_id)
        assert "report_routes_by_case" in plan and "Seq Scan" not in plan, plan
        assert len(await reports_of_case(conn, str(case_id))) == 1

        # A case's transition reaches its reports' rows in report_routes, and only theirs.
        await follow_case(conn, case_id=str(case_id), status="resolved", status_notes="已处理")
        states = await conn.fetch("SELECT status, count(*) AS n FROM report_state GROUP BY 1 ORDER BY 1")
        assert [(r["status"], r["n"]) for r in states] == [
            ("resolved", 1), ("routed", 89_999), ("submitted", 10_000)
        ]
    finally:
        await conn.close()


async def test_open311_status_filters_follow_the_case(store, pool):
    """Open311 calls resolved and closed "closed": its status filter reads them so, from the case."""
    resolved, routed, waiting = (make_report(f"w-{i}") for i in range(3))
    for r in (resolved, routed, waiting):
        await add(store, r)
    async with pool.acquire() as conn:
        await mark_routed(conn, [
            Routed(report_id=resolved.report_id, case_id=CASE, community_code="500112002001"),
            Routed(report_id=routed.report_id, case_id=ROUTED, community_code="500112002001"),
        ])
        await follow_case(conn, case_id=CASE, status="resolved", status_notes="已处理")
    queries = Open311Queries(pool=pool)

    async def found(reach: Reach, *statuses: str) -> set[str]:
        return {r.report_id for r in await queries.find(reach, RequestFilter(statuses=statuses))}

    for reach in (Reach(everything=True), Reach(community_code="500112002001")):
        assert await found(reach, "closed") == {resolved.report_id}
        assert await found(reach, "open") == {routed.report_id, waiting.report_id} & await found(reach)
        assert await found(reach, "open", "closed") == await found(reach)
    assert await found(Reach(everything=True)) == {resolved.report_id, routed.report_id, waiting.report_id}
