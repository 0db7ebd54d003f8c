"""Wishes in PostgreSQL."""

from __future__ import annotations

import asyncpg


class PostgresWishQueries:
    """Read side of the public wish wall."""

    def __init__(self, *, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def public_wall(self, limit: int = 100) -> list[asyncpg.Record]:
        """Approved, unfulfilled wishes, newest first, without who posted them."""
        return await self._pool.fetch(
            "SELECT wish_id, community_code, category, title, status, wanted_by FROM wishes "
            "WHERE status IN ('open', 'claimed') ORDER BY created_at DESC LIMIT $1",
            limit,
        )
