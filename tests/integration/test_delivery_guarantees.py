"""The delivery guarantees of shared/, on the real broker and PostgreSQL.

A duplicated event has one effect; a crash between commit and publish loses nothing; a poison
message lands in the dead-letter topic and the messages behind it are still processed.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.partitioner import DefaultPartitioner
from opentelemetry.sdk.trace import TracerProvider

from shared.events import topics
from shared.events.envelope import IncomingEvent, OutgoingMessage, encode
from shared.events.reports import ReportSubmittedV1
from shared.kafka.admin import ensure_topics
from shared.kafka.broker import create_broker
from shared.kafka.consumer import EventConsumer, TracedEvent
from shared.kafka.dead_letters import DeadLetterPublisher
from shared.kafka.producer import create_producer
from shared.kafka.subscription import subscribe
from shared.postgres.ddl import PLATFORM_TABLES
from shared.postgres.outbox import OutboxRelay, enqueue
from shared.postgres.pool import create_pool
from shared.postgres.retention import prune_inbox
from shared.settings import PlatformSettings

pytestmark = pytest.mark.integration

SCHEMA = "probe"
ALWAYS_FAILS = "always-fails"


def report(description: str = "", report_id: str | None = None) -> ReportSubmittedV1:
    """A valid report event body."""
    return ReportSubmittedV1(
        report_id=report_id or str(uuid.uuid4()), kind="hazard", category="road_damage",
        severity="medium", lon=106.6, lat=29.7, description=description, reporter_id="w-1",
        submitted_at=datetime.now(UTC),
    )


@dataclass
class Harness:
    """A consumer group on the reports topic whose effect is a row per applied event."""

    settings: PlatformSettings
    pool: asyncpg.Pool
    consumer: EventConsumer
    producer: object

    async def send(self, message: OutgoingMessage) -> None:
        """Publish a record as the relay would."""
        await self.producer.send_and_wait(
            self.settings.topic(message.topic), value=message.value, key=message.key,
            headers=list(message.headers.items()),
        )

    async def effects(self) -> list[asyncpg.Record]:
        """Rows written by the handler."""
        return await self.pool.fetch("SELECT event_id, report_id FROM effects ORDER BY seq")

    async def wait_for_effects(self, n: int, timeout: float = 20) -> list[asyncpg.Record]:
        """Poll until at least n effects exist."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            rows = await self.effects()
            if len(rows) >= n or asyncio.get_running_loop().time() > deadline:
                return rows
            await asyncio.sleep(0.1)


async def _apply(conn: asyncpg.Connection, event: IncomingEvent) -> None:
    body = event.body
    assert isinstance(body, ReportSubmittedV1)
    await conn.execute(
        "INSERT INTO effects (event_id, report_id) VALUES ($1, $2)", event.id, body.report_id
    )
    if body.description == ALWAYS_FAILS:
        raise RuntimeError("this handler always fails for this report")


async def _apply_batch(conn: asyncpg.Connection, events: Sequence[TracedEvent]) -> None:
    for traced in events:
        with traced.active():
            await _apply(conn, traced.event)


@contextlib.asynccontextmanager
async def harness(settings: PlatformSettings, *, batch: bool = False) -> AsyncIterator[Harness]:
    """Schema, pool, producer and a subscribed EventConsumer; all stopped on exit."""
    admin = await asyncpg.connect(settings.database_url)
    await admin.execute(f"CREATE SCHEMA {SCHEMA}; SET search_path TO {SCHEMA};")
    await admin.execute(PLATFORM_TABLES)
    await admin.execute(
        "CREATE TABLE effects (seq bigserial PRIMARY KEY, event_id text NOT NULL, report_id text)"
    )
    await admin.close()
    await ensure_topics(
        settings.kafka_bootstrap_servers, [settings.topic(topics.REPORTS)], partitions=3
    )
    pool = await create_pool(settings.database_url, schema=SCHEMA)
    producer = create_producer(settings.kafka_bootstrap_servers, client_id="probe")
    await producer.start()
    tracer_provider = TracerProvider()
    broker = create_broker(settings.kafka_bootstrap_servers, client_id="probe")
    consumer = EventConsumer(
        name="probe", pool=pool,
        **({"apply_batch": _apply_batch} if batch else {"apply_one": _apply}),
        dead_letters=DeadLetterPublisher(producer=producer),
        tracer=tracer_provider.get_tracer("probe"), max_attempts=3, retry_delay_s=0.01,
    )
    subscribe(broker, {topics.REPORTS: consumer}, settings=settings)
    await broker.start()
    try:
        yield Harness(settings, pool, consumer, producer)
    finally:
        await broker.stop()
        await producer.stop()
        await pool.close()


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


@contextlib.asynccontextmanager
async def h_and_relay(settings: PlatformSettings):
    """The harness plus a way to start an outbox relay on its schema later."""
    async with harness(settings) as h:
        tasks: list[asyncio.Task] = []

        async def start_relay() -> OutboxRelay:
            relay = OutboxRelay(
                pool=h.pool, database_url=settings.database_url, producer=h.producer,
                schema=SCHEMA,
                topic_prefix=settings.namespace,
            )
            tasks.append(asyncio.create_task(relay.run()))
            return relay

        try:
            yield h, start_relay
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


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


async def test_the_relay_keeps_each_key_on_its_partition_and_in_order(settings):
    # Many records, several per key: the relay sends one record batch per partition; each key must
    # land where producer.send would put it, and in the order its events were committed.
    keys = [str(uuid.uuid4()) for _ in range(12)]
    messages = [encode(report(report_id=keys[i % len(keys)], description=f"n{i}"), source="/test")
                for i in range(240)]
    async with h_and_relay(settings) as (h, start_relay):
        async with h.pool.acquire() as conn, conn.transaction():
            await enqueue(conn, SCHEMA, messages)
        await start_relay()
        await h.wait_for_effects(len(messages))
        topic = settings.topic(topics.REPORTS)
        partitions = sorted(await h.producer.partitions_for(topic))
        reader = AIOKafkaConsumer(
            topic, bootstrap_servers=settings.kafka_bootstrap_servers, auto_offset_reset="earliest",
            group_id=f"{settings.namespace}order-reader", fetch_max_wait_ms=20,
        )
        await reader.start()
        got: list = []
        try:
            deadline = asyncio.get_running_loop().time() + 20
            while len(got) < len(messages) and asyncio.get_running_loop().time() < deadline:
                for records in (await reader.getmany(timeout_ms=200)).values():
                    got.extend(records)
        finally:
            await reader.stop()
    assert len(got) == len(messages)
    assert len({r.partition for r in got}) > 1, "the keys spread over partitions"
    for record in got:
        assert record.partition == DefaultPartitioner()(record.key, partitions, partitions)
    ids = {m.event_id: i for i, m in enumerate(messages)}
    for key in keys:
        on_key = sorted((r for r in got if r.key == key.encode()), key=lambda r: r.offset)
        order = [ids[dict(r.headers)["ce_id"].decode()] for r in on_key]
        assert order == sorted(order) and len(order) == 20, key


async def test_only_one_relay_per_schema_publishes_at_a_time(settings):
    async with harness(settings) as h:
        relay = OutboxRelay(
            pool=h.pool, database_url=settings.database_url, producer=h.producer, schema=SCHEMA,
            topic_prefix=settings.namespace,
        )
        message = encode(report(), source="/test")
        async with h.pool.acquire() as conn, conn.transaction():
            await enqueue(conn, SCHEMA, [message])
        other = await asyncpg.connect(settings.database_url)
        try:
            # Another relay holds the schema's lock mid-publish: this one must not publish.
            async with other.transaction():
                assert await other.fetchval(
                    "SELECT pg_try_advisory_xact_lock(hashtext($1))", f"{SCHEMA}_outbox"
                )
                assert await relay.publish_once() == 0
                assert await h.pool.fetchval("SELECT count(*) FROM outbox") == 1
        finally:
            await other.close()
        assert await relay.publish_once() == 1
        assert await h.pool.fetchval("SELECT count(*) FROM outbox") == 0
        rows = await h.wait_for_effects(1)
        assert [r["event_id"] for r in rows] == [message.event_id]


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
