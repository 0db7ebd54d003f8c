"""Use case: a submitted report becomes a case owned by the community where it was seen."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import numpy as np

from services.routing.domain.case import DISTRICT_CODE, Case, Owner, open_case, opens_case
from services.routing.domain.geometry import JurisdictionIndex
from shared.events.cases import CaseOpenedV1
from shared.events.envelope import OutgoingMessage, encode
from shared.events.reports import ReportSubmittedV1

SOURCE = "/nuanxin/routing"


def opened_event(case: Case) -> CaseOpenedV1:
    """The wire event for a new case."""
    return CaseOpenedV1(
        case_id=case.case_id, report_id=case.report_id, kind=case.kind,
        category=case.category, severity=case.severity,
        community_code=case.owner.community_code, street_code=case.owner.street_code,
        district_code=DISTRICT_CODE, lon=case.lon, lat=case.lat, reporter_id=case.reporter_id,
        opened_at=case.opened_at, acknowledge_by=case.deadlines.acknowledge_by,
        resolve_by=case.deadlines.resolve_by,
    )


class Locator:
    """Finds owners for many points at once (the spatial index is vectorised)."""

    def __init__(self, *, index: JurisdictionIndex, street_of: dict[str, str]) -> None:
        self._index = index
        self._street_of = street_of

    def owners(self, points: Sequence[tuple[float, float]]) -> list[Owner]:
        """The owner of each (lon, lat); outside every community: the district triage queue."""
        if not points:
            return []
        lons = np.fromiter((p[0] for p in points), float, len(points))
        lats = np.fromiter((p[1] for p in points), float, len(points))
        return [
            Owner(code, self._street_of.get(code) if code else None)
            for code in self._index.locate_many(lons, lats)
        ]


class OpenCase:
    """Decide whether a report opens a case and build the case with its event."""

    def __init__(self, *, clock: Callable[[], datetime]) -> None:
        self._clock = clock

    def __call__(
        self, report: ReportSubmittedV1, owner: Owner
    ) -> tuple[Case, OutgoingMessage] | None:
        """The case and its event, or None when this kind of report opens no case."""
        if not opens_case(report.kind, report.category):
            return None
        case = open_case(
            report_id=report.report_id, kind=report.kind, category=report.category,
            severity=report.severity, lon=report.lon, lat=report.lat,
            reporter_id=None if report.reporter_hidden else report.reporter_id,
            owner=owner, now=self._clock(),
        )
        return case, encode(opened_event(case), source=SOURCE)
