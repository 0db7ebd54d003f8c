"""Use case: a submitted report becomes a case in its owning community, or joins one ("me too")."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
import numpy as np

from services.routing.domain.case import Case, Owner, open_case
from services.routing.domain.clustering import RULES, find_duplicate, raised_severity, search_box
from services.routing.domain.geometry import JurisdictionIndex
from services.routing.domain.hierarchy import Hierarchy
from services.routing.domain.sla import SlaPolicy
from services.routing.storage import checkins
from services.routing.storage import postgres as cases
from shared.clock import Clock
from shared.events.cases import CaseJoinedV1, CaseOpenedV1
from shared.events.envelope import encode
from shared.events.reports import ReportSubmittedV1
from shared.postgres.outbox import enqueue
from shared.telemetry.propagation import current_trace_headers

SOURCE = "/nuanxin/routing"
MISSED_CHECKIN = "missed_checkin"  # alerts the system raises; they are not visits


class Locator:
    """Finds owners for many points at once (the spatial index is vectorised)."""

    def __init__(self, *, index: JurisdictionIndex, street_of: dict[str, str], co_owner_m: float) -> None:
        self._index = index
        self._street_of = street_of
        self._co_owner_m = co_owner_m

    def point_of(self, community_code: str) -> tuple[float, float]:
        """A point inside a community (for cases about it that must not carry an address)."""
        point = self._index.geometry(community_code).representative_point()
        return point.x, point.y

    def owners(self, points: Sequence[tuple[float, float]]) -> list[Owner]:
        """The owner of each (lon, lat); outside every community: the district triage queue.

        Near a boundary the nearest neighbouring community becomes co-owner and sees the case.
        """
        if not points:
            return []
        lons = np.fromiter((p[0] for p in points), float, len(points))
        lats = np.fromiter((p[1] for p in points), float, len(points))
        owners = []
        for (lon, lat), code in zip(points, self._index.locate_many(lons, lats), strict=True):
            co_owner = None
            if code is not None and self._co_owner_m > 0:
                near = [c for c in self._index.boundary_neighbours(lon, lat, self._co_owner_m) if c != code]
                co_owner = near[0] if near else None
            owners.append(Owner(code, self._street_of.get(code) if code else None, co_owner))
        return owners


def opened_event(case: Case, district_code: str) -> CaseOpenedV1:
    """The wire event for a new case."""
    return CaseOpenedV1(
        case_id=case.case_id, report_id=case.report_id, kind=case.kind,
        category=case.category, severity=case.severity,
        community_code=case.owner.community_code, street_code=case.owner.street_code,
        co_owner_code=case.owner.co_owner_code, district_code=district_code,
        lon=case.lon, lat=case.lat, reporter_id=case.visible_reporter, reporter_inbox=case.reporter_id,
        hierarchy_version=case.hierarchy_version, opened_at=case.opened_at,
        acknowledge_by=case.deadlines.acknowledge_by, resolve_by=case.deadlines.resolve_by,
    )


class RouteReport:
    """Open a case for a report (or join a duplicate), with deadlines, inside the caller's transaction."""

    def __init__(self, *, policy: SlaPolicy, hierarchy: Hierarchy, clock: Clock) -> None:
        self._policy = policy
        self._hierarchy = hierarchy
        self._clock = clock

    async def __call__(self, conn: asyncpg.Connection, report: ReportSubmittedV1, owner: Owner) -> None:
        """Route one report; a report routed before (a redelivery) changes nothing."""
        if report.kind == "elderly_checkin" and report.pairing_id and report.category != MISSED_CHECKIN:
            await checkins.record_visit(
                conn, pairing_id=report.pairing_id, report_id=report.report_id, at=report.submitted_at
            )
        if not report.opens_case or await cases.report_has_case(
            conn, report.report_id
        ):
            return
        now = self._clock.now()
        if await self._join_duplicate(conn, report, now):
            return
        version = self._hierarchy.in_force(now)
        deadlines = self._policy.deadlines(report.kind, report.category, report.severity, now)
        case = open_case(
            report_id=report.report_id, kind=report.kind, category=report.category,
            severity=report.severity, lon=report.lon, lat=report.lat,
            reporter_id=report.reporter_id, reporter_hidden=report.reporter_hidden,
            owner=owner, deadlines=deadlines, hierarchy_version=version.version, now=now,
        )
        rule = self._policy.rule_for(report.kind, report.category, report.severity)
        # A triage case already belongs to the district: no street rung.
        timers = [
            (t.kind, t.level, t.due_at) for t in self._policy.timers(rule, deadlines)
            if not (owner.community_code is None and t.kind == "escalate" and t.level == 1)
        ]
        district = version.above(owner.community_code, "district")
        message = encode(opened_event(case, district.code if district else "500112"), source=SOURCE)
        trace = current_trace_headers().get("traceparent")
        await cases.insert_case(
            conn, case, timers, message, trace_parent=trace.decode() if trace else None
        )

    async def _join_duplicate(self, conn: asyncpg.Connection, report: ReportSubmittedV1, now) -> bool:
        rule = RULES.get(report.kind)
        if rule is None:
            return False
        box = search_box(report.lon, report.lat, rule.radius_m)
        cells = [(round(y * 100), round(x * 100)) for x in (box[0], box[2]) for y in (box[1], box[3])]
        await cases.lock_area(conn, report.category, cells)
        nearby = await cases.open_cases_near(
            conn, category=report.category, since=now - rule.window, box=box
        )
        case_id = find_duplicate(report.kind, report.lon, report.lat, now, nearby)
        if case_id is None:
            return False
        row = await cases.join_case(conn, case_id=case_id, report_id=report.report_id, at=now)
        severity = raised_severity(row["severity"], row["cluster_size"])
        if severity != row["severity"]:
            await cases.set_severity(conn, case_id, severity)
        joined = CaseJoinedV1(
            case_id=case_id, community_code=row["community_code"], street_code=row["street_code"],
            co_owner_code=row["co_owner_code"], reporter_id=row["reporter_id"],
            reporter_inbox=report.reporter_id,
            report_id=report.report_id, cluster_size=row["cluster_size"], severity=severity, at=now,
        )
        await enqueue(conn, cases.SCHEMA, [encode(joined, source=SOURCE)])
        return True
