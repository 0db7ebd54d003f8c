"""Retention of the platform inbox: event ids are kept as long as a redelivery can still come."""

from __future__ import annotations

import asyncpg


async def prune_inbox(pool: asyncpg.Pool, *, older_than_days: int, limit: int = 10_000) -> int:
    """Forget event ids applied more than ``older_than_days`` ago (by the database's clock, which
    stamped them), at most ``limit`` per call; returns how many.

    Small deletes keep each transaction short; the caller calls again at once while batches
    come back full.
    """
    status = await pool.execute(
        "DELETE FROM inbox WHERE (consumer, event_id) IN "
        "(SELECT consumer, event_id FROM inbox WHERE processed_at < now() - make_interval(days => $1) "
        "LIMIT $2)",
        older_than_days,
        limit,
    )
    return int(status.split()[-1])
