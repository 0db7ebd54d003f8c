"""Intake's case follower on the real PostgreSQL: case events apply set-based, in order, with the
same result as one at a time.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import asyncpg
import pytest
from opentelemetry.sdk.trace import TracerProvider

from services.reports.domain import progress
from services.reports.domain.report import Report
from services.reports.factory import ReportsFactory
from services.reports.settings import ReportsSettings
from shared.events.base import EventBody
from shared.events.cases import (
    CaseEscalatedV1,
    CaseJoinedV1,
    CaseOpenedV1,
    CaseSlaBreachedV1,
    CaseTransitionedV1,
)
from shared.events.envelope import decode, encode
from shared.kafka.consumer import TracedEvent
from tests.integration.reports.helpers import (
    COMMUNITY,
    STREET,
    add,
    make_report,
)

pytestmark = pytest.mark.integration


class CountingConnection:
    """A connection that records the statements run through execute and fetch."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self.statements: list[str] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self._conn, name)

    async def execute(self, query: str, *args: object) -> str:
        self.statements.append(query)
        return await self._conn.execute(query, *args)

    async def fetch(self, query: str, *args: object) -> list:
        self.statements.append(query)
        return await self._conn.fetch(query, *args)


TRACER = TracerProvider().get_tracer("test")
T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _traced(body: EventBody, offset: int) -> TracedEvent:
    message = encode(body, source="/nuanxin/routing")
    event = decode(message.headers.items(), message.value, key=message.key, topic="cases", offset=offset)
    return TracedEvent(event, TRACER.start_span(f"apply {event.type}"))


def _opened(report: Report, case_id: str, resolve_by: datetime, t0: datetime) -> CaseOpenedV1:
    return CaseOpenedV1(
        case_id=case_id,
        report_id=report.report_id,
        kind=report.kind,
        category=report.category,
        severity="medium",
        district_code="500112",
        lon=report.lon,
        lat=report.lat,
        reporter_id=report.reporter_id,
        opened_at=t0,
        acknowledge_by=t0,
        resolve_by=resolve_by,
        community_code=COMMUNITY,
        street_code=STREET,
    )


def _joined(report: Report, case_id: str, size: int, t0: datetime) -> CaseJoinedV1:
    return CaseJoinedV1(
        case_id=case_id,
        report_id=report.report_id,
        cluster_size=size,
        severity="high",
        at=t0,
        community_code=COMMUNITY,
        street_code=STREET,
        co_owner_code="500112002002",
    )


def _case_events(reports: list[Report], case_a: str, case_b: str, t0: datetime) -> list[EventBody]:
    a, b, c, d = reports[:4]
    common = {"community_code": COMMUNITY, "street_code": STREET}
    return [
        _opened(a, case_a, t0 + timedelta(days=3), t0),
        _joined(b, case_a, 2, t0),
        CaseSlaBreachedV1(case_id=case_a, deadline="acknowledge", due_at=t0, breached_at=t0, **common),
        _joined(c, case_a, 3, t0),
        CaseTransitionedV1(
            case_id=case_a,
            action="resolve",
            from_status="in_progress",
            to_status="resolved",
            actor_id="c-1",
            actor_role="community_staff",
            note="已处理",
            at=t0,
            **common,
        ),
        _opened(d, case_b, t0 + timedelta(days=5), t0),
        _joined(d, case_b, 2, t0),  # the same report twice in one run: the later wins, the deadline stays
        CaseEscalatedV1(
            case_id=case_b,
            level=1,
            to_unit_code=STREET,
            to_unit_name="双龙湖街道",
            hierarchy_version="v1",
            due_at=t0,
            escalated_at=t0,
            **common,
        ),
    ]


async def _state(pool: asyncpg.Pool, reports: list[Report]) -> list[tuple]:
    rows = {
        str(r["report_id"]): r
        for r in await pool.fetch(
            "SELECT report_id, status, status_notes, case_id, community_code, street_code, co_owner_code, "
            "resolve_by FROM report_state WHERE report_id = ANY($1::uuid[])",
            [r.report_id for r in reports],
        )
    }
    return [
        tuple(str(v) if k == "case_id" and v else v for k, v in rows[r.report_id].items() if k != "report_id")
        for r in reports
    ]


@pytest.fixture
def factory(pool: asyncpg.Pool, tmp_path) -> ReportsFactory:
    """The reports composition root over the test pool, as the case follower uses it."""
    return ReportsFactory(
        runtime=SimpleNamespace(pool=pool),  # type: ignore[arg-type]
        settings=ReportsSettings(photo_dir=tmp_path),
    )


async def test_case_events_apply_set_based_in_order_as_one_at_a_time_would(store, pool, factory):
    batched = [make_report(f"w-{i}") for i in range(5)]
    single = [make_report(f"w-{i}") for i in range(5)]
    for r in [*batched, *single]:
        await add(store, r)
    ids = await pool.fetch("SELECT gen_random_uuid()::text AS id FROM generate_series(1, 4)")
    case_a, case_b, case_c, case_d = (row["id"] for row in ids)

    events = [_traced(e, i) for i, e in enumerate(_case_events(batched, case_a, case_b, T0))]
    async with pool.acquire() as raw, raw.transaction():
        conn = CountingConnection(raw)
        await factory.follow_cases(conn, events)  # type: ignore[arg-type]
    # The consumer's retry path: every event alone, in its own transaction.
    for i, e in enumerate(_case_events(single, case_c, case_d, T0)):
        async with pool.acquire() as raw, raw.transaction():
            await factory.follow_cases(raw, [_traced(e, i)])

    def kind(statement: str) -> str:
        if "INSERT INTO report_routes" in statement:
            return "routed"
        return "notify" if "pg_notify" in statement else statement.split()[0].lower()

    # The outbox's rows and the relay's wake-up are one statement.
    assert [kind(s) for s in conn.statements] == [
        "routed", "update", "select", "notify", "routed", "update"
    ]

    state = await _state(pool, batched)
    same_cases = {case_c: case_a, case_d: case_b}
    assert state == [tuple(same_cases.get(v, v) for v in row) for row in await _state(pool, single)]
    a, b, c, d, untouched = state
    resolved = (
        "resolved",
        progress.transition_note("resolve", "已处理", COMMUNITY),
        case_a,
        COMMUNITY,
        STREET,
    )
    assert a == (*resolved, None, T0 + timedelta(days=3))
    assert b == c == (*resolved, None, None)
    escalated = progress.escalated_note("双龙湖街道", 1)
    assert d == ("routed", escalated, case_b, COMMUNITY, STREET, None, T0 + timedelta(days=5))
    assert untouched == ("submitted", None, None, None, None, None, None)

    # The outcomes of the resolved case continue the trace of the event that resolved it.
    outcomes = {
        row["key"].decode(): row["headers"]
        for row in await pool.fetch(
            "SELECT key, headers FROM outbox WHERE headers->>'ce_type' = 'nuanxin.report.outcome.v1'"
        )
    }
    assert sorted(outcomes) == sorted(r.report_id for r in [*batched[:3], *single[:3]])
    trace_id = format(events[4].span.get_span_context().trace_id, "032x")
    assert [outcomes[r.report_id]["traceparent"].split("-")[1] for r in batched[:3]] == [trace_id] * 3


async def test_a_run_of_routings_is_one_statement(store, pool, factory):
    reports = [make_report(f"w-{i}") for i in range(50)]
    await asyncio.gather(*(add(store, r) for r in reports))
    case_id = await pool.fetchval("SELECT gen_random_uuid()::text")
    bodies: list[EventBody] = [_opened(reports[0], case_id, T0 + timedelta(days=3), T0)]
    bodies += [_joined(r, case_id, i + 2, T0) for i, r in enumerate(reports[1:])]
    # A report this service does not hold is left out, as an update would have found no row.
    bodies.append(_joined(make_report("w-elsewhere"), case_id, 51, T0))
    async with pool.acquire() as raw, raw.transaction():
        conn = CountingConnection(raw)
        await factory.follow_cases(conn, [_traced(b, i) for i, b in enumerate(bodies)])  # type: ignore[arg-type]

    assert len(conn.statements) == 1
    assert await pool.fetchval("SELECT count(*) FROM report_routes") == 50
    rows = await pool.fetch("SELECT status, case_id::text AS case_id FROM report_state")
    assert [(r["status"], r["case_id"]) for r in rows] == [("routed", case_id)] * 50
    notes = await pool.fetchval(
        "SELECT status_notes FROM report_state WHERE report_id = $1::uuid", reports[-1].report_id
    )
    assert notes == progress.joined_note(50)
