"""Use case: a submitted report becomes a case in its owning community, or joins one ("me too")."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import numpy as np

from services.routing.domain.case import Case, Deadlines, Owner, open_case
from services.routing.domain.clustering import (
    RULES,
    OpenCaseNearby,
    find_duplicate,
    raised_severity,
    search_box,
)
from services.routing.domain.geometry import JurisdictionIndex
from services.routing.domain.hierarchy import Hierarchy, HierarchyVersion
from services.routing.domain.sla import SlaPolicy
from services.routing.storage import checkins
from services.routing.storage import postgres as cases
from shared.clock import Clock
from shared.events.cases import CaseJoinedV1, CaseOpenedV1
from shared.events.envelope import OutgoingMessage, encode
from shared.events.reports import ReportSubmittedV1
from shared.postgres.outbox import enqueue

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
        owners = self._index.locate_indices(lons, lats)
        codes = self._index.codes_of(owners)
        near: list[str | None] = (
            self._index.nearest_neighbours(lons, lats, self._co_owner_m, owners)
            if self._co_owner_m > 0
            else [None] * len(points)
        )
        return [
            Owner(code, self._street_of.get(code) if code else None, co_owner if code else None)
            for code, co_owner in zip(codes, near, strict=True)
        ]


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


@dataclass(frozen=True)
class Routing:
    """One report to route, its owner, and how to make its trace current while it is handled."""

    report: ReportSubmittedV1
    owner: Owner
    activate: Callable[[], AbstractContextManager[object]] = nullcontext


@dataclass
class _Open:
    """A case opened in this batch, for later reports of the batch that duplicate it."""

    item: Routing
    case: Case
    message_body: CaseOpenedV1
    timers: list[tuple[str, int, datetime]]


@dataclass
class _Join:
    item: Routing
    case_id: str


class RouteReport:
    """Open cases for reports (or join duplicates), with deadlines, inside the caller's transaction.

    A whole batch costs a fixed number of statements: which reports already have a case, the
    "me too" locks, the nearby open cases, then one for the new cases with their deadlines and
    history, one for the joins and their clusters, and the outbox.
    """

    def __init__(self, *, policy: SlaPolicy, hierarchy: Hierarchy, clock: Clock) -> None:
        self._policy = policy
        self._hierarchy = hierarchy
        self._clock = clock

    async def __call__(self, conn: asyncpg.Connection, report: ReportSubmittedV1, owner: Owner) -> None:
        """Route one report; a report routed before (a redelivery) changes nothing."""
        await self.many(conn, [Routing(report, owner)])

    async def many(self, conn: asyncpg.Connection, items: Sequence[Routing]) -> None:
        """Route reports in order, as if one after another; reports routed before change nothing."""
        for item in items:
            report = item.report
            if report.kind == "elderly_checkin" and report.pairing_id and report.category != MISSED_CHECKIN:
                await checkins.record_visit(
                    conn, pairing_id=report.pairing_id, report_id=report.report_id, at=report.submitted_at
                )
        todo = list({i.report.report_id: i for i in reversed(items) if i.report.opens_case}.values())
        todo.reverse()
        if not todo:
            return
        routed = await cases.reports_with_case(conn, [i.report.report_id for i in todo])
        todo = [i for i in todo if i.report.report_id not in routed]
        if not todo:
            return
        now = self._clock.now()
        nearby = await self._lock_and_find_nearby(conn, todo, now)
        version = self._hierarchy.in_force(now)
        batch = _BatchPlans(self._policy, version, now)
        opened: dict[str, _Open] = {}
        steps: list[_Open | _Join] = []
        for item in todo:
            report = item.report
            candidates = nearby.get(report.category, [])
            case_id = (
                find_duplicate(report.kind, report.lon, report.lat, now, candidates)
                if report.kind in RULES else None
            )
            if case_id is not None:
                steps.append(_Join(item, case_id))
                continue
            step = self._open(item, batch)
            opened[step.case.case_id] = step
            steps.append(step)
            if report.kind in RULES:
                candidates.append(OpenCaseNearby(step.case.case_id, report.lon, report.lat, now))
                nearby.setdefault(report.category, candidates)
        messages = await self._write(conn, steps, now)
        await enqueue(conn, cases.SCHEMA, messages)

    async def _lock_and_find_nearby(
        self, conn: asyncpg.Connection, todo: Sequence[Routing], now: datetime
    ) -> dict[str, list[OpenCaseNearby]]:
        areas, keys = [], []
        for item in todo:
            report = item.report
            rule = RULES.get(report.kind)
            if rule is None:
                continue
            box = search_box(report.lon, report.lat, rule.radius_m)
            areas.append(cases.AreaQuery(report.category, now - rule.window, box))
            # Serialise duplicate checks of a category in the same ~1 km cells.
            keys += [
                f"dup:{report.category}:{(round(y * 100), round(x * 100))}"
                for x in (box[0], box[2]) for y in (box[1], box[3])
            ]
        await cases.lock_keys(conn, keys)
        return await cases.open_cases_near(conn, areas)

    def _open(self, item: Routing, batch: _BatchPlans) -> _Open:
        report, owner = item.report, item.owner
        deadlines, timers = batch.plan(report.kind, report.category, report.severity, owner)
        case = open_case(
            report_id=report.report_id, kind=report.kind, category=report.category,
            severity=report.severity, lon=report.lon, lat=report.lat,
            reporter_id=report.reporter_id, reporter_hidden=report.reporter_hidden,
            owner=owner, deadlines=deadlines, hierarchy_version=batch.version.version, now=batch.now,
        )
        return _Open(item, case, opened_event(case, batch.district(owner.community_code)), timers)

    async def _write(
        self, conn: asyncpg.Connection, steps: Sequence[_Open | _Join], now: datetime
    ) -> list[OutgoingMessage]:
        new, encoded = [], {}
        for step in steps:
            if isinstance(step, _Open):
                # Encoded under the report's span: the event and the case's row carry its trace.
                with step.item.activate():
                    message = encoded[step.case.case_id] = encode(step.message_body, source=SOURCE)
                trace = message.headers.get("traceparent")
                new.append(cases.NewCase(step.case, step.timers, trace.decode() if trace else None))
        stored = await cases.insert_cases(conn, new)
        if len(stored) != len(new):
            # Another transaction routed one of these reports meanwhile: redo them one by one.
            raise ConcurrentRouting("a report of the batch was routed concurrently")
        joins = [s for s in steps if isinstance(s, _Join)]
        after = await cases.join_cases(conn, [(j.item.report.report_id, j.case_id, now) for j in joins])
        # The i-th of n joins to a case saw the cluster at (size after all joins) - n + i.
        pending = {case_id: row["cluster_size"] for case_id, row in after.items()}
        for j in joins:
            pending[j.case_id] -= 1
        severity = {case_id: row["severity"] for case_id, row in after.items()}
        raised: dict[str, str] = {}
        messages = []
        for step in steps:
            if isinstance(step, _Open):
                messages.append(encoded[step.case.case_id])
                continue
            row = after[step.case_id]
            pending[step.case_id] += 1
            size = pending[step.case_id]
            raised_to = raised_severity(severity[step.case_id], size)
            if raised_to != severity[step.case_id]:
                severity[step.case_id] = raised[step.case_id] = raised_to
            joined = CaseJoinedV1(
                case_id=step.case_id, community_code=row["community_code"],
                street_code=row["street_code"], co_owner_code=row["co_owner_code"],
                reporter_id=row["reporter_id"], reporter_inbox=step.item.report.reporter_id,
                report_id=step.item.report.report_id, cluster_size=size, severity=raised_to, at=now,
            )
            with step.item.activate():
                messages.append(encode(joined, source=SOURCE))
        await cases.set_severities(conn, raised)
        return messages


class _BatchPlans:
    """What a batch's cases share, worked out once per batch: every case of a batch opens at the
    same moment, so cases of one (kind, category, severity) that go to a community, or all to the
    triage queue, get the same deadlines and timers."""

    def __init__(self, policy: SlaPolicy, version: HierarchyVersion, now: datetime) -> None:
        self._policy = policy
        self.version = version
        self.now = now
        self._plans: dict[tuple[str, str, str, bool], tuple[Deadlines, list[tuple[str, int, datetime]]]] = {}

    def plan(
        self, kind: str, category: str, severity: str, owner: Owner
    ) -> tuple[Deadlines, list[tuple[str, int, datetime]]]:
        """A new case's deadlines and its timers as (kind, level, due_at)."""
        triage = owner.community_code is None
        key = (kind, category, severity, triage)
        plan = self._plans.get(key)
        if plan is None:
            rule = self._policy.rule_for(kind, category, severity)
            deadlines = self._policy.deadlines(kind, category, severity, self.now)
            # A triage case already belongs to the district: no street rung.
            timers = [
                (t.kind, t.level, t.due_at) for t in self._policy.timers(rule, deadlines)
                if not (triage and t.kind == "escalate" and t.level == 1)
            ]
            plan = self._plans[key] = (deadlines, timers)
        return plan

    def district(self, community_code: str | None) -> str:
        """The district above a community, as the version in force has it."""
        district = self.version.above(community_code, "district")
        return district.code if district else "500112"


class ConcurrentRouting(Exception):
    """A report of the batch got a case from another transaction; the batch is redone singly."""
