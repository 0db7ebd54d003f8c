"""The feed in PostgreSQL: appended once per event, read in order by scope."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from services.notify.domain.scope import FeedScope

CHANNEL = "notify_feed"


@dataclass(frozen=True)
class FeedEntry:
    """One case event as the dashboards see it."""

    event_id: str
    event_type: str
    case_id: str | None
    community_code: str | None
    street_code: str | None
    payload: str
    """The event's body as JSON text, encoded once; the event's notifications read it from here."""
    trace_id: str | None
    co_owner_code: str | None = None


async def append(conn: asyncpg.Connection, entries: Sequence[FeedEntry]) -> dict[str, int]:
    """Append entries in the order given, in one statement; the seq of each one added, by event id.

    A repeated event id is ignored. The caller holds ``lock_in_order`` and calls ``wake_streams``.
    """
    if not entries:
        return {}
    rows = await conn.fetch(
        """
        INSERT INTO feed (event_id, event_type, case_id, community_code, street_code, payload,
            trace_id, co_owner_code)
        SELECT e.event_id, e.event_type, e.case_id, e.community_code, e.street_code, e.payload::jsonb,
            e.trace_id, e.co_owner_code
        FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[],
                    $7::text[], $8::text[])
            WITH ORDINALITY AS e(event_id, event_type, case_id, community_code, street_code, payload,
                                 trace_id, co_owner_code, ord)
        ORDER BY e.ord
        ON CONFLICT (event_id) DO NOTHING RETURNING event_id, seq
        """,
        [e.event_id for e in entries],
        [e.event_type for e in entries],
        [e.case_id for e in entries],
        [e.community_code for e in entries],
        [e.street_code for e in entries],
        [e.payload for e in entries],
        [e.trace_id for e in entries],
        [e.co_owner_code for e in entries],
    )
    return {row["event_id"]: row["seq"] for row in rows}


async def lock_in_order(conn: asyncpg.Connection) -> None:
    """Serialise feed and inbox writers until commit.

    Streams read by sequence number; held to commit, this lock makes commit order equal sequence
    order, so a stream never passes a number whose row commits later (several notify instances).
    """
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", CHANNEL)


async def wake_streams(conn: asyncpg.Connection, seq: int | None = None) -> None:
    """Wake live streams when the transaction commits (the payload, the newest seq, is a hint only)."""
    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, "" if seq is None else str(seq))


class FeedReader:
    """Reads feed entries after a sequence number within a scope."""

    def __init__(self, *, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def after(self, scope: FeedScope, after_seq: int, limit: int = 200) -> list[asyncpg.Record]:
        """Entries with seq > after_seq visible in the scope, oldest first; ``payload`` as JSON text."""
        return await self._pool.fetch(
            """
            SELECT seq, event_type, case_id, community_code, street_code, payload::text AS payload,
                created_at
            FROM feed
            WHERE seq > $1
              AND ($2::text IS NULL OR community_code = $2 OR co_owner_code = $2)
              AND ($3::text IS NULL OR street_code = $3)
            ORDER BY seq LIMIT $4
            """,
            after_seq,
            scope.community_code,
            scope.street_code,
            limit,
        )

    async def head(self) -> int:
        """The newest sequence number (0 when empty)."""
        return await self._pool.fetchval("SELECT coalesce(max(seq), 0) FROM feed")
