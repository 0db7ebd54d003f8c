"""Intake's group commit and the batched case follower, on the real PostgreSQL.

Concurrent reports share transactions but each is answered as if it had its own; a bad report
fails alone; replays and cancellations never double a report. Case events apply set-based, in
order, with the same result as one at a time.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import asyncpg
import pytest
from opentelemetry.sdk.trace import TracerProvider

from services.reports.app.submit import SOURCE, submitted_event
from services.reports.domain import progress
from services.reports.domain.report import Report, new_report
from services.reports.factory import ReportsFactory
from services.reports.main import SPEC
from services.reports.settings import ReportsSettings
from services.reports.storage.group_commit import StoreClosed
from services.reports.storage.postgres import PostgresReportStore
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
from shared.postgres import migrate
from shared.postgres.pool import create_pool
from tests.support.system import run_system

pytestmark = pytest.mark.integration

COMMUNITY = "500112002001"
STREET = "500112002"


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """The reports schema, migrated, and a pool inside it."""
    await migrate.upgrade(database_url, schema="reports", script_location=SPEC.migrations)
    pool = await create_pool(database_url, schema="reports", max_size=4)
    yield pool
    await pool.close()


@pytest.fixture
async def store(pool: asyncpg.Pool) -> AsyncIterator[PostgresReportStore]:
    """The store under test, closed (writer stopped) afterwards."""
    store = PostgresReportStore(pool=pool)
    yield store
    await store.close()
    assert not store.intake.writing


def _report(reporter: str = "w-1", **overrides: object) -> Report:
    return new_report(
        reporter_id=reporter,
        kind=str(overrides.pop("kind", "hazard")),
        category=str(overrides.pop("category", "road_damage")),
        lon=106.6,
        lat=29.7,
        now=datetime.now(UTC),
        **overrides,  # type: ignore[arg-type]
    )


async def _add(
    store: PostgresReportStore, report: Report, key: str | None = None, *, event_of: Report | None = None
) -> tuple[Report, bool]:
    message = encode(submitted_event(event_of or report), source=SOURCE)
    return await store.add(report, idempotency_key=key, message=message)


async def _outbox_keys(pool: asyncpg.Pool) -> list[str]:
    return sorted(
        row["key"].decode()
        for row in await pool.fetch(
            "SELECT key FROM outbox WHERE headers->>'ce_type' = 'nuanxin.report.submitted.v1'"
        )
    )


async def _wait_for_lock_wait(pool: asyncpg.Pool) -> None:
    """Until some backend of this database waits on a lock."""
    for _ in range(200):
        waiting = await pool.fetchval(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        if waiting:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the intake batch never blocked")


async def test_concurrent_reports_share_transactions_and_each_is_stored_once(store, pool):
    reports = [_report(f"w-{i % 7}") for i in range(200)]
    keys = [f"k-{i}" if i % 2 else None for i in range(200)]

    results = await asyncio.gather(*(_add(store, r, k) for r, k in zip(reports, keys, strict=True)))

    assert [(got.report_id, created) for got, created in results] == [(r.report_id, True) for r in reports]
    assert await pool.fetchval("SELECT count(*) FROM reports") == 200
    assert await _outbox_keys(pool) == sorted(r.report_id for r in reports)
    transactions = await pool.fetchval("SELECT count(DISTINCT xmin::text) FROM reports")
    assert transactions < 20, f"200 reports took {transactions} transactions"
    assert store.intake.commits == transactions
    assert store.intake.committed_items == 200
    await asyncio.sleep(0)
    assert not store.intake.writing, "the writer outlived its work"


async def test_a_batch_stores_exactly_what_one_insert_would(store, pool):
    photos = ("sha256:" + "a" * 64 + ".jpg", 'odd,"ref"{x}', "照片")
    report = _report("w-9", photos=photos, description="  坑  ", address="双龙湖街道")
    checkin = _report("w-9", kind="elderly_checkin", category="visited_fine", pairing_id="p-1")
    await asyncio.gather(_add(store, report, "k"), _add(store, checkin))

    rows = {
        str(r["report_id"]): r
        for r in await pool.fetch(
            "SELECT report_id, photos, description, address, pairing_id, status, severity, "
            "reporter_hidden, idempotency_key, submitted_at, updated_at, lon, lat FROM reports"
        )
    }
    stored = rows[report.report_id]
    assert tuple(stored["photos"]) == photos
    assert (stored["description"], stored["address"], stored["idempotency_key"]) == ("坑", "双龙湖街道", "k")
    assert (stored["severity"], stored["status"], stored["lon"], stored["lat"]) == (
        "medium",
        "submitted",
        106.6,
        29.7,
    )
    assert stored["submitted_at"] == stored["updated_at"] == report.submitted_at
    other = rows[checkin.report_id]
    assert (list(other["photos"]), other["pairing_id"], other["status"]) == ([], "p-1", "recorded")
    assert other["idempotency_key"] is None


async def test_the_same_key_twice_in_one_batch_is_one_report(store, pool):
    first, second = _report("w-1"), _report("w-1")

    (got1, created1), (got2, created2) = await asyncio.gather(
        _add(store, first, "same"), _add(store, second, "same")
    )

    assert store.intake.commits == 1, "both requests should have shared one transaction"
    assert (got1.report_id, created1) == (first.report_id, True)
    assert (got2.report_id, created2) == (first.report_id, False)
    assert got2.submitted_at == first.submitted_at
    assert await pool.fetchval("SELECT count(*) FROM reports") == 1
    assert await _outbox_keys(pool) == [first.report_id]

    # A later replay, and one replay plus a new report in the same batch.
    again, other = await asyncio.gather(
        _add(store, _report("w-1"), "same"), _add(store, _report("w-2"), "same")
    )
    assert (again[0].report_id, again[1]) == (first.report_id, False)
    assert other[1] is True
    assert await pool.fetchval("SELECT count(*) FROM reports") == 2


async def test_a_bad_report_fails_alone_and_the_rest_of_its_batch_commits(store, pool):
    good = [_report(f"w-{i}") for i in range(20)]
    # severity is NOT NULL (migration 0001): this row can never be inserted.
    valid = _report("w-bad")
    bad = dataclasses.replace(valid, severity=None)  # type: ignore[arg-type]
    items = [*good[:10], bad, *good[10:]]

    results = await asyncio.gather(
        *(_add(store, r, f"k-{i}", event_of=valid if r is bad else None) for i, r in enumerate(items)),
        return_exceptions=True,
    )

    assert isinstance(results[10], asyncpg.NotNullViolationError)
    ok = [r for i, r in enumerate(results) if i != 10]
    assert [(got.report_id, created) for got, created in ok] == [(r.report_id, True) for r in good]
    assert await pool.fetchval("SELECT count(*) FROM reports") == 20
    assert await _outbox_keys(pool) == sorted(r.report_id for r in good)
    # The retried reports are still answered as created, and replay as the same report.
    (replayed, created) = await _add(store, _report("w-0"), "k-0")
    assert (replayed.report_id, created) == (good[0].report_id, False)


async def test_over_http_a_report_the_database_refuses_is_a_422_and_the_others_are_created(settings):
    body = {"kind": "hazard", "category": "road_damage", "location": {"lat": 29.72, "lon": 106.63}}
    descriptions = [f"pothole {i}" for i in range(25)]  # the rate limit is 30 an hour per worker
    descriptions[17] = "pothole\x00here"  # PostgreSQL text cannot hold NUL: the batch fails on it
    async with run_system(settings, ["reports"]) as system:
        worker, other = (
            system.client(system.token("w-1", "worker")),
            system.client(system.token("w-2", "worker")),
        )
        async with worker, other:
            responses = await asyncio.gather(
                *(worker.post("/reports", json={**body, "description": d}) for d in descriptions)
            )
            original = await other.post(
                "/reports", json={**body, "description": "again"}, headers={"Idempotency-Key": "k"}
            )
            replay = await other.post(
                "/reports", json={**body, "description": "resent"}, headers={"Idempotency-Key": "k"}
            )
        pool = system.host("reports").runtime.pool
        stored = await pool.fetch("SELECT description FROM reports.reports")
        outbox = await pool.fetchval("SELECT count(*) FROM reports.outbox")
    assert [r.status_code for r in responses] == [422 if i == 17 else 201 for i in range(25)]
    assert sorted(r["description"] for r in stored) == sorted(
        [*descriptions[:17], *descriptions[18:], "again"]
    )
    assert outbox <= 25, "one event per stored report at most (the relay may have sent some)"
    assert (original.status_code, replay.status_code) == (201, 200)
    assert replay.json()["report_id"] == original.json()["report_id"]
    assert replay.json()["description"] == "again"


async def test_an_infrastructure_error_goes_to_every_waiting_request(database_url, pool):
    broken_pool = await create_pool(database_url, schema="reports", max_size=2)
    await broken_pool.close()
    store = PostgresReportStore(pool=broken_pool)

    results = await asyncio.gather(
        *(_add(store, _report(f"w-{i}"), f"k-{i}") for i in range(5)), return_exceptions=True
    )

    assert all(isinstance(r, asyncpg.InterfaceError) for r in results), results
    # One error for the batch, not one per report: infrastructure errors are not retried singly.
    assert len({id(r) for r in results}) == 1
    assert store.intake.commits == 0
    await store.close()


async def test_cancelled_requests_are_committed_or_not_and_their_key_still_works(store, pool):
    blocked, taken, queued = _report("w-a"), _report("w-b"), _report("w-c")
    # Another transaction holds the key of `blocked`: the batch's insert waits for it.
    holder = await pool.acquire()
    tx = holder.transaction()
    await tx.start()
    await holder.execute(
        "INSERT INTO reports (report_id, reporter_id, kind, category, severity, lon, lat, reporter_hidden, "
        "idempotency_key, status, submitted_at, updated_at) "
        "VALUES (gen_random_uuid(), 'w-a', 'hazard', 'road_damage', 'low', 0, 0, false, 'ka', 'submitted', "
        "now(), now())"
    )
    try:
        first = asyncio.create_task(_add(store, blocked, "ka"))
        second = asyncio.create_task(_add(store, taken, "kb"))
        await _wait_for_lock_wait(pool)
        third = asyncio.create_task(_add(store, queued, "kc"))
        await asyncio.sleep(0.05)
        second.cancel()  # taken by the writer already: committed with its batch
        third.cancel()  # still queued: never written
        with pytest.raises(asyncio.CancelledError):
            await second
        with pytest.raises(asyncio.CancelledError):
            await third
    finally:
        await tx.rollback()
        await pool.release(holder)

    assert await first == (blocked, True)
    assert await pool.fetchval("SELECT count(*) FROM reports WHERE reporter_id = 'w-b'") == 1
    assert await pool.fetchval("SELECT count(*) FROM reports WHERE reporter_id = 'w-c'") == 0
    retried_b = await _add(store, _report("w-b"), "kb")
    assert (retried_b[0].report_id, retried_b[1]) == (taken.report_id, False)
    retried_c = await _add(store, queued, "kc")
    assert retried_c == (queued, True)
    assert await _outbox_keys(pool) == sorted([blocked.report_id, taken.report_id, queued.report_id])


async def test_close_commits_what_was_handed_in_then_refuses(store, pool):
    pending = [asyncio.create_task(_add(store, _report(f"w-{i}"))) for i in range(30)]
    await asyncio.sleep(0)
    await store.close()

    assert all(created for _, created in await asyncio.gather(*pending))
    assert await pool.fetchval("SELECT count(*) FROM reports") == 30
    assert not store.intake.writing
    with pytest.raises(StoreClosed):
        await _add(store, _report())


async def test_the_service_closes_its_store_when_its_background_work_is_cancelled(pool, tmp_path):
    factory = ReportsFactory(
        runtime=SimpleNamespace(pool=pool),  # type: ignore[arg-type]
        settings=ReportsSettings(photo_dir=tmp_path),
    )
    (job,) = factory.background()
    task = asyncio.create_task(job)
    await asyncio.sleep(0)
    assert (await _add(factory.store, _report()))[1] is True
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    with pytest.raises(StoreClosed):
        await _add(factory.store, _report())


# ---- the cases consumer -------------------------------------------------------------------------


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


def _traced(tracer, body: EventBody, offset: int) -> TracedEvent:
    message = encode(body, source="/nuanxin/routing")
    event = decode(message.headers.items(), message.value, key=message.key, topic="cases", offset=offset)
    return TracedEvent(event, tracer.start_span(f"apply {event.type}"))


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
            "resolve_by FROM reports WHERE report_id = ANY($1::uuid[])",
            [r.report_id for r in reports],
        )
    }
    return [
        tuple(str(v) if k == "case_id" and v else v for k, v in rows[r.report_id].items() if k != "report_id")
        for r in reports
    ]


async def test_case_events_apply_set_based_in_order_as_one_at_a_time_would(store, pool, tmp_path):
    factory = ReportsFactory(
        runtime=SimpleNamespace(pool=pool),  # type: ignore[arg-type]
        settings=ReportsSettings(photo_dir=tmp_path),
    )
    tracer = TracerProvider().get_tracer("test")
    t0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    batched = [_report(f"w-{i}") for i in range(5)]
    single = [_report(f"w-{i}") for i in range(5)]
    for r in [*batched, *single]:
        await _add(store, r)
    ids = await pool.fetch("SELECT gen_random_uuid()::text AS id FROM generate_series(1, 4)")
    case_a, case_b, case_c, case_d = (row["id"] for row in ids)

    events = [_traced(tracer, e, i) for i, e in enumerate(_case_events(batched, case_a, case_b, t0))]
    async with pool.acquire() as raw, raw.transaction():
        conn = CountingConnection(raw)
        await factory.follow_cases(conn, events)  # type: ignore[arg-type]
    # The consumer's retry path: every event alone, in its own transaction.
    for i, e in enumerate(_case_events(single, case_c, case_d, t0)):
        async with pool.acquire() as raw, raw.transaction():
            await factory.follow_cases(raw, [_traced(tracer, e, i)])

    def kind(statement: str) -> str:
        if statement.startswith("UPDATE reports AS r"):
            return "routed"
        return "notify" if "pg_notify" in statement else statement.split()[0].lower()

    assert [kind(s) for s in conn.statements] == ["routed", "update", "select", "notify", "routed", "update"]

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
    assert a == (*resolved, None, t0 + timedelta(days=3))
    assert b == c == (*resolved, None, None)
    escalated = progress.escalated_note("双龙湖街道", 1)
    assert d == ("routed", escalated, case_b, COMMUNITY, STREET, None, t0 + timedelta(days=5))
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


async def test_a_run_of_routings_is_one_statement(store, pool, tmp_path):
    factory = ReportsFactory(
        runtime=SimpleNamespace(pool=pool),  # type: ignore[arg-type]
        settings=ReportsSettings(photo_dir=tmp_path),
    )
    tracer = TracerProvider().get_tracer("test")
    t0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    reports = [_report(f"w-{i}") for i in range(50)]
    await asyncio.gather(*(_add(store, r) for r in reports))
    case_id = await pool.fetchval("SELECT gen_random_uuid()::text")
    bodies: list[EventBody] = [_opened(reports[0], case_id, t0 + timedelta(days=3), t0)]
    bodies += [_joined(r, case_id, i + 2, t0) for i, r in enumerate(reports[1:])]
    async with pool.acquire() as raw, raw.transaction():
        conn = CountingConnection(raw)
        await factory.follow_cases(conn, [_traced(tracer, b, i) for i, b in enumerate(bodies)])  # type: ignore[arg-type]

    assert len(conn.statements) == 1
    rows = await pool.fetch("SELECT status, case_id::text AS case_id FROM reports")
    assert [(r["status"], r["case_id"]) for r in rows] == [("routed", case_id)] * 50
    notes = await pool.fetchval(
        "SELECT status_notes FROM reports WHERE report_id = $1::uuid", reports[-1].report_id
    )
    assert notes == progress.joined_note(50)
