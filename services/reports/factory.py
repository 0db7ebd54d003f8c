"""Composition root of the reports service: per-process resources and the use cases built on them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg

from services.reports.app.submit import SOURCE, SubmitReport
from services.reports.domain import progress
from services.reports.domain.photos import PhotoLimits
from services.reports.domain.ratelimit import RateLimiter
from services.reports.handlers import kafka as kafka_handlers
from services.reports.settings import ReportsSettings
from services.reports.storage.photo_store import FilesystemPhotoStore
from services.reports.storage.postgres import (
    SCHEMA,
    PostgresReportStore,
    Routed,
    follow_case,
    mark_routed,
    reports_of_case,
)
from shared.events.base import EventBody
from shared.events.cases import CaseEscalatedV1, CaseJoinedV1, CaseOpenedV1, CaseTransitionedV1
from shared.events.envelope import encode
from shared.events.reports import ReportOutcomeV1
from shared.geo.coords import gcj02_to_wgs84
from shared.host import Runtime
from shared.kafka.consumer import TracedEvent
from shared.postgres.outbox import enqueue


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class ReportsFactory:
    """Everything the reports service's handlers call, built once per process."""

    runtime: Runtime
    settings: ReportsSettings
    clock: Callable[[], datetime] = _utcnow
    store: PostgresReportStore = field(init=False)
    photo_store: FilesystemPhotoStore = field(init=False)
    photo_limits: PhotoLimits = field(init=False)
    submit_report: SubmitReport = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.store = PostgresReportStore(
            pool=self.runtime.pool, max_batch=s.intake_max_batch, linger_s=s.intake_linger_ms / 1000
        )
        self.photo_store = FilesystemPhotoStore(s.photo_dir)
        self.photo_limits = PhotoLimits(
            max_bytes=s.photo_max_bytes, max_pixels=s.photo_max_pixels, max_side=s.photo_max_side
        )
        self.submit_report = SubmitReport(
            store=self.store,
            clock=self.clock,
            photos=self.photo_store,
            max_photos=s.max_photos,
            rate_limiter=RateLimiter(s.reports_per_hour, timedelta(hours=1)),
        )

    @staticmethod
    def to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
        """Coordinates in the one system used inside (WGS84)."""
        return gcj02_to_wgs84(lon, lat) if crs == "GCJ02" else (lon, lat)

    async def _publish_outcomes(
        self, conn: asyncpg.Connection, event: CaseTransitionedV1, outcome: str
    ) -> None:
        """Tell the points ledger how each report on the case ended (same transaction)."""
        messages = [
            encode(
                ReportOutcomeV1(
                    report_id=str(r["report_id"]),
                    reporter_id=r["reporter_id"],
                    kind=r["kind"],
                    category=r["category"],
                    case_id=event.case_id,
                    outcome=outcome,
                    at=event.at,
                ),
                source=SOURCE,
            )
            for r in await reports_of_case(conn, event.case_id)
        ]
        await enqueue(conn, SCHEMA, messages)

    @staticmethod
    def routed(event: EventBody) -> Routed | None:
        """What a case event says about its report's routing; None for events about the case."""
        if isinstance(event, CaseOpenedV1):
            return Routed(
                report_id=event.report_id,
                case_id=event.case_id,
                community_code=event.community_code,
                street_code=event.street_code,
                co_owner_code=event.co_owner_code,
                resolve_by=event.resolve_by,
                status_notes=progress.routed_note(event.community_code),
            )
        if isinstance(event, CaseJoinedV1):
            return Routed(
                report_id=event.report_id,
                case_id=event.case_id,
                community_code=event.community_code,
                street_code=event.street_code,
                co_owner_code=event.co_owner_code,
                status_notes=progress.joined_note(event.cluster_size),
            )
        return None

    async def follow_cases(self, conn: asyncpg.Connection, events: Sequence[TracedEvent]) -> None:
        """Mirror case events onto their reports, in order (inside the consumer's transaction).

        A run of consecutive openings and joins is one set-based insert into report_routes, written
        before any other event of the batch is applied; the others are applied one by one, each in
        its own span.
        """
        run: list[Routed] = []
        for traced in events:
            event = traced.event.body
            routed = self.routed(event)
            if routed is not None:
                run.append(routed)
            elif isinstance(event, CaseTransitionedV1 | CaseEscalatedV1):
                await mark_routed(conn, run)
                run = []
                with traced.active():
                    await self._follow_case(conn, event)
        await mark_routed(conn, run)

    async def _follow_case(
        self, conn: asyncpg.Connection, event: CaseTransitionedV1 | CaseEscalatedV1
    ) -> None:
        """Every report on the case learns its new status and owner; an ending pays out outcomes."""
        if isinstance(event, CaseTransitionedV1):
            await follow_case(
                conn,
                case_id=event.case_id,
                status=progress.report_status(event.to_status),
                status_notes=progress.transition_note(event.action, event.note, event.community_code),
                community_code=event.community_code,
                street_code=event.street_code,
                co_owner_code=event.co_owner_code,
            )
            outcome = progress.OUTCOMES.get(event.action)
            if outcome is not None:
                await self._publish_outcomes(conn, event, outcome)
        else:
            await follow_case(
                conn,
                case_id=event.case_id,
                co_owner_code=event.co_owner_code,
                status_notes=progress.escalated_note(event.to_unit_name, event.level),
            )

    async def close(self) -> None:
        """On stop: commit the reports already handed to the intake writer, then refuse more."""
        await self.store.close()


def create(runtime: Runtime) -> ReportsFactory:
    """Build the composition root and register its Kafka handlers."""
    factory = ReportsFactory(runtime=runtime, settings=runtime.service_settings(ReportsSettings))
    kafka_handlers.register(runtime, factory)
    return factory
