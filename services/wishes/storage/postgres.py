"""Read side of wishes in PostgreSQL: the wall, a worker's and a donor's lists, review, statistics."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from shared.postgres.pool import snapshot

_WALL = """
SELECT wish_id, community_code, category, title, status, wanted_by, shares,
       shares - shares_taken AS shares_left, approved_at
FROM wishes
WHERE status IN ('open', 'partly_claimed', 'fully_claimed')
  AND ($1::text IS NULL OR community_code = $1) AND ($2::text IS NULL OR category = $2)
ORDER BY approved_at DESC
LIMIT $3
"""

# One row per community plus a last row (community_code NULL) over all of them.
_STATS = """
SELECT community_code,
       count(*) FILTER (WHERE status = 'pending_review') AS pending_review,
       count(*) FILTER (WHERE status = 'open') AS open,
       count(*) FILTER (WHERE status IN ('partly_claimed', 'fully_claimed')) AS claimed,
       count(*) FILTER (WHERE status = 'fulfilled') AS fulfilled,
       count(*) FILTER (WHERE status = 'expired') AS expired,
       count(*) FILTER (WHERE status = 'rejected') AS rejected,
       count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM fulfilled_at - approved_at))
           FILTER (WHERE status = 'fulfilled') AS median_fulfil_s,
       avg(extract(epoch FROM fulfilled_at - approved_at))
           FILTER (WHERE status = 'fulfilled') AS avg_fulfil_s
FROM wishes
WHERE ($1::text IS NULL OR community_code = $1) AND ($2::text IS NULL OR street_code = $2)
GROUP BY GROUPING SETS ((community_code), ())
ORDER BY community_code NULLS LAST
"""


@dataclass(frozen=True)
class WishDetailRows:
    """A wish row, its claims (oldest first) and its audit trail, from one snapshot."""

    wish: asyncpg.Record
    claims: list[asyncpg.Record]
    history: list[asyncpg.Record]


class PostgresWishQueries:
    """Queries that change nothing."""

    def __init__(self, *, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def public_wall(
        self, *, community: str | None = None, category: str | None = None, limit: int = 100
    ) -> list[asyncpg.Record]:
        """Approved, unfinished wishes, newest approval first, without who posted them."""
        return await self._pool.fetch(_WALL, community, category, limit)

    async def detail(self, wish_id: str) -> WishDetailRows | None:
        """A wish with its claims and its trail as they stood at one moment, or None.

        One snapshot: read one after the other, a claim committed in between would show among the
        claims of a wish whose shares taken do not count it yet.
        """
        async with snapshot(self._pool) as conn:
            wish = await conn.fetchrow("SELECT * FROM wishes WHERE wish_id = $1::uuid", wish_id)
            if wish is None:
                return None
            claims = await conn.fetch(
                "SELECT * FROM claims WHERE wish_id = $1::uuid ORDER BY claimed_at, claim_id", wish_id
            )
            history = await conn.fetch(
                "SELECT claim_id, action, from_status, to_status, actor_id, actor_role, note, at "
                "FROM wish_history WHERE wish_id = $1::uuid ORDER BY seq",
                wish_id,
            )
        return WishDetailRows(wish, claims, history)

    async def posted_by(self, poster_id: str, limit: int = 200) -> list[asyncpg.Record]:
        """A worker's own wishes, newest first."""
        return await self._pool.fetch(
            "SELECT * FROM wishes WHERE poster_id = $1 ORDER BY created_at DESC LIMIT $2", poster_id, limit
        )

    async def claims_by(self, donor_id: str, limit: int = 200) -> list[asyncpg.Record]:
        """A donor's claims with their wishes' public facts, newest first."""
        return await self._pool.fetch(
            "SELECT c.*, w.title AS wish_title, w.status AS wish_status, w.handover AS wish_handover "
            "FROM claims c JOIN wishes w USING (wish_id) WHERE c.donor_id = $1 "
            "ORDER BY c.claimed_at DESC LIMIT $2",
            donor_id, limit,
        )

    async def awaiting_review(self, *, community: str | None, street: str | None) -> list[asyncpg.Record]:
        """Wishes waiting for review in a community, a street, or (both None) anywhere; oldest first."""
        return await self._pool.fetch(
            "SELECT * FROM wishes WHERE status = 'pending_review' "
            "AND ($1::text IS NULL OR community_code = $1) AND ($2::text IS NULL OR street_code = $2) "
            "ORDER BY created_at LIMIT 500",
            community, street,
        )

    async def stats(self, *, community: str | None, street: str | None) -> list[asyncpg.Record]:
        """Counts by outcome and approval-to-fulfilment times, per community and in total."""
        return await self._pool.fetch(_STATS, community, street)
