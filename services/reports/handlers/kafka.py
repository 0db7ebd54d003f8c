"""Kafka handlers of intake: learn when a report became a case."""

from __future__ import annotations

from typing import TYPE_CHECKING

import asyncpg

from shared.events import topics
from shared.events.cases import CaseOpenedV1
from shared.events.envelope import IncomingEvent
from shared.host import Runtime

if TYPE_CHECKING:
    from services.reports.factory import ReportsFactory


def register(runtime: Runtime, factory: ReportsFactory) -> None:
    """Subscribe intake to the cases stream."""

    async def on_case_event(conn: asyncpg.Connection, event: IncomingEvent) -> None:
        if isinstance(event.body, CaseOpenedV1):
            await factory.record_case_opened(conn, event.body)

    runtime.consume(topics.CASES, apply_one=on_case_event)
