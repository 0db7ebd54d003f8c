"""The SLA clock: fire due deadlines once each, as breaches and escalations up the ladder."""

from __future__ import annotations

import logging

import asyncpg
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from services.routing.domain.hierarchy import Hierarchy
from services.routing.domain.lifecycle import OPEN_STATUSES
from services.routing.domain.sla import LADDER
from services.routing.storage import deadlines
from services.routing.storage.postgres import SCHEMA
from shared.clock import Clock
from shared.events.cases import CaseEscalatedV1, CaseSlaBreachedV1
from shared.events.envelope import OutgoingMessage, encode
from shared.postgres.outbox import enqueue
from shared.ticker import run_ticks

log = logging.getLogger(__name__)
SOURCE = "/nuanxin/routing"
_PROPAGATOR = TraceContextTextMapPropagator()


class EscalationScheduler:
    """Any number of instances may tick at once: SKIP LOCKED shares the rows, (case, level) is unique."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        clock: Clock,
        hierarchy: Hierarchy,
        tracer: trace.Tracer,
        batch_size: int = 500,
        on_breach=None,
    ) -> None:
        self._pool = pool
        self._clock = clock
        self._hierarchy = hierarchy
        self._tracer = tracer
        self._batch_size = batch_size
        self._on_breach = on_breach

    async def tick(self) -> int:
        """Handle one batch of due deadlines in one transaction; returns how many were due."""
        now = self._clock.now()
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await deadlines.claim_due(conn, now, self._batch_size)
            if not rows:
                return 0
            messages: list[OutgoingMessage] = []
            for row in rows:
                messages += await self._fire(conn, row, now)
            await deadlines.mark_fired(conn, rows, now)
            await enqueue(conn, SCHEMA, messages)
        return len(rows)

    async def run(self, interval_s: float = 0.5) -> None:
        """Tick until cancelled; a full batch means more are due, so go again at once."""
        await run_ticks(self.tick, name="SLA scheduler", interval_s=interval_s, full_batch=self._batch_size)

    async def _fire(self, conn: asyncpg.Connection, row: asyncpg.Record, now) -> list[OutgoingMessage]:
        status = row["status"]
        if status not in OPEN_STATUSES:
            return []  # resolved, closed or paused: the deadline simply retires
        if row["kind"] == "acknowledge" and status != "new":
            return []
        parent = _PROPAGATOR.extract({"traceparent": row["trace_parent"]} if row["trace_parent"] else {})
        common = {
            "case_id": str(row["case_id"]), "community_code": row["community_code"],
            "street_code": row["street_code"], "co_owner_code": row["co_owner_code"],
            "reporter_id": row["reporter_id"], "reporter_inbox": row["reporter_private"],
        }
        with self._tracer.start_as_current_span(
            f"routing sla {row['kind']} level {row['level']}", context=parent,
            attributes={"nuanxin.case_id": common["case_id"]},
        ):
            if row["kind"] == "acknowledge":
                self._count("acknowledge")
                return [encode(CaseSlaBreachedV1(
                    **common, deadline="acknowledge", due_at=row["due_at"], breached_at=now,
                ), source=SOURCE)]
            return await self._escalate(conn, row, common, now)

    async def _escalate(self, conn, row, common, now) -> list[OutgoingMessage]:
        level = row["level"]
        version = self._hierarchy.in_force(now)  # the hierarchy in force when it happens
        target = version.above(row["community_code"], LADDER[level])
        if target is None:  # triage, or a community the version no longer knows
            target = version.above(row["community_code"], "district") or _any_district(version)
        if not await deadlines.record_escalation(
            conn, case_id=row["case_id"], level=level, to_unit_code=target.code,
            hierarchy_version=version.version, at=now,
        ):
            return []
        out = []
        # One resolve breach per case: with the lowest rung it reaches (both rungs can fall due in
        # one tick after an outage, and the row snapshot predates this tick's escalations).
        if not await deadlines.escalated_below(conn, row["case_id"], level):
            self._count("resolve")
            out.append(encode(CaseSlaBreachedV1(
                **common, deadline="resolve", due_at=row["due_at"], breached_at=now,
            ), source=SOURCE))
        out.append(encode(CaseEscalatedV1(
            **common, level=level, to_unit_code=target.code, to_unit_name=target.name,
            hierarchy_version=version.version, due_at=row["due_at"], escalated_at=now,
        ), source=SOURCE))
        return out

    def _count(self, deadline: str) -> None:
        if self._on_breach is not None:
            self._on_breach(deadline)


def _any_district(version):
    return next(u for u in sorted(version.units.values(), key=lambda u: u.code) if u.level == "district")
