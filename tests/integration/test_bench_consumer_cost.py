"""The consumer cost measurement on the real PostgreSQL: routing, notify and the reports follower do
their real work on every record of every batch size, and each size's CPU is read on both sides."""

from __future__ import annotations

import gc

import asyncpg
import pytest

from bench.consumer_cost import measure

pytestmark = pytest.mark.integration


async def test_every_report_is_routed_recorded_and_followed_at_each_batch_size(
    infra_handle, database_url, tmp_path
):
    collector = gc.get_threshold()
    rows = await measure(database_url, sizes=[1, 4], records=8, trace_dir=tmp_path, warmup=6)
    # It tunes the collector as the services do while it measures, and leaves the process as it was.
    assert gc.get_threshold() == collector
    conn = await asyncpg.connect(database_url)
    try:
        cases = await conn.fetchval("SELECT count(*) FROM routing.cases")
        joined = await conn.fetchval("SELECT count(*) FROM routing.case_reports")
        feed = await conn.fetchval("SELECT count(*) FROM notify.feed")
        left = await conn.fetchval(
            "SELECT (SELECT count(*) FROM routing.outbox) + (SELECT count(*) FROM notify.outbox)"
        )
        inbox = await conn.fetchval("SELECT count(*) FROM routing.inbox")
        followed = await conn.fetch(
            "SELECT r.status, r.case_id = c.case_id AS on_its_case, count(*) AS n "
            "FROM reports.report_state r "
            "LEFT JOIN routing.cases c ON c.report_id = r.report_id "
            "LEFT JOIN routing.case_reports j ON j.report_id = r.report_id "
            "WHERE j.report_id IS NULL GROUP BY 1, 2"
        )
        # Each size starts on fresh statistics, as autoanalyze keeps them on a running server: one
        # ANALYZE of every table before each of the two sizes.
        analyses = await conn.fetch(
            "SELECT schemaname, relname, analyze_count FROM pg_stat_user_tables "
            "WHERE schemaname IN ('routing', 'notify', 'reports')"
        )
        joined_followed = await conn.fetchval(
            "SELECT count(*) FROM reports.report_state r JOIN routing.case_reports j USING (report_id) "
            "WHERE r.status = 'routed' AND r.case_id = j.case_id"
        )
    finally:
        await conn.close()
    assert [(r.service, r.batch, r.batches) for r in rows] == [
        ("routing", 1, 8), ("notify", 1, 8), ("reports", 1, 8),
        ("routing", 4, 2), ("notify", 4, 2), ("reports", 4, 2),
    ]
    # Warm-up and both sizes: each report opened a case or joined one, and each of those case
    # events reached notify's feed (none left unread in an outbox).
    assert inbox == cases + joined == 6 + 8 + 8
    assert feed == cases + joined and left == 0
    # and the follower marked every report routed, on the case that opened for it or it joined.
    assert [tuple(r) for r in followed] == [("routed", True, cases)]
    assert joined_followed == joined
    assert analyses and {r["analyze_count"] for r in analyses} == {2}, [tuple(r) for r in analyses]
    for row in rows:
        assert row.client_us_per_record > 0, row
    _, embedded_pg = infra_handle
    if embedded_pg is not None:
        # The session's own server runs on this machine: its backends' CPU is read.
        assert all(r.server_us_per_record is not None and r.server_us_per_record >= 0 for r in rows)
