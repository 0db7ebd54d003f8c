"""Scheduled elderly check-ins: visits satisfy windows; a window that passes unvisited opens an alert."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.routing.app.route_report import MISSED_CHECKIN, Locator, RouteReport
from services.routing.domain.hierarchy import Hierarchy
from services.routing.storage import checkins
from shared.auth import Principal
from shared.clock import Clock
from shared.events.reports import ReportSubmittedV1
from shared.ids import new_id
from shared.ticker import run_ticks

log = logging.getLogger(__name__)


class CheckinRefused(Exception):
    """A schedule request that cannot be accepted, with the reason."""


@dataclass(frozen=True)
class WindowRequest:
    """A visit to schedule: which pairing, which volunteer, where (community only) and when."""

    pairing_id: str
    volunteer_id: str
    community_code: str
    window_start: datetime
    window_end: datetime


class ScheduleCheckin:
    """Staff schedule a visit window for a pairing in their jurisdiction."""

    def __init__(self, *, pool: asyncpg.Pool, hierarchy: Hierarchy, clock: Clock) -> None:
        self._pool = pool
        self._hierarchy = hierarchy
        self._clock = clock

    async def __call__(self, request: WindowRequest, principal: Principal) -> asyncpg.Record:
        """The stored window; CheckinRefused if it is not the caller's or makes no sense."""
        unit = self._hierarchy.in_force(self._clock.now()).unit(request.community_code)
        if unit is None or unit.level != "community":
            raise CheckinRefused(f"{request.community_code} is not a community")
        if not principal.sees_community(unit.code, unit.parent_code):
            raise CheckinRefused("you can only schedule visits in your own jurisdiction")
        if request.window_end <= request.window_start:
            raise CheckinRefused("window_end must be after window_start")
        async with self._pool.acquire() as conn:
            if (ended := await checkins.ended_at(conn, request.pairing_id)) is not None:
                raise CheckinRefused(f"pairing {request.pairing_id} ended on {ended:%Y-%m-%d %H:%M} UTC")
            return await checkins.add_window(
                conn, window_id=new_id(), pairing_id=request.pairing_id,
                volunteer_id=request.volunteer_id, community_code=unit.code,
                window_start=request.window_start, window_end=request.window_end,
                created_by=principal.subject,
            )


class MissedCheckinWatch:
    """Opens an urgent case for every window that ended with no visit logged (once each)."""

    def __init__(
        self, *, pool: asyncpg.Pool, clock: Clock, route: RouteReport, locator: Locator,
        batch_size: int = 200,
    ) -> None:
        self._pool = pool
        self._clock = clock
        self._route = route
        self._locator = locator
        self._batch_size = batch_size

    async def tick(self) -> int:
        """Alert on one batch of missed windows; returns how many."""
        now = self._clock.now()
        async with self._pool.acquire() as conn, conn.transaction():
            missed = await checkins.claim_missed(conn, now, self._batch_size)
            for window in missed:
                # The case is placed at the community, never at the elder's address.
                lon, lat = self._locator.point_of(window["community_code"])
                alert = ReportSubmittedV1(
                    report_id=str(window["window_id"]), kind="elderly_checkin", category=MISSED_CHECKIN,
                    severity="urgent", lon=lon, lat=lat,
                    description=f"no visit logged for pairing {window['pairing_id']} "
                    f"by {window['window_end'].isoformat()}",
                    # The assigned volunteer hears about the alert as if they had raised it.
                    reporter_id=window["volunteer_id"], pairing_id=window["pairing_id"],
                    submitted_at=now,
                )
                owner = self._locator.owners([(lon, lat)])[0]
                await self._route(conn, alert, owner)
                case_id = await conn.fetchval(
                    "SELECT case_id FROM cases WHERE report_id = $1::uuid", alert.report_id
                )
                await checkins.mark_alerted(conn, window["window_id"], str(case_id or alert.report_id))
        return len(missed)

    async def run(self, interval_s: float) -> None:
        """Watch until cancelled."""
        await run_ticks(self.tick, name="check-in watch", interval_s=interval_s, full_batch=self._batch_size)
