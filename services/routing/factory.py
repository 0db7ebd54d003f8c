"""Composition root of the routing service."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg

from services.routing.app.open_case import Locator, OpenCase
from services.routing.domain.case import Owner
from services.routing.domain.geometry import JurisdictionIndex
from services.routing.geodata.loader import load_geojson_jurisdictions
from services.routing.handlers import kafka as kafka_handlers
from services.routing.settings import RoutingSettings
from services.routing.storage.postgres import PostgresCaseQueries, insert_case
from shared.events.reports import ReportSubmittedV1
from shared.host import Runtime


def _utcnow() -> datetime:
    return datetime.now(UTC)


def create_locator(settings: RoutingSettings) -> Locator:
    """Load jurisdictions and build the spatial index."""
    _streets, communities = load_geojson_jurisdictions(settings.jurisdictions_path)
    index = JurisdictionIndex((c.code, c.geometry) for c in communities)
    return Locator(index=index, street_of={c.code: c.parent_code for c in communities})


@dataclass
class RoutingFactory:
    """Everything routing's handlers call, built once per process."""

    runtime: Runtime
    locator: Locator
    clock: Callable[[], datetime] = _utcnow
    cases: PostgresCaseQueries = field(init=False)
    open_case: OpenCase = field(init=False)
    _owners: dict[str, Owner] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.cases = PostgresCaseQueries(pool=self.runtime.pool)
        self.open_case = OpenCase(clock=self.clock)

    def locate_reports(self, reports: Sequence[ReportSubmittedV1]) -> None:
        """Locate a whole batch in one vectorised query before its transaction."""
        owners = self.locator.owners([(r.lon, r.lat) for r in reports])
        self._owners = {r.report_id: o for r, o in zip(reports, owners, strict=True)}

    async def route_report(self, conn: asyncpg.Connection, report: ReportSubmittedV1) -> None:
        """Open the report's case (if its kind opens one) inside the consumer's transaction."""
        owner = self._owners.get(report.report_id) or self.locator.owners([(report.lon, report.lat)])[0]
        opened = self.open_case(report, owner)
        if opened is not None:
            await insert_case(conn, *opened)


def create(runtime: Runtime) -> RoutingFactory:
    """Build the composition root and register its Kafka handlers."""
    factory = RoutingFactory(runtime=runtime, locator=create_locator(RoutingSettings()))
    kafka_handlers.register(runtime, factory)
    return factory
