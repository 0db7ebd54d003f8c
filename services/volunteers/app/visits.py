"""Visits: scheduled as windows (VisitScheduledV1) and logged from elderly check-in reports."""

from __future__ import annotations

import logging
from datetime import datetime

import asyncpg

from services.volunteers.app.elderly import scope_of, visible_pairing
from services.volunteers.app.errors import Forbidden, Invalid
from services.volunteers.app.points import PointsBook
from services.volunteers.app.registration import SOURCE
from services.volunteers.domain.privacy import can_schedule
from services.volunteers.domain.sources import VISIT_OUTCOMES
from services.volunteers.storage import elderly
from services.volunteers.storage.registry import SCHEMA
from shared.auth import Principal
from shared.clock import Clock
from shared.events.envelope import encode
from shared.events.reports import ReportSubmittedV1
from shared.events.volunteers import VisitScheduledV1
from shared.ids import new_id
from shared.postgres.outbox import enqueue

log = logging.getLogger(__name__)


def visit_view(row: asyncpg.Record) -> dict:
    """A scheduled visit and what was logged against it."""
    return {
        "visit_id": str(row["visit_id"]), "pairing_id": str(row["pairing_id"]),
        "volunteer_id": row["volunteer_id"], "window_start": row["window_start"],
        "window_end": row["window_end"], "report_id": row["report_id"],
        "outcome": row["outcome"] if "outcome" in row.keys() else None,
        "visited_at": row["visited_at"] if "visited_at" in row.keys() else None,
    }


class Visits:
    """Schedules visit windows and logs the visits that check-in reports record."""

    def __init__(self, *, pool: asyncpg.Pool, clock: Clock, points: PointsBook) -> None:
        self._pool = pool
        self._clock = clock
        self._points = points

    async def schedule(
        self, principal: Principal, pairing_id: str, window_start: datetime, window_end: datetime
    ) -> dict:
        """Schedule a window for the pairing's volunteer and publish it for routing's missed-visit watch."""
        if window_end <= window_start:
            raise Invalid("window_end must be after window_start", field="window_end")
        async with self._pool.acquire() as conn, conn.transaction():
            pairing = await visible_pairing(conn, principal, pairing_id, lock=True)
            if not can_schedule(principal, scope_of(pairing)):
                raise Forbidden("only the elder's community staff or the paired volunteer schedule visits")
            row = await elderly.add_visit(
                conn, visit_id=new_id(), pairing_id=pairing_id,
                volunteer_id=pairing["volunteer_id"], community_code=pairing["community_code"],
                window_start=window_start, window_end=window_end, scheduled_by=principal.subject,
                scheduled_at=self._clock.now(),
            )
            event = VisitScheduledV1(
                visit_id=str(row["visit_id"]), pairing_id=pairing_id, volunteer_id=row["volunteer_id"],
                community_code=row["community_code"], window_start=window_start, window_end=window_end,
            )
            await enqueue(conn, SCHEMA, [encode(event, source=SOURCE)])
            return visit_view(row)

    async def of_pairing(self, principal: Principal, pairing_id: str) -> list[dict]:
        """A pairing's visits, for anyone who may see the pairing (an ended one's too)."""
        async with self._pool.acquire() as conn:
            await visible_pairing(conn, principal, pairing_id, ended_too=True)
            return [visit_view(r) for r in await elderly.visits(conn, pairing_id)]

    async def log(self, conn: asyncpg.Connection, report: ReportSubmittedV1) -> bool:
        """Log an elderly check-in by the paired volunteer as a visit and credit it; False if ignored."""
        if report.kind != "elderly_checkin" or not report.pairing_id:
            return False
        if report.category not in VISIT_OUTCOMES:
            return False
        try:
            pairing = await elderly.pairing(conn, report.pairing_id)
        except asyncpg.DataError:
            pairing = None
        # Only the paired volunteer's own check-in counts; anything else earns no visit and no points.
        if pairing is None or pairing["volunteer_id"] != report.reporter_id:
            log.info("check-in %s is not by the pairing's volunteer; not logged", report.report_id)
            return False
        if pairing["ended_at"] is not None and report.submitted_at >= pairing["ended_at"]:
            log.info("check-in %s came after its pairing ended; not logged", report.report_id)
            return False
        logged = await elderly.log_visit(
            conn, report_id=report.report_id, pairing_id=report.pairing_id,
            volunteer_id=report.reporter_id, outcome=report.category, visited_at=report.submitted_at,
        )
        if logged is None:
            return False
        await self._points.credit_visit(conn, report.report_id, report.reporter_id, report.submitted_at)
        return True
