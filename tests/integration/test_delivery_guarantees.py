"""The delivery guarantees of shared/, on the real broker and PostgreSQL.

A duplicated event has one effect; a crash between commit and publish loses nothing; a poison
message lands in the dead-letter topic and the messages behind it are still processed.
"""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer

from shared.events import topics
from shared.events.envelope import encode
from shared.postgres.outbox import enqueue
from shared.postgres.retention import prune_inbox
from shared.settings import PlatformSettings
from tests.support.probe import ALWAYS_FAILS, SCHEMA, h_and_relay, harness, report

pytestmark = pytest.mark.integration


async def read_dead_letters(settings: PlatformSettings, want: int, timeout: float = 20) -> list:
    """Records on the reports dead-letter topic, read from the start."""
    consumer = AIOKafkaConsumer(
        settings.topic(topics.dead_letter(topics.REPORTS)),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=f"{settings.namespace}dlq-reader", auto_offset_reset="earliest",
        fetch_max_wait_ms=20,
    )
    await consumer.start()
    found = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(found) < want and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                found.extend(records)
    finally:
        await consumer.stop()
    return found


async def test_a_duplicated_event_has_one_effect(settings):
    async with harness(settings) as h:
        first = encode(report(), source="/test")
        second = encode(report(), source="/test")
        for message in (first, first, second, first):
            await h.send(message)
        rows = await h.wait_for_effects(2)
        await asyncio.sleep(1.0)  # give a wrongly applied duplicate time to show up
        rows = await h.effects()
        assert sorted(r["event_id"] for r in rows) == sorted([first.event_id, second.event_id])
        # Redelivered later (a new batch, after the offsets were committed): still nothing.
        await h.send(first)
        await asyncio.sleep(1.5)
        assert len(await h.effects()) == 2
        assert h.consumer.duplicates >= 3


async def test_a_crash_between_commit_and_publish_loses_nothing(settings):
    async with h_and_relay(settings) as (h, start_relay):
        message = encode(report(), source="/test")
        # The state change committed with its event, then the process died before publishing.
        async with h.pool.acquire() as conn, conn.transaction():
            await enqueue(conn, SCHEMA, [message])
        await asyncio.sleep(1.0)
        assert await h.effects() == [], "nothing is published while no relay runs"
        relay = await start_relay()
        rows = await h.wait_for_effects(1)
        assert [r["event_id"] for r in rows] == [message.event_id]
        assert await h.pool.fetchval("SELECT count(*) FROM outbox") == 0
        # A relay that died after publishing but before deleting publishes again: one effect.
        async with h.pool.acquire() as conn, conn.transaction():
            await enqueue(conn, SCHEMA, [message])
        await asyncio.sleep(2.0)
        assert len(await h.effects()) == 1
        assert relay.published == 2


@pytest.mark.parametrize("batch", [False, True], ids=["apply_one", "apply_batch"])
async def test_poison_messages_go_to_the_dead_letter_topic_and_the_stream_flows_on(settings, batch):
    # With apply_batch the failing event fails its whole batch, which is then redone one by one.
    async with harness(settings, batch=batch) as h:
        topic = settings.topic(topics.REPORTS)
        await h.producer.send_and_wait(topic, value=b"\x00not json", key=b"k1")
        invalid = encode(report(), source="/test")
        await h.producer.send_and_wait(
            topic, key=b"k2", value=invalid.value.replace(b'"hazard"', b'"volcano"'),
            headers=list(invalid.headers.items()),
        )
        failing = encode(report(ALWAYS_FAILS), source="/test")
        good = encode(report("fine"), source="/test")
        for message in (failing, good):
            await h.send(message)

        rows = await h.wait_for_effects(1)
        assert [r["event_id"] for r in rows] == [good.event_id], "the failing effect rolled back"
        dead = await read_dead_letters(settings, want=3)
        by_error = {dict(r.headers)["dlq_error_type"].decode(): dict(r.headers) for r in dead}
        assert len(dead) == 3
        assert by_error["PoisonMessage"]["dlq_attempts"] == b"1"
        assert by_error["RuntimeError"]["dlq_attempts"] == b"3"
        assert by_error["RuntimeError"]["ce_id"] == failing.event_id.encode()
        assert b"always fails" in by_error["RuntimeError"]["dlq_error"]
        assert all(h_["dlq_original_topic"] == topic.encode()
                   for h_ in by_error.values())
        poison_errors = [dict(r.headers)["dlq_error"] for r in dead
                         if dict(r.headers)["dlq_error_type"] == b"PoisonMessage"]
        assert any(b"not a CloudEvent" in e for e in poison_errors)
        assert any(b"kind" in e for e in poison_errors), "the schema error names the field"
        # The stream behind the poison still flows.
        later = encode(report("later"), source="/test")
        await h.send(later)
        rows = await h.wait_for_effects(2)
        assert [r["event_id"] for r in rows] == [good.event_id, later.event_id]


async def test_the_inbox_forgets_event_ids_after_the_retention_and_only_then(settings):
    async with harness(settings) as h:
        await h.pool.execute(
            "INSERT INTO inbox (consumer, event_id, processed_at) "
            "SELECT 'probe', 'old-' || n, now() - interval '31 days' FROM generate_series(1, 25) n"
        )
        await h.pool.execute(
            "INSERT INTO inbox (consumer, event_id, processed_at) "
            "SELECT 'probe', 'recent-' || n, now() - interval '29 days' FROM generate_series(1, 5) n"
        )
        # In small batches: 10, 10, 5, then nothing is left that is old enough.
        assert [await prune_inbox(h.pool, older_than_days=30, limit=10) for _ in range(4)] == [10, 10, 5, 0]
        left = {r["event_id"] for r in await h.pool.fetch("SELECT event_id FROM inbox")}
        assert left == {f"recent-{n}" for n in range(1, 6)}
        # A remembered id is still a duplicate: redelivered, it has no second effect.
        message = encode(report(), source="/test")
        await h.send(message)
        await h.wait_for_effects(1)
        await h.send(message)
        await asyncio.sleep(2.0)
        assert await prune_inbox(h.pool, older_than_days=30) == 0
        assert len(await h.effects()) == 1
