"""Use case: the volunteers stream reaches the new volunteer's community and the volunteer."""

from __future__ import annotations

import asyncpg

from services.notify.app.deliver import deliver
from services.notify.app.record import kind_of
from services.notify.domain.volunteer_recipients import volunteer_notice
from shared.events.envelope import IncomingEvent


async def record_volunteer_event(conn: asyncpg.Connection, event: IncomingEvent) -> None:
    """Notify whoever a volunteers event concerns (no address is on any of them)."""
    notice = volunteer_notice(event.body)
    if notice is None:
        return
    recipient, title = notice
    await deliver(conn, event.id, kind_of(event.type), title, event.body.model_dump_json(), [recipient])
