"""Inboxes in PostgreSQL: notifications once per (recipient, event), preferences, webhooks."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.notify.domain.preferences import Preferences


async def add_notification(
    conn: asyncpg.Connection, *, recipient: str, event_id: str, event_type: str, title: str,
    reason: str, case_id: str | None, urgent: bool, payload: dict,
) -> int | None:
    """Insert one notification; None if this recipient already has this event (a redelivery)."""
    return await conn.fetchval(
        """
        INSERT INTO notifications (recipient, event_id, event_type, title, reason, case_id, urgent, payload)
        VALUES ($1, $2, $3, $4, $5, $6::uuid, $7, $8)
        ON CONFLICT (recipient, event_id) DO NOTHING RETURNING id
        """,
        recipient, event_id, event_type, title, reason, case_id, urgent, payload,
    )


async def preferences_of(conn: asyncpg.Connection, recipient: str) -> tuple[Preferences, str | None]:
    """A recipient's preferences (defaults when none) and phone."""
    row = await conn.fetchrow("SELECT * FROM preferences WHERE recipient = $1", recipient)
    if row is None:
        return Preferences(), None
    return Preferences(frozenset(row["kinds"]), frozenset(row["channels"]), row["quiet_start"],
                       row["quiet_end"]), row["phone"]


async def save_preferences(
    conn: asyncpg.Connection, recipient: str, prefs: Preferences, phone: str | None
) -> None:
    """Replace a recipient's preferences."""
    await conn.execute(
        """
        INSERT INTO preferences (recipient, kinds, channels, quiet_start, quiet_end, phone, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, now())
        ON CONFLICT (recipient) DO UPDATE SET kinds = $2, channels = $3, quiet_start = $4,
            quiet_end = $5, phone = $6, updated_at = now()
        """,
        recipient, sorted(prefs.kinds), sorted(prefs.channels), prefs.quiet_start, prefs.quiet_end, phone,
    )


async def add_webhook(conn: asyncpg.Connection, *, webhook_id: str, recipient: str, url: str,
                      secret: str, kinds: list[str]) -> None:
    """Register a webhook for an inbox."""
    await conn.execute(
        "INSERT INTO webhooks (webhook_id, recipient, url, secret, kinds) VALUES ($1::uuid, $2, $3, $4, $5)",
        webhook_id, recipient, url, secret, kinds,
    )


async def webhooks_of(conn: asyncpg.Connection, recipient: str) -> list[asyncpg.Record]:
    """A recipient's active webhooks."""
    return await conn.fetch("SELECT * FROM webhooks WHERE recipient = $1 AND active", recipient)


async def add_delivery(conn: asyncpg.Connection, *, notification_id: int, channel: str, target: str,
                       due: datetime) -> None:
    """Queue one external send."""
    await conn.execute(
        "INSERT INTO deliveries (notification_id, channel, target, next_attempt_at) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT DO NOTHING",
        notification_id, channel, target, due,
    )


class InboxReader:
    """Reads inboxes by notification id, so streams resume after the last id seen."""

    def __init__(self, *, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def after(self, recipients: list[str], after_id: int, *, unread_only: bool = False,
                    limit: int = 200) -> list[asyncpg.Record]:
        """Notifications of the given inboxes with id > after_id, oldest first."""
        return await self._pool.fetch(
            "SELECT * FROM notifications WHERE recipient = ANY($1::text[]) AND id > $2 "
            "AND (NOT $3 OR read_at IS NULL) ORDER BY id LIMIT $4",
            recipients, after_id, unread_only, limit,
        )

    async def newest(self, recipients: list[str], limit: int) -> list[asyncpg.Record]:
        """The newest notifications, newest first."""
        return await self._pool.fetch(
            "SELECT * FROM notifications WHERE recipient = ANY($1::text[]) ORDER BY id DESC LIMIT $2",
            recipients, limit,
        )

    async def head(self) -> int:
        """The newest notification id."""
        return await self._pool.fetchval("SELECT coalesce(max(id), 0) FROM notifications")

    async def unread(self, recipients: list[str]) -> int:
        """How many are unread."""
        return await self._pool.fetchval(
            "SELECT count(*) FROM notifications WHERE recipient = ANY($1::text[]) AND read_at IS NULL",
            recipients,
        )

    async def mark_read(self, recipients: list[str], notification_id: int, at: datetime) -> bool:
        """Mark one read; False if it is not in these inboxes."""
        done = await self._pool.fetchval(
            "UPDATE notifications SET read_at = coalesce(read_at, $3) WHERE id = $1 "
            "AND recipient = ANY($2::text[]) RETURNING id",
            notification_id, recipients, at,
        )
        return done is not None
