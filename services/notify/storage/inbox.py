"""Inboxes in PostgreSQL: notifications once per (recipient, event), preferences, webhooks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.notify.domain.preferences import Preferences

# A notification's body: its own (events without a feed entry) or its event's feed entry's. The
# feed is append-only, so the entry a notification was written with is always there.
WITH_BODY = "notifications n LEFT JOIN feed f ON n.payload IS NULL AND f.event_id = n.event_id"
BODY = "coalesce(n.payload, f.payload)"
NOTIFICATIONS = (
    "SELECT n.id, n.recipient, n.event_id, n.event_type, n.title, n.reason, n.case_id, n.urgent, "
    f"{BODY} AS payload, n.created_at, n.read_at FROM {WITH_BODY}"
)


@dataclass(frozen=True)
class NewNotification:
    """A notification to add to one inbox for one event."""

    recipient: str
    event_id: str
    event_type: str
    title: str
    reason: str
    case_id: str | None
    urgent: bool
    payload: str | None
    """JSON text; None for a case event, whose body its feed entry (same event id) holds."""


@dataclass(frozen=True)
class NewDelivery:
    """One external send to queue."""

    notification_id: int
    channel: str
    target: str
    due: datetime


async def add_notifications(
    conn: asyncpg.Connection, notes: Sequence[NewNotification]
) -> dict[tuple[str, str], int]:
    """Insert in the order given (ids follow it), in one statement; the new ids by (recipient, event id).

    A recipient that already has the event (a redelivery) gets nothing and is not in the answer.
    """
    if not notes:
        return {}
    rows = await conn.fetch(
        """
        INSERT INTO notifications (recipient, event_id, event_type, title, reason, case_id, urgent, payload)
        SELECT n.recipient, n.event_id, n.event_type, n.title, n.reason, n.case_id, n.urgent,
            n.payload::jsonb
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::uuid[],
                    $7::boolean[], $8::text[])
            WITH ORDINALITY AS n(recipient, event_id, event_type, title, reason, case_id, urgent,
                                 payload, ord)
        ORDER BY n.ord
        ON CONFLICT (recipient, event_id) DO NOTHING RETURNING id, recipient, event_id
        """,
        [n.recipient for n in notes],
        [n.event_id for n in notes],
        [n.event_type for n in notes],
        [n.title for n in notes],
        [n.reason for n in notes],
        [n.case_id for n in notes],
        [n.urgent for n in notes],
        [n.payload for n in notes],
    )
    return {(row["recipient"], row["event_id"]): row["id"] for row in rows}


async def add_notification(
    conn: asyncpg.Connection,
    *,
    recipient: str,
    event_id: str,
    event_type: str,
    title: str,
    reason: str,
    case_id: str | None,
    urgent: bool,
    payload: str | None,
) -> int | None:
    """Insert one notification; None if this recipient already has this event (a redelivery)."""
    ids = await add_notifications(
        conn,
        [
            NewNotification(
                recipient=recipient,
                event_id=event_id,
                event_type=event_type,
                title=title,
                reason=reason,
                case_id=case_id,
                urgent=urgent,
                payload=payload,
            )
        ],
    )
    return ids.get((recipient, event_id))


# Most recipients never set preferences; they all share the defaults (immutable) and no phone.
_DEFAULTS: tuple[Preferences, str | None] = (Preferences(), None)


async def preferences_for(
    conn: asyncpg.Connection, recipients: Sequence[str]
) -> dict[str, tuple[Preferences, str | None]]:
    """Each recipient's preferences (defaults when none) and phone, in one query."""
    rows = await conn.fetch("SELECT * FROM preferences WHERE recipient = ANY($1::text[])", list(recipients))
    found = {
        row["recipient"]: (
            Preferences(
                frozenset(row["kinds"]), frozenset(row["channels"]), row["quiet_start"], row["quiet_end"]
            ),
            row["phone"],
        )
        for row in rows
    }
    return {r: found.get(r, _DEFAULTS) for r in recipients}


async def preferences_of(conn: asyncpg.Connection, recipient: str) -> tuple[Preferences, str | None]:
    """A recipient's preferences (defaults when none) and phone."""
    return (await preferences_for(conn, [recipient]))[recipient]


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
        recipient,
        sorted(prefs.kinds),
        sorted(prefs.channels),
        prefs.quiet_start,
        prefs.quiet_end,
        phone,
    )


async def add_webhook(
    conn: asyncpg.Connection, *, webhook_id: str, recipient: str, url: str, secret: str, kinds: list[str]
) -> None:
    """Register a webhook for an inbox."""
    await conn.execute(
        "INSERT INTO webhooks (webhook_id, recipient, url, secret, kinds) VALUES ($1::uuid, $2, $3, $4, $5)",
        webhook_id,
        recipient,
        url,
        secret,
        kinds,
    )


async def webhooks_for(
    conn: asyncpg.Connection, recipients: Sequence[str]
) -> dict[str, list[asyncpg.Record]]:
    """The active webhooks of each recipient (oldest first), in one query; none: not in the answer."""
    rows = await conn.fetch(
        "SELECT * FROM webhooks WHERE recipient = ANY($1::text[]) AND active "
        "ORDER BY recipient, created_at, webhook_id",
        list(recipients),
    )
    out: dict[str, list[asyncpg.Record]] = {}
    for row in rows:
        out.setdefault(row["recipient"], []).append(row)
    return out


async def add_deliveries(conn: asyncpg.Connection, sends: Sequence[NewDelivery]) -> None:
    """Queue external sends in the order given, in one statement (one already queued is skipped)."""
    if not sends:
        return
    await conn.execute(
        """
        INSERT INTO deliveries (notification_id, channel, target, next_attempt_at)
        SELECT d.notification_id, d.channel, d.target, d.due
        FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[])
            WITH ORDINALITY AS d(notification_id, channel, target, due, ord)
        ORDER BY d.ord
        ON CONFLICT DO NOTHING
        """,
        [d.notification_id for d in sends],
        [d.channel for d in sends],
        [d.target for d in sends],
        [d.due for d in sends],
    )


class InboxReader:
    """Reads inboxes by notification id, so streams resume after the last id seen."""

    def __init__(self, *, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def after(
        self, recipients: list[str], after_id: int, *, unread_only: bool = False, limit: int = 200
    ) -> list[asyncpg.Record]:
        """Notifications of the given inboxes with id > after_id, oldest first."""
        return await self._pool.fetch(
            f"{NOTIFICATIONS} WHERE n.recipient = ANY($1::text[]) AND n.id > $2 "
            "AND (NOT $3 OR n.read_at IS NULL) ORDER BY n.id LIMIT $4",
            recipients,
            after_id,
            unread_only,
            limit,
        )

    async def newest(
        self, recipients: list[str], after_id: int, *, unread_only: bool = False, limit: int = 200
    ) -> list[asyncpg.Record]:
        """Notifications of the given inboxes with id > after_id, the newest ``limit``, newest first."""
        return await self._pool.fetch(
            f"{NOTIFICATIONS} WHERE n.recipient = ANY($1::text[]) AND n.id > $2 "
            "AND (NOT $3 OR n.read_at IS NULL) ORDER BY n.id DESC LIMIT $4",
            recipients,
            after_id,
            unread_only,
            limit,
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
            notification_id,
            recipients,
            at,
        )
        return done is not None
