"""Composition root of the reports service: per-process resources and the use cases built on them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg

from services.reports.app.submit import SubmitReport
from services.reports.domain.photos import PhotoLimits
from services.reports.domain.ratelimit import RateLimiter
from services.reports.handlers import kafka as kafka_handlers
from services.reports.settings import ReportsSettings
from services.reports.storage.photo_store import FilesystemPhotoStore
from services.reports.storage.postgres import PostgresReportStore, mark_routed
from shared.events.cases import CaseOpenedV1
from shared.geo.coords import gcj02_to_wgs84
from shared.host import Runtime


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
        self.store = PostgresReportStore(pool=self.runtime.pool)
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

    async def record_case_opened(self, conn: asyncpg.Connection, event: CaseOpenedV1) -> None:
        """A case was opened for one of our reports."""
        await mark_routed(
            conn, report_id=event.report_id, case_id=event.case_id,
            community_code=event.community_code, resolve_by=event.resolve_by,
        )


def create(runtime: Runtime) -> ReportsFactory:
    """Build the composition root and register its Kafka handlers."""
    factory = ReportsFactory(runtime=runtime, settings=runtime.service_settings(ReportsSettings))
    kafka_handlers.register(runtime, factory)
    return factory
