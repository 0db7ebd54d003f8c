"""Use case step shared by the wish and volunteer events: a notification in each inbox, once."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from services.notify.domain.recipients import Recipient
from services.notify.storage import inbox
from services.notify.storage.postgres import lock_in_order, wake_streams


async def deliver(conn: asyncpg.Connection, event_id: str, kind: str, title: str, payload: str,
                  recipients: Sequence[Recipient]) -> None:
    """One notification an inbox (none twice for one event), and the live streams woken."""
    await lock_in_order(conn)
    for recipient in recipients:
        await inbox.add_notification(
            conn, recipient=recipient.key, event_id=event_id, event_type=kind, title=title,
            reason=recipient.reason, case_id=None, urgent=False, payload=payload,
        )
    await wake_streams(conn)
