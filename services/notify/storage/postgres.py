"""The feed in PostgreSQL: appended once per event, read in order by scope."""

from __future__ import annotations

import asyncpg

from services.notify.domain.scope import FeedScope

CHANNEL = "notify_feed"


async def append(
    conn: asyncpg.Connection,
    *,
    event_id: str,
    event_type: str,
    case_id: str | None,
    community_code: str | None,
    street_code: str | None,
    payload: dict,
    trace_id: str | None,
    co_owner_code: str | None = None,
) -> None:
    """Append one entry (a repeated event id is ignored) and wake the live streams on commit."""
    await lock_in_order(conn)
    seq = await conn.fetchval(
        """
        INSERT INTO feed (event_id, event_type, case_id, community_code, street_code, payload,
            trace_id, co_owner_code)
        VALUES ($1, $2, $3::uuid, $4, $5, $6, $7, $8)
        ON CONFLICT (event_id) DO NOTHING RETURNING seq
        """,
        event_id, event_type, case_id, community_code, street_code, payload, trace_id, co_owner_code,
    )
    if seq is not None:
        await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, str(seq))


async def lock_in_order(conn: asyncpg.Connection) -> None:
    """Serialise feed and inbox writers until commit.

    Streams read by sequence number; held to commit, this lock makes commit order equal sequence
    order, so a stream never passes a number whose row commits later (several notify instances).
    """
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", CHANNEL)


async def wake_streams(conn: asyncpg.Connection) -> None:
    """Wake live streams when the transaction commits."""
    await conn.execute("SELECT pg_notify($1, '')", CHANNEL)


class FeedReader:
    """Reads feed entries after a sequence number within a scope."""

    def __init__(self, *, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def after(self, scope: FeedScope, after_seq: int, limit: int = 200) -> list[asyncpg.Record]:
        """Entries with seq > after_seq visible in the scope, oldest first."""
        return await self._pool.fetch(
            """
            SELECT seq, event_type, case_id, community_code, street_code, payload, created_at
            FROM feed
            WHERE seq > $1
              AND ($2::text IS NULL OR community_code = $2 OR co_owner_code = $2)
              AND ($3::text IS NULL OR street_code = $3)
            ORDER BY seq LIMIT $4
            """,
            after_seq, scope.community_code, scope.street_code, limit,
        )

    async def head(self) -> int:
        """The newest sequence number (0 when empty)."""
        return await self._pool.fetchval("SELECT coalesce(max(seq), 0) FROM feed")
