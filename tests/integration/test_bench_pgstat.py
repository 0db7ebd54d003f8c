"""The bench's reading of PostgreSQL's table statistics, on the real server: what a stretch of
writes did to each table, and the WAL it wrote."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest

from bench import pgstat

pytestmark = pytest.mark.integration


async def _after(url: str, table: str, inserted: int) -> dict:
    # A backend hands its counters to the shared statistics when it goes idle or exits, a moment
    # after its transaction; read until they are there.
    deadline = time.monotonic() + 15
    while True:
        snap = await pgstat.tables(url)
        if snap["tables"].get(table, {}).get("n_tup_ins", 0) >= inserted:
            return snap
        assert time.monotonic() < deadline, f"the statistics never showed {inserted} rows in {table}"
        await asyncio.sleep(0.2)


async def test_writes_between_two_snapshots_are_counted_per_table(database_url):
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("CREATE TABLE calm (id int PRIMARY KEY, note text)")
        await conn.execute("CREATE TABLE busy (id int PRIMARY KEY, note text, tag text)")
        await conn.execute("CREATE INDEX busy_by_tag ON busy (tag)")
        await conn.execute("INSERT INTO calm SELECT g, 'x' FROM generate_series(1, 5) g")
    finally:
        await conn.close()
    before = await _after(database_url, "public.calm", 5)

    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("INSERT INTO busy SELECT g, 'x', 'a' FROM generate_series(1, 40) g")
        await conn.execute("UPDATE busy SET note = 'y' WHERE id <= 10")  # no indexed column: HOT
        await conn.execute("UPDATE busy SET tag = 'b' WHERE id > 30")  # an indexed column: not HOT
        await conn.execute("DELETE FROM busy WHERE id BETWEEN 11 AND 15")
    finally:
        await conn.close()
    after = await _after(database_url, "public.busy", 40)

    found = pgstat.maintenance(before, after)
    rows = {t["table"]: t for t in found["tables"]}
    assert "public.calm" not in rows, "a table nothing wrote to between the snapshots is left out"
    busy = rows["public.busy"]
    assert (busy["n_tup_ins"], busy["n_tup_upd"], busy["n_tup_del"]) == (40, 20, 5)
    assert 0 < busy["n_tup_hot_upd"] <= 10
    assert busy["bytes"] > 0
    assert found["wal"]["wal_bytes"] > 0 and found["wal"]["wal_records"] >= 65
