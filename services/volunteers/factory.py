"""Composition root of the volunteers service."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from services.volunteers.app.elderly import Elderly
from services.volunteers.app.points import PointsBook
from services.volunteers.app.rebuild import LedgerAudit, audit
from services.volunteers.app.registration import Registrations
from services.volunteers.app.visits import Visits
from services.volunteers.handlers import kafka as kafka_handlers
from services.volunteers.settings import VolunteersSettings
from shared.events.envelope import IncomingEvent
from shared.events.reports import ReportSubmittedV1
from shared.host import Runtime


@dataclass
class VolunteersFactory:
    """Everything the volunteers handlers call, built once per process."""

    runtime: Runtime
    settings: VolunteersSettings
    registrations: Registrations = field(init=False)
    elderly: Elderly = field(init=False)
    points: PointsBook = field(init=False)
    visits: Visits = field(init=False)

    def __post_init__(self) -> None:
        rt = self.runtime
        self.registrations = Registrations(pool=rt.pool, clock=rt.clock)
        self.elderly = Elderly(pool=rt.pool, clock=rt.clock)
        self.points = PointsBook(pool=rt.pool, clock=rt.clock, rules=self.settings.rules())
        self.visits = Visits(pool=rt.pool, clock=rt.clock, points=self.points)

    async def apply(self, conn: asyncpg.Connection, event: IncomingEvent) -> None:
        """One event from reports or wishes, inside the consumer's transaction."""
        if isinstance(event.body, ReportSubmittedV1):
            await self.visits.log(conn, event.body)
        else:
            await self.points.credit_event(conn, event.body)

    async def audit(self) -> LedgerAudit:
        """Rebuild the ledger from the topics and the visit log and compare it with the live one."""
        async with self.runtime.pool.acquire() as conn:
            return await audit(conn, self.runtime.settings, self.points.rules)


def create(runtime: Runtime) -> VolunteersFactory:
    """Build the composition root and register its Kafka handlers."""
    factory = VolunteersFactory(runtime=runtime, settings=runtime.service_settings(VolunteersSettings))
    kafka_handlers.register(runtime, factory)
    return factory
