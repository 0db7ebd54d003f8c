"""Use case: a worker submits a report; it is stored and published exactly once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from services.reports.domain.ratelimit import RateLimited, RateLimiter
from services.reports.domain.report import Report, ReportRejected, new_report
from shared.events.envelope import OutgoingMessage, encode
from shared.events.reports import ReportSubmittedV1

SOURCE = "/nuanxin/reports"


class ReportStore(Protocol):
    """Where accepted reports go, with their event, atomically."""

    async def add(
        self, report: Report, *, idempotency_key: str | None, message: OutgoingMessage
    ) -> tuple[Report, bool]: ...


class PhotoCatalog(Protocol):
    """Which photo references name stored photos."""

    def exists(self, ref: str) -> bool: ...


def submitted_event(report: Report) -> ReportSubmittedV1:
    """The wire event for an accepted report."""
    return ReportSubmittedV1(
        report_id=report.report_id,
        kind=report.kind,  # type: ignore[arg-type]
        category=report.category,
        severity=report.severity,
        lon=report.lon,
        lat=report.lat,
        description=report.description,
        address=report.address,
        photos=report.photos,
        reporter_id=report.reporter_id,
        reporter_hidden=report.reporter_hidden,
        opens_case=report.opens_case,
        pairing_id=report.pairing_id,
        submitted_at=report.submitted_at,
    )


class SubmitReport:
    """Validate, store and publish a report; a retried request with the same key changes nothing."""

    def __init__(
        self,
        *,
        store: ReportStore,
        clock: Callable[[], datetime],
        photos: PhotoCatalog,
        max_photos: int,
        rate_limiter: RateLimiter,
    ) -> None:
        self._store = store
        self._clock = clock
        self._photos = photos
        self._max_photos = max_photos
        self._rate_limiter = rate_limiter

    async def __call__(
        self,
        *,
        reporter_id: str,
        kind: str,
        category: str,
        lon: float,
        lat: float,
        severity: str | None = None,
        description: str = "",
        address: str | None = None,
        photos: tuple[str, ...] = (),
        pairing_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> tuple[Report, bool]:
        """Returns the report and whether it was created by this call; RateLimited if too many."""
        now = self._clock()
        decision = self._rate_limiter.check(reporter_id, now)
        if not decision.allowed:
            raise RateLimited(decision.retry_after_s)
        photos = tuple(dict.fromkeys(photos))
        if len(photos) > self._max_photos:
            raise ReportRejected("photos", f"at most {self._max_photos} photos per report")
        unknown = [ref for ref in photos if not self._photos.exists(ref)]
        if unknown:
            raise ReportRejected("photos", f"upload these photos first: {', '.join(unknown)}")
        report = new_report(
            reporter_id=reporter_id, kind=kind, category=category, lon=lon, lat=lat,
            now=now, severity=severity, description=description, address=address, photos=photos,
            pairing_id=pairing_id,
        )
        message = encode(submitted_event(report), source=SOURCE)
        return await self._store.add(report, idempotency_key=idempotency_key, message=message)
