"""Durable timers: held claims past their hold and wishes past their day, taken with SKIP LOCKED."""

from __future__ import annotations

from datetime import datetime

import asyncpg

# Both rows are locked in one statement and never waited for, so the sweeper cannot deadlock
# with a request that locks the wish and then the claim: it skips what is busy and comes back.
_DUE_CLAIMS = """
SELECT c.claim_id, c.wish_id
FROM claims c JOIN wishes w USING (wish_id)
WHERE c.status = 'held' AND c.held_until <= $1
ORDER BY c.held_until
LIMIT $2
FOR UPDATE OF c, w SKIP LOCKED
"""

# A wish with a hand-over waiting for the worker's confirmation is left alone: the donor has
# given, and the worker can still say so. It lapses once that claim is settled.
_EXPIRING = """
SELECT w.wish_id
FROM wishes w
WHERE w.status IN ('pending_review', 'open', 'partly_claimed', 'fully_claimed')
  AND w.expires_at <= $1
  AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.wish_id = w.wish_id AND c.status = 'handed_over')
ORDER BY w.expires_at
LIMIT $2
FOR UPDATE SKIP LOCKED
"""


async def due_claims(conn: asyncpg.Connection, now: datetime, limit: int) -> list[asyncpg.Record]:
    """Held claims whose hold has run out, locked with their wishes for this transaction."""
    return await conn.fetch(_DUE_CLAIMS, now, limit)


async def expiring_wishes(conn: asyncpg.Connection, now: datetime, limit: int) -> list[asyncpg.Record]:
    """Unfinished wishes past the end of their wanted-by day, locked for this transaction."""
    return await conn.fetch(_EXPIRING, now, limit)
