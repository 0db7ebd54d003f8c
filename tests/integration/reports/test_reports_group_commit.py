"""Intake's group commit on the real PostgreSQL.

Concurrent reports share transactions but each is answered as if it had its own; a bad report
fails alone; replays and cancellations never double a report.
"""

from __future__ import annotations

import asyncio
import dataclasses
from types import SimpleNamespace

import asyncpg
import pytest

from services.reports.factory import ReportsFactory
from services.reports.main import SPEC
from services.reports.settings import ReportsSettings
from services.reports.storage.group_commit import StoreClosed
from services.reports.storage.postgres import PostgresReportStore
from shared.postgres.pool import create_pool
from tests.integration.reports.helpers import (
    add,
    make_report,
    outbox_keys,
    wait_for_lock_wait,
)
from tests.support.system import run_system

pytestmark = pytest.mark.integration


async def test_concurrent_reports_share_transactions_and_each_is_stored_once(store, pool):
    reports = [make_report(f"w-{i % 7}") for i in range(200)]
    keys = [f"k-{i}" if i % 2 else None for i in range(200)]

    results = await asyncio.gather(*(add(store, r, k) for r, k in zip(reports, keys, strict=True)))

    assert [(got.report_id, created) for got, created in results] == [(r.report_id, True) for r in reports]
    assert await pool.fetchval("SELECT count(*) FROM reports") == 200
    assert await outbox_keys(pool) == sorted(r.report_id for r in reports)
    transactions = await pool.fetchval("SELECT count(DISTINCT xmin::text) FROM reports")
    assert transactions < 20, f"200 reports took {transactions} transactions"
    assert store.intake.commits == transactions
    assert store.intake.committed_items == 200
    await asyncio.sleep(0)
    assert not store.intake.writing, "the writer outlived its work"


async def test_a_batch_stores_exactly_what_one_insert_would(store, pool):
    photos = ("sha256:" + "a" * 64 + ".jpg", 'odd,"ref"{x}', "照片")
    report = make_report("w-9", photos=photos, description="  坑  ", address="双龙湖街道")
    checkin = make_report("w-9", kind="elderly_checkin", category="visited_fine", pairing_id="p-1")
    await asyncio.gather(add(store, report, "k"), add(store, checkin))

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
    first, second = make_report("w-1"), make_report("w-1")

    (got1, created1), (got2, created2) = await asyncio.gather(
        add(store, first, "same"), add(store, second, "same")
    )

    assert store.intake.commits == 1, "both requests should have shared one transaction"
    assert (got1.report_id, created1) == (first.report_id, True)
    assert (got2.report_id, created2) == (first.report_id, False)
    assert got2.submitted_at == first.submitted_at
    assert await pool.fetchval("SELECT count(*) FROM reports") == 1
    assert await outbox_keys(pool) == [first.report_id]

    # A later replay, and one replay plus a new report in the same batch.
    again, other = await asyncio.gather(
        add(store, make_report("w-1"), "same"), add(store, make_report("w-2"), "same")
    )
    assert (again[0].report_id, again[1]) == (first.report_id, False)
    assert other[1] is True
    assert await pool.fetchval("SELECT count(*) FROM reports") == 2


async def test_a_bad_report_fails_alone_and_the_rest_of_its_batch_commits(store, pool):
    good = [make_report(f"w-{i}") for i in range(20)]
    # severity is NOT NULL (migration 0001): this row can never be inserted.
    valid = make_report("w-bad")
    bad = dataclasses.replace(valid, severity=None)  # type: ignore[arg-type]
    items = [*good[:10], bad, *good[10:]]

    results = await asyncio.gather(
        *(add(store, r, f"k-{i}", event_of=valid if r is bad else None) for i, r in enumerate(items)),
        return_exceptions=True,
    )

    assert isinstance(results[10], asyncpg.NotNullViolationError)
    ok = [r for i, r in enumerate(results) if i != 10]
    assert [(got.report_id, created) for got, created in ok] == [(r.report_id, True) for r in good]
    assert await pool.fetchval("SELECT count(*) FROM reports") == 20
    assert await outbox_keys(pool) == sorted(r.report_id for r in good)
    # The retried reports are still answered as created, and replay as the same report.
    (replayed, created) = await add(store, make_report("w-0"), "k-0")
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
        *(add(store, make_report(f"w-{i}"), f"k-{i}") for i in range(5)), return_exceptions=True
    )

    assert all(isinstance(r, asyncpg.InterfaceError) for r in results), results
    # One error for the batch, not one per report: infrastructure errors are not retried singly.
    assert len({id(r) for r in results}) == 1
    assert store.intake.commits == 0
    await store.close()


async def _hold_key(pool: asyncpg.Pool, reporter: str, key: str) -> tuple[asyncpg.Connection, object]:
    """Another transaction inserts (reporter, key) and stays open: a batch with that key waits."""
    holder = await pool.acquire()
    tx = holder.transaction()
    await tx.start()
    await holder.execute(
        "INSERT INTO reports (report_id, reporter_id, kind, category, severity, lon, lat, reporter_hidden, "
        "idempotency_key, status, submitted_at, updated_at) "
        "VALUES (gen_random_uuid(), $1, 'hazard', 'road_damage', 'low', 0, 0, false, $2, 'submitted', "
        "now(), now())",
        reporter,
        key,
    )
    return holder, tx


async def _release(pool: asyncpg.Pool, held: tuple[asyncpg.Connection, object]) -> None:
    holder, tx = held
    await tx.rollback()  # type: ignore[attr-defined]
    await pool.release(holder)


async def test_while_a_batch_waits_on_the_database_new_reports_commit_in_a_second_one(store, pool):
    held = await _hold_key(pool, "w-a", "ka")
    try:
        blocked = asyncio.create_task(add(store, make_report("w-a"), "ka"))
        await wait_for_lock_wait(pool, 1)
        # The first writer is stuck in its INSERT; the reports piling up behind it (a crowd, 16 or
        # more) are taken by the second and answered.
        others = [make_report(f"w-{i}") for i in range(20)]
        done = await asyncio.wait_for(asyncio.gather(*(add(store, r) for r in others)), 10)
        assert [created for _, created in done] == [True] * 20
        assert not blocked.done()
    finally:
        await _release(pool, held)
    assert (await blocked)[1] is True
    assert store.intake.commits == 2


async def test_reports_that_trickle_in_share_a_lingering_transaction(pool):
    store = PostgresReportStore(pool=pool, linger_s=0.5)
    try:
        first = asyncio.create_task(add(store, make_report("w-1")))
        await asyncio.sleep(0.05)
        rest = [asyncio.create_task(add(store, make_report(f"w-{i}"))) for i in (2, 3)]
        results = await asyncio.gather(first, *rest)
    finally:
        await store.close()
    assert [created for _, created in results] == [True] * 3
    assert store.intake.commits == 1
    assert await pool.fetchval("SELECT count(DISTINCT xmin::text) FROM reports") == 1
    assert len(await outbox_keys(pool)) == 3


async def test_cancelled_requests_are_committed_or_not_and_their_key_still_works(pool):
    # Every queued report starts the second writer here (a crowd of one), so both can be stuck.
    store = PostgresReportStore(pool=pool, crowd=1)
    try:
        await _cancelled_requests(store, pool)
    finally:
        await store.close()


async def _cancelled_requests(store: PostgresReportStore, pool: asyncpg.Pool) -> None:
    blocked, taken, queued = make_report("w-a"), make_report("w-b"), make_report("w-c")
    # Other transactions hold the keys of `blocked` and of a second batch: both writers wait.
    held = [await _hold_key(pool, "w-a", "ka"), await _hold_key(pool, "w-d", "kd")]
    try:
        first = asyncio.create_task(add(store, blocked, "ka"))
        second = asyncio.create_task(add(store, taken, "kb"))
        await wait_for_lock_wait(pool, 1)
        fourth = asyncio.create_task(add(store, make_report("w-d"), "kd"))
        await wait_for_lock_wait(pool, 2)
        third = asyncio.create_task(add(store, queued, "kc"))
        await asyncio.sleep(0.05)
        second.cancel()  # taken by the first writer already: committed with its batch
        third.cancel()  # still queued, both writers busy: never written
        with pytest.raises(asyncio.CancelledError):
            await second
        with pytest.raises(asyncio.CancelledError):
            await third
    finally:
        for h in held:
            await _release(pool, h)

    assert await first == (blocked, True)
    assert (await fourth)[1] is True
    assert await pool.fetchval("SELECT count(*) FROM reports WHERE reporter_id = 'w-b'") == 1
    assert await pool.fetchval("SELECT count(*) FROM reports WHERE reporter_id = 'w-c'") == 0
    retried_b = await add(store, make_report("w-b"), "kb")
    assert (retried_b[0].report_id, retried_b[1]) == (taken.report_id, False)
    retried_c = await add(store, queued, "kc")
    assert retried_c == (queued, True)
    assert await pool.fetchval("SELECT count(*) FROM reports") == 4  # w-a, w-b, w-c, w-d once each


async def test_keys_resent_while_batches_commit_side_by_side_are_each_one_report(store, pool, caplog):
    # Ten phones each resending the same five keyed reports in every round, in a different order
    # each time, while earlier rounds may still be committing in the other transaction.
    rounds = []
    for n in range(8):
        order = [(f"w-{p}", f"k-{(i + n) % 5}") for p in range(10) for i in range(5)]
        if n % 2:
            order.reverse()
        rounds.append(asyncio.gather(*(add(store, make_report(w), k) for w, k in order)))
        await asyncio.sleep(0)
    results = [r for batch in await asyncio.gather(*rounds) for r in batch]

    assert await pool.fetchval("SELECT count(*) FROM reports") == 50
    assert sum(created for _, created in results) == 50
    ids = await pool.fetch("SELECT reporter_id, idempotency_key, report_id::text AS id FROM reports")
    by_key = {(r["reporter_id"], r["idempotency_key"]): r["id"] for r in ids}
    assert len(by_key) == 50
    assert len(await outbox_keys(pool)) == 50
    assert store.intake.committed_items == len(results)
    # No batch failed (a deadlock between two would have been redone one report at a time).
    assert "committing one by one" not in caplog.text
    assert store.intake.commits < len(results)


async def test_close_commits_what_was_handed_in_then_refuses(store, pool):
    pending = [asyncio.create_task(add(store, make_report(f"w-{i}"))) for i in range(30)]
    await asyncio.sleep(0)
    await store.close()

    assert all(created for _, created in await asyncio.gather(*pending))
    assert await pool.fetchval("SELECT count(*) FROM reports") == 30
    assert not store.intake.writing
    with pytest.raises(StoreClosed):
        await add(store, make_report())


async def test_the_service_closes_its_store_when_it_stops(pool, tmp_path):
    factory = ReportsFactory(
        runtime=SimpleNamespace(pool=pool),  # type: ignore[arg-type]
        settings=ReportsSettings(photo_dir=tmp_path),
    )
    assert (await add(factory.store, make_report()))[1] is True
    assert SPEC.close is not None
    await SPEC.close(factory)  # what ServiceHost.stop() awaits once consuming has stopped
    with pytest.raises(StoreClosed):
        await add(factory.store, make_report())
