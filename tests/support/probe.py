"""A probe consumer group on the real broker and PostgreSQL: the harness the delivery and relay
tests share. Its effect is one row per applied event, in the schema ``probe``."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from opentelemetry.sdk.trace import TracerProvider

from shared.events import topics
from shared.events.envelope import IncomingEvent, OutgoingMessage
from shared.events.reports import ReportSubmittedV1
from shared.kafka.admin import ensure_topics
from shared.kafka.broker import create_broker
from shared.kafka.consumer import EventConsumer, TracedEvent
from shared.kafka.dead_letters import DeadLetterPublisher
from shared.kafka.producer import create_producer
from shared.kafka.subscription import subscribe
from shared.postgres.ddl import PLATFORM_TABLES
from shared.postgres.outbox import OutboxRelay
from shared.postgres.pool import create_pool
from shared.settings import PlatformSettings

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


@contextlib.asynccontextmanager
async def h_and_relay(settings: PlatformSettings):
    """The harness plus a way to start an outbox relay on its schema later."""
    async with harness(settings) as h:
        tasks: list[asyncio.Task] = []

        async def start_relay(**options: Any) -> OutboxRelay:
            relay = OutboxRelay(
                pool=h.pool, database_url=settings.database_url, producer=h.producer,
                schema=SCHEMA,
                topic_prefix=settings.namespace,
                **options,
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
