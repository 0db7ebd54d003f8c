"""Apply each event once: inbox and effect in one transaction, retries, then dead letters."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import asyncpg
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from shared.events.envelope import IncomingEvent, PoisonMessage, decode
from shared.kafka.dead_letters import DeadLetterPublisher
from shared.postgres.pool import POSTGRES_UNAVAILABLE
from shared.telemetry.metrics import ServiceMetrics
from shared.telemetry.propagation import extract_from_headers

log = logging.getLogger(__name__)

ApplyOne = Callable[[asyncpg.Connection, IncomingEvent], Awaitable[None]]
Prepare = Callable[[Sequence[IncomingEvent]], Awaitable[None]]


@dataclass(frozen=True)
class TracedEvent:
    """A fresh event of a batch with its consumer span (started, ended by the consumer)."""

    event: IncomingEvent
    span: trace.Span

    @contextmanager
    def active(self) -> Iterator[trace.Span]:
        """Make the event's span current, so events encoded inside continue its trace."""
        with trace.use_span(self.span, end_on_exit=False):
            yield self.span


# Applies a whole batch of fresh events with set-based statements; a failure fails the batch,
# which is then retried one event at a time (a batch of one), exactly as with ApplyOne.
ApplyBatch = Callable[[asyncpg.Connection, Sequence[TracedEvent]], Awaitable[None]]

# Failures of the infrastructure, not of the message: wait and redeliver, never dead-letter.
TRANSIENT: tuple[type[BaseException], ...] = (OSError, *POSTGRES_UNAVAILABLE, KafkaError)


class InfrastructureUnavailable(Exception):
    """The database or broker is unreachable; the batch is redelivered, not dead-lettered."""


class EventConsumer:
    """Turns a batch of Kafka records into applied effects, once per event id."""

    def __init__(
        self,
        *,
        name: str,
        pool: asyncpg.Pool,
        apply_one: ApplyOne | None = None,
        apply_batch: ApplyBatch | None = None,
        dead_letters: DeadLetterPublisher,
        tracer: trace.Tracer,
        prepare: Prepare | None = None,
        metrics: ServiceMetrics | None = None,
        max_attempts: int = 3,
        retry_delay_s: float = 0.05,
        outage_delay_s: float = 1.0,
    ) -> None:
        self._name = name
        self._pool = pool
        if (apply_one is None) == (apply_batch is None):
            raise ValueError("give exactly one of apply_one and apply_batch")
        self._apply_one = apply_one
        self._apply_batch = apply_batch
        self._prepare = prepare
        self._metrics = metrics
        self._dead_letters = dead_letters
        self._tracer = tracer
        self._max_attempts = max_attempts
        self._retry_delay_s = retry_delay_s
        self._outage_delay_s = outage_delay_s
        self.applied = 0
        self.duplicates = 0

    @property
    def name(self) -> str:
        """The consumer's name in the inbox (and its Kafka group id)."""
        return self._name

    async def process(self, records: Sequence[ConsumerRecord]) -> None:
        """Apply a batch; returns only when every record is applied, a duplicate or dead-lettered."""
        started = time.perf_counter()
        await self._process(records)
        # Only batches that went through: one redelivered after an outage would count its wait.
        if self._metrics is not None and records:
            self._metrics.consumer_batch_seconds.labels(self._metrics.service, records[0].topic).observe(
                time.perf_counter() - started
            )

    async def _process(self, records: Sequence[ConsumerRecord]) -> None:
        events: list[tuple[ConsumerRecord, IncomingEvent]] = []
        failed: list[tuple[ConsumerRecord, BaseException, int]] = []
        for record in records:
            try:
                events.append((record, _decode(record)))
            except PoisonMessage as exc:
                failed.append((record, exc, 1))
        try:
            if events:
                try:
                    await self._apply([e for _, e in events])
                except TRANSIENT:
                    raise
                except Exception as exc:
                    log.warning("batch failed (%s); applying one by one", exc)
                    failed += await self._apply_singly(events)
            for record, error, attempts in failed:
                log.error(
                    "dead-lettering %s[%s]@%s after %s attempt(s): %s",
                    record.topic, record.partition, record.offset, attempts, error,
                )
                await self._dead_letters.send(
                    record, error, attempts=attempts, consumer=self._name
                )
                self._count(record.topic, "dead_letter", 1)
        except TRANSIENT as exc:
            log.warning("infrastructure unavailable, batch will be redelivered: %s", exc)
            await asyncio.sleep(self._outage_delay_s)
            raise InfrastructureUnavailable(str(exc)) from exc

    async def _apply_singly(
        self, events: list[tuple[ConsumerRecord, IncomingEvent]]
    ) -> list[tuple[ConsumerRecord, BaseException, int]]:
        failed = []
        for record, event in events:
            for attempt in range(1, self._max_attempts + 1):
                try:
                    await self._apply([event])
                    break
                except TRANSIENT:
                    raise
                except Exception as exc:
                    if attempt == self._max_attempts:
                        failed.append((record, exc, attempt))
                    else:
                        await asyncio.sleep(self._retry_delay_s * attempt)
        return failed

    async def _apply(self, events: Sequence[IncomingEvent]) -> None:
        unique = list({e.id: e for e in events}.values())
        if self._prepare is not None:
            await self._prepare(unique)
        async with self._pool.acquire() as conn, conn.transaction():
            fresh_ids = {
                row["event_id"]
                for row in await conn.fetch(
                    "INSERT INTO inbox (consumer, event_id) SELECT $1, unnest($2::text[]) "
                    "ON CONFLICT DO NOTHING RETURNING event_id",
                    self._name,
                    [e.id for e in unique],
                )
            }
            fresh = [e for e in unique if e.id in fresh_ids]
            if self._apply_batch is not None:
                await self._apply_traced(conn, fresh)
            else:
                for event in fresh:
                    with self._tracer.start_as_current_span(
                        f"{self._name} apply {event.type}",
                        context=extract_from_headers(event.headers),
                        kind=SpanKind.CONSUMER,
                        attributes=self._attributes(event),
                    ):
                        await self._apply_one(conn, event)
        self.applied += len(fresh_ids)
        self.duplicates += len(events) - len(fresh_ids)
        topic = events[0].topic
        self._count(topic, "applied", len(fresh_ids))
        self._count(topic, "duplicate", len(events) - len(fresh_ids))

    async def _apply_traced(self, conn: asyncpg.Connection, events: Sequence[IncomingEvent]) -> None:
        if not events:
            return
        traced = [
            TracedEvent(
                event,
                self._tracer.start_span(
                    f"{self._name} apply {event.type}",
                    context=extract_from_headers(event.headers),
                    kind=SpanKind.CONSUMER,
                    attributes=self._attributes(event),
                ),
            )
            for event in events
        ]
        try:
            await self._apply_batch(conn, traced)
        except BaseException as exc:
            for item in traced:
                item.span.record_exception(exc)
                item.span.set_status(trace.Status(trace.StatusCode.ERROR, str(exc)))
            raise
        finally:
            for item in traced:
                item.span.end()

    @staticmethod
    def _attributes(event: IncomingEvent) -> dict[str, str]:
        return {
            "nuanxin.event_id": event.id,
            "nuanxin.event_type": event.type,
            "nuanxin.subject": event.body.partition_key(),
        }

    def _count(self, topic: str, outcome: str, n: int) -> None:
        if self._metrics is not None and n:
            self._metrics.events_in.labels(self._metrics.service, topic, outcome).inc(n)


def _decode(record: ConsumerRecord) -> IncomingEvent:
    return decode(
        record.headers or (),
        record.value,
        key=record.key,
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
    )
