"""Kafka handlers of routing: every submitted report is routed once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import asyncpg

from shared.events import topics
from shared.events.envelope import IncomingEvent
from shared.events.reports import ReportSubmittedV1
from shared.events.volunteers import PairingEndedV1, VisitScheduledV1
from shared.host import Runtime
from shared.kafka.consumer import TracedEvent

if TYPE_CHECKING:
    from services.routing.factory import RoutingFactory


def register(runtime: Runtime, factory: RoutingFactory) -> None:
    """Subscribe routing to the reports stream and to scheduled visits and ended pairings."""

    async def locate_batch(events: Sequence[IncomingEvent]) -> None:
        factory.locate_reports([e.body for e in events if isinstance(e.body, ReportSubmittedV1)])

    async def on_report_events(conn: asyncpg.Connection, events: Sequence[TracedEvent]) -> None:
        await factory.route_reports(
            conn, [(t.event.body, t.active) for t in events if isinstance(t.event.body, ReportSubmittedV1)]
        )

    async def on_volunteer_event(conn: asyncpg.Connection, event: IncomingEvent) -> None:
        if isinstance(event.body, VisitScheduledV1):
            await factory.visit_scheduled(conn, event.body)
        elif isinstance(event.body, PairingEndedV1):
            await factory.pairing_ended(conn, event.body)

    runtime.consume(topics.REPORTS, apply_batch=on_report_events, prepare=locate_batch)
    runtime.consume(topics.VOLUNTEERS, apply_one=on_volunteer_event)
