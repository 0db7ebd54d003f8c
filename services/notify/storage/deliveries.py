"""Channel deliveries: leased by one dispatcher at a time, retried with backoff, dead at the limit."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

from services.notify.storage.inbox import BODY, WITH_BODY


async def lease_due(pool: asyncpg.Pool, now: datetime, lease: timedelta, limit: int) -> list[asyncpg.Record]:
    """Claim due deliveries for ``lease`` (committed at once, so the sends happen outside a transaction)."""
    async with pool.acquire() as conn, conn.transaction():
        return await conn.fetch(
            f"""
            UPDATE deliveries d SET next_attempt_at = $2, attempts = d.attempts + 1
            FROM {WITH_BODY}
            WHERE d.delivery_id IN (
                SELECT delivery_id FROM deliveries
                WHERE status = 'pending' AND next_attempt_at <= $1
                ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED
            ) AND n.id = d.notification_id
            RETURNING d.*, n.recipient, n.event_id, n.event_type, n.title, {BODY} AS payload, n.urgent,
                      n.created_at AS notified_at
            """,
            now, now + lease, limit,
        )


async def mark_sent(pool: asyncpg.Pool, delivery_id: int, at: datetime) -> None:
    """A send the channel accepted."""
    await pool.execute(
        "UPDATE deliveries SET status = 'sent', sent_at = $2, last_error = NULL WHERE delivery_id = $1",
        delivery_id, at,
    )


async def mark_failed(pool: asyncpg.Pool, delivery_id: int, error: str, retry_at: datetime | None) -> None:
    """A failed send: try again at ``retry_at``, or dead when None."""
    await pool.execute(
        "UPDATE deliveries SET status = CASE WHEN $3::timestamptz IS NULL THEN 'dead' ELSE 'pending' END, "
        "next_attempt_at = coalesce($3, next_attempt_at), last_error = $2 WHERE delivery_id = $1",
        delivery_id, error[:2000], retry_at,
    )


async def dead(pool: asyncpg.Pool, recipients: list[str] | None, limit: int = 200) -> list[asyncpg.Record]:
    """Dead deliveries (all when recipients is None), newest first."""
    return await pool.fetch(
        "SELECT d.*, n.recipient, n.title FROM deliveries d JOIN notifications n ON n.id = d.notification_id "
        "WHERE d.status = 'dead' AND ($1::text[] IS NULL OR n.recipient = ANY($1::text[])) "
        "ORDER BY d.delivery_id DESC LIMIT $2",
        recipients, limit,
    )
