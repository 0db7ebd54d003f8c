"""Composition root of the routing service."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

import asyncpg

from services.routing.app.act import ActOnCase
from services.routing.app.checkins import MissedCheckinWatch, ScheduleCheckin
from services.routing.app.escalation import EscalationScheduler
from services.routing.app.gauges import CaseGauges
from services.routing.app.route_report import Locator, RouteReport, Routing
from services.routing.domain.calendar import WorkCalendar
from services.routing.domain.case import Owner
from services.routing.domain.geometry import JurisdictionIndex
from services.routing.domain.hierarchy import Hierarchy
from services.routing.domain.sla import SlaPolicy
from services.routing.geodata.hierarchy import load_hierarchy
from services.routing.geodata.loader import load_geojson_jurisdictions
from services.routing.handlers import kafka as kafka_handlers
from services.routing.settings import RoutingSettings
from services.routing.storage import checkins
from services.routing.storage.postgres import PostgresCaseQueries
from shared.auth import Principal
from shared.events.reports import ReportSubmittedV1
from shared.events.volunteers import PairingEndedV1, VisitScheduledV1
from shared.host import Runtime

log = logging.getLogger(__name__)


def create_locator(settings: RoutingSettings) -> Locator:
    """Load jurisdictions and build the spatial index."""
    _streets, communities = load_geojson_jurisdictions(
        settings.jurisdictions_path, settings.jurisdictions_crs
    )
    index = JurisdictionIndex((c.code, c.geometry) for c in communities)
    return Locator(
        index=index,
        street_of={c.code: c.parent_code for c in communities},
        co_owner_m=settings.co_owner_distance_m,
    )


def create_policy(settings: RoutingSettings) -> SlaPolicy:
    """The SLA rules on the working calendar."""
    return SlaPolicy.from_json(settings.sla_policy_path, WorkCalendar.from_json(settings.calendar_path))


@dataclass
class RoutingFactory:
    """Everything routing's handlers call, built once per process."""

    runtime: Runtime
    settings: RoutingSettings
    locator: Locator
    policy: SlaPolicy
    hierarchy: Hierarchy
    cases: PostgresCaseQueries = field(init=False)
    route: RouteReport = field(init=False)
    act: ActOnCase = field(init=False)
    scheduler: EscalationScheduler = field(init=False)
    schedule_checkin: ScheduleCheckin = field(init=False)
    checkin_watch: MissedCheckinWatch = field(init=False)
    gauges: CaseGauges = field(init=False)
    _owners: dict[str, Owner] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        rt = self.runtime
        self.cases = PostgresCaseQueries(pool=rt.pool)
        self.route = RouteReport(policy=self.policy, hierarchy=self.hierarchy, clock=rt.clock)
        self.act = ActOnCase(pool=rt.pool, policy=self.policy, hierarchy=self.hierarchy, clock=rt.clock)
        breaches = rt.metrics.counter("nuanxin_sla_breaches_total", "SLA deadlines missed", ("deadline",))
        self.scheduler = EscalationScheduler(
            pool=rt.pool, clock=rt.clock, hierarchy=self.hierarchy, tracer=rt.tracer,
            batch_size=self.settings.scheduler_batch_size,
            on_breach=lambda deadline: breaches.labels(rt.name, deadline).inc(),
        )
        self.schedule_checkin = ScheduleCheckin(pool=rt.pool, hierarchy=self.hierarchy, clock=rt.clock)
        self.checkin_watch = MissedCheckinWatch(
            pool=rt.pool, clock=rt.clock, route=self.route, locator=self.locator
        )
        self.gauges = CaseGauges(
            pool=rt.pool, service=rt.name,
            gauge=rt.metrics.gauge("nuanxin_open_cases", "Cases by status", ("status",)),
        )

    def locate_reports(self, reports: Sequence[ReportSubmittedV1]) -> None:
        """Locate a whole batch in one vectorised query before its transaction."""
        owners = self.locator.owners([(r.lon, r.lat) for r in reports])
        self._owners = {r.report_id: o for r, o in zip(reports, owners, strict=True)}

    async def route_reports(
        self,
        conn: asyncpg.Connection,
        reports: Sequence[tuple[ReportSubmittedV1, Callable[[], AbstractContextManager[object]]]],
    ) -> None:
        """Route a batch inside the consumer's transaction, each report under its own trace."""
        missing = [r for r, _ in reports if r.report_id not in self._owners]
        if missing:
            found = self.locator.owners([(r.lon, r.lat) for r in missing])
            self._owners.update((r.report_id, o) for r, o in zip(missing, found, strict=True))
        await self.route.many(
            conn, [Routing(r, self._owners[r.report_id], activate) for r, activate in reports]
        )

    def background(self) -> list:
        """The SLA clock, the missed check-in watch and the case gauges."""
        interval = self.settings.scheduler_interval_s
        return [
            self.scheduler.run(interval), self.checkin_watch.run(interval), self.gauges.run()
        ]

    async def visit_scheduled(self, conn: asyncpg.Connection, visit: VisitScheduledV1) -> None:
        """A volunteer's scheduled visit becomes a check-in window (re-scheduling moves it)."""
        await checkins.add_window(
            conn, window_id=visit.visit_id, pairing_id=visit.pairing_id, volunteer_id=visit.volunteer_id,
            community_code=visit.community_code, window_start=visit.window_start,
            window_end=visit.window_end, created_by="volunteers",
        )

    async def pairing_ended(self, conn: asyncpg.Connection, ended: PairingEndedV1) -> None:
        """A pairing ended: the visits it still owed are called off, so none raises an alert."""
        called_off = await checkins.call_off(conn, pairing_id=ended.pairing_id, at=ended.ended_at)
        log.info("pairing %s ended: %d check-in windows called off", ended.pairing_id, called_off)

    async def checkin_windows(self, conn: asyncpg.Connection, principal: Principal) -> list:
        """Check-in windows the principal may see."""
        community = principal.community if principal.role == "community_staff" else None
        rows = await checkins.windows_of(conn, community)
        return [r for r in rows if principal.sees_community(r["community_code"], r["community_code"][:9])]


def create(runtime: Runtime) -> RoutingFactory:
    """Build the composition root and register its Kafka handlers."""
    settings = runtime.service_settings(RoutingSettings)
    factory = RoutingFactory(
        runtime=runtime, settings=settings, locator=create_locator(settings),
        policy=create_policy(settings), hierarchy=load_hierarchy(),
    )
    kafka_handlers.register(runtime, factory)
    return factory
