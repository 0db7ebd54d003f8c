"""Kafka handlers of volunteers: check-ins become visits; outcomes and fulfilled wishes earn points."""

from __future__ import annotations

from typing import TYPE_CHECKING

import asyncpg

from shared.events import topics
from shared.events.envelope import IncomingEvent
from shared.host import Runtime

if TYPE_CHECKING:
    from services.volunteers.factory import VolunteersFactory


def register(runtime: Runtime, factory: VolunteersFactory) -> None:
    """Subscribe volunteers to the reports and wishes streams."""

    async def on_event(conn: asyncpg.Connection, event: IncomingEvent) -> None:
        await factory.apply(conn, event)

    runtime.consume(topics.REPORTS, apply_one=on_event)
    runtime.consume(topics.WISHES, apply_one=on_event)
