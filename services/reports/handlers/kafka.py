"""Kafka handlers of intake: follow each report's case so the worker sees where it stands."""

from __future__ import annotations

from typing import TYPE_CHECKING

import asyncpg

from shared.events import topics
from shared.events.envelope import IncomingEvent
from shared.host import Runtime

if TYPE_CHECKING:
    from services.reports.factory import ReportsFactory


def register(runtime: Runtime, factory: ReportsFactory) -> None:
    """Subscribe intake to the cases stream."""

    async def on_case_event(conn: asyncpg.Connection, event: IncomingEvent) -> None:
        await factory.follow_case(conn, event.body)

    runtime.consume(topics.CASES, apply_one=on_case_event)
