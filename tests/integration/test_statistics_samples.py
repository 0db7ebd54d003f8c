"""The tables that grow with every report are analysed from a small sample, on the real PostgreSQL."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from alembic import command

from services.notify.main import SPEC as NOTIFY
from services.reports.main import SPEC as REPORTS
from services.routing.main import SPEC as ROUTING
from shared.postgres import migrate

pytestmark = pytest.mark.integration

GROWING = {
    REPORTS: ("reports", "report_routes", "inbox"),
    ROUTING: ("cases", "deadlines", "case_history", "case_reports", "inbox"),
    NOTIFY: ("feed", "notifications", "deliveries", "inbox"),
}

# Every column of the tables and every expression of their indexes: ANALYZE's sample is 300 rows
# for each point of the largest of these targets (-1: the server's default).
TARGETS = """
    SELECT c.relname AS rel, a.attname, a.attstattarget FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_index i ON i.indexrelid = c.oid
    WHERE n.nspname = $1 AND a.attnum > 0 AND NOT a.attisdropped
      AND (c.oid = ANY ($2::regclass[]) OR (i.indrelid = ANY ($2::regclass[]) AND i.indkey[a.attnum - 1] = 0))
"""


async def _targets(
    conn: asyncpg.Connection, schema: str, tables: tuple[str, ...]
) -> dict[tuple[str, str], int | None]:
    rows = await conn.fetch(TARGETS, schema, [f"{schema}.{t}" for t in tables])
    return {(r["rel"], r["attname"]): r["attstattarget"] for r in rows}


async def test_every_column_of_the_growing_tables_is_analysed_from_3000_rows(database_url):
    for spec in GROWING:
        await migrate.upgrade(database_url, schema=spec.name, script_location=spec.migrations)
    conn = await asyncpg.connect(database_url)
    try:
        for spec, tables in GROWING.items():
            targets = await _targets(conn, spec.name, tables)
            assert {rel for rel, _ in targets} >= set(tables), spec.name
            assert {key: 10 for key in targets} == targets, spec.name
        # routing's me-too index has an expression (the latitude band): its statistics too.
        assert ("cases_open_by_band", "floor") in await _targets(conn, "routing", ("cases",))

        # What ANALYZE keeps follows: 10 histogram buckets where the default keeps 100.
        await conn.execute(
            "INSERT INTO reports.inbox (consumer, event_id) "
            "SELECT 'reports', 'e-' || i FROM generate_series(1, 5000) AS i"
        )
        await conn.execute("ANALYZE reports.inbox")
        bounds = await conn.fetchval(
            "SELECT array_length(histogram_bounds, 1) FROM pg_stats "
            "WHERE schemaname = 'reports' AND tablename = 'inbox' AND attname = 'event_id'"
        )
        assert bounds == 11
    finally:
        await conn.close()


async def test_the_downgrade_gives_the_tables_the_default_back(database_url):
    await migrate.upgrade(database_url, schema=REPORTS.name, script_location=REPORTS.migrations)
    cfg = migrate.alembic_config(database_url, schema=REPORTS.name, script_location=REPORTS.migrations)
    await asyncio.to_thread(command.downgrade, cfg, "0004")
    conn = await asyncpg.connect(database_url)
    try:
        # report_routes came with 0006 (its target set there) and went with its downgrade.
        assert await conn.fetchval("SELECT to_regclass('reports.report_routes')") is None
        targets = await _targets(conn, REPORTS.name, ("reports", "inbox"))
        assert targets and set(targets.values()) <= {-1, None}  # None from PostgreSQL 17 on
    finally:
        await conn.close()
