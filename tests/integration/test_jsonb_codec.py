"""A pool's connections write and read jsonb as Python objects, on the real server."""

from __future__ import annotations

import pytest

from shared.postgres.pool import create_pool

pytestmark = pytest.mark.integration


async def test_jsonb_round_trips_through_the_server(database_url):
    pool = await create_pool(database_url, schema="public", max_size=1)
    try:
        value = {"街道": "龙溪", "n": 2**70, "x": 0.25, "list": [1, None, True], "nested": {"k": "v"}}
        # The server parses what the pool sends: its own functions see the same document.
        row = await pool.fetchrow(
            "SELECT $1::jsonb AS doc, $1::jsonb ->> '街道' AS street, ($1::jsonb -> 'n')::numeric AS n",
            value,
        )
        assert row["street"] == "龙溪"
        assert row["n"] == 2**70
        assert row["doc"]["街道"] == "龙溪" and row["doc"]["list"] == [1, None, True]
        assert row["doc"]["n"] == 2**70 and isinstance(row["doc"]["n"], int)
        assert row["doc"]["nested"] == {"k": "v"} and row["doc"]["x"] == 0.25
        # Arrays of jsonb, as the outbox writes its headers.
        docs = await pool.fetchval("SELECT $1::jsonb[]", [{"a": "1"}, {"b": "2"}])
        assert docs == [{"a": "1"}, {"b": "2"}]
        # Text the server stores is read back as objects too; a number beyond a double, which the
        # server keeps exactly (and writes out in full), is read exactly.
        assert await pool.fetchval("""SELECT '{"big": 1e400}'::jsonb""") == {"big": 10**400}
    finally:
        await pool.close()
