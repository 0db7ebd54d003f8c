"""The transactional outbox: events commit with their state change; a relay publishes them."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Sequence

import asyncpg
from aiokafka import AIOKafkaProducer

from shared.events.envelope import OutgoingMessage
from shared.kafka.partition import partition_for

log = logging.getLogger(__name__)


def channel_for(schema: str) -> str:
    """The LISTEN/NOTIFY channel that wakes a schema's relay."""
    return f"{schema}_outbox"


async def enqueue(conn: asyncpg.Connection, schema: str, messages: Sequence[OutgoingMessage]) -> None:
    """Add messages to the outbox inside the caller's transaction and wake the relay on commit."""
    if not messages:
        return
    # One statement, rows in the order given (seq follows it, and the relay publishes by seq):
    # executemany cost the server a statement execution per row. The wake-up rides in the same
    # round trip; NOTIFY is delivered at commit, and never if the transaction rolls back.
    await conn.execute(
        "WITH queued AS (INSERT INTO outbox (topic, key, headers, value) "
        "SELECT topic, key, headers, value FROM unnest($1::text[], $2::bytea[], $3::jsonb[], $4::bytea[]) "
        "WITH ORDINALITY AS m(topic, key, headers, value, ord) ORDER BY ord) "
        "SELECT pg_notify($5, '')",
        [m.topic for m in messages],
        [m.key for m in messages],
        [{k: v.decode() for k, v in m.headers.items()} for m in messages],
        [m.value for m in messages],
        channel_for(schema),
    )


class IncompleteMetadata(Exception):
    """The broker's metadata for a topic has a gap in its partition numbers."""


class OutboxRelay:
    """Publishes committed outbox rows in order, woken by NOTIFY, with a slow poll as a backstop.

    While busy it lingers: a publish that sends starts at least ``linger_s`` after the one before,
    so rows committed meanwhile leave together, in fewer and larger record batches.
    """

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        database_url: str,
        producer: AIOKafkaProducer,
        schema: str,
        batch_size: int = 1000,
        idle_poll_s: float = 1.0,
        linger_s: float = 0.0,
        on_published: Callable[[int], object] | None = None,
        topic_prefix: str = "",
    ) -> None:
        self._pool = pool
        self._database_url = database_url
        self._producer = producer
        self._schema = schema
        self._batch_size = batch_size
        self._idle_poll_s = idle_poll_s
        self._linger_s = linger_s
        self._on_published = on_published
        self._topic_prefix = topic_prefix
        self._wake = asyncio.Event()
        self.published = 0
        # Why the last round published nothing, until one succeeds (for health and operators).
        self.waiting: str | None = None

    async def run(self) -> None:
        """Relay until cancelled; database or broker outages are waited out, not fatal."""
        listener: asyncpg.Connection | None = None
        backoff = 0.2
        last_sent = -math.inf
        while True:
            try:
                if listener is None or listener.is_closed():
                    listener = await asyncpg.connect(self._database_url)
                    await listener.add_listener(channel_for(self._schema), self._on_notify)
                self._wake.clear()
                started = time.monotonic()
                sent = await self.publish_once()
                self.waiting = None
                backoff = 0.2
                if sent:
                    last_sent = started
                if sent >= self._batch_size:
                    continue
                try:
                    await asyncio.wait_for(self._wake.wait(), self._idle_poll_s)
                except TimeoutError:
                    pass
                # Linger: publishes that send start at most every linger_s, so rows committed
                # meanwhile leave together. After a quiet spell the wait is already over.
                rest = last_sent + self._linger_s - time.monotonic()
                if rest > 0:
                    await asyncio.sleep(rest)
            except asyncio.CancelledError:
                if listener is not None and not listener.is_closed():
                    await listener.close(timeout=2)
                raise
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                self.waiting = f"database or broker: {exc}"
                log.warning("outbox relay waiting: %s", exc, extra={"schema": self._schema})
                listener = None
            except IncompleteMetadata as exc:
                # The broker's state, not a fault of the relay: a line a retry, no traceback, and
                # the database's listener stays.
                self.waiting = f"broker: {exc}"
                log.warning("outbox relay waiting for the broker: %s", exc, extra={"schema": self._schema})
            except Exception as exc:
                self.waiting = f"publish failed: {exc!r}"
                log.exception("outbox relay failed to publish; retrying")
            else:
                continue
            # Every failure is waited out the same way; the rows stay for the next try.
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    def _on_notify(self, *_args: object) -> None:
        self._wake.set()

    async def publish_once(self) -> int:
        """Publish one batch; rows are deleted only after the broker acknowledged them."""
        # READ COMMITTED whatever the server's default: each statement then sees what was committed
        # when it began, which is what reading after the lock relies on (below).
        async with self._pool.acquire() as conn, conn.transaction(isolation="read_committed"):
            # One relay per schema at a time keeps each key's events in commit order. The lock is
            # taken in a statement of its own, before the rows are read: a statement sees the
            # database as it was when it began, so rows read in the statement that took the lock
            # could be rows the relay before had deleted, and committed (releasing the lock) while
            # this statement ran; they would go out twice. Read after the lock, they are gone.
            if not await conn.fetchval(
                "SELECT pg_try_advisory_xact_lock(hashtext($1))", channel_for(self._schema)
            ):
                return 0
            rows = await conn.fetch(
                "SELECT seq, topic, key, headers, value FROM outbox ORDER BY seq LIMIT $1",
                self._batch_size,
            )
            if not rows:
                return 0
            await asyncio.gather(*await self._send_all(rows))
            # By exact seq: a lower seq may still be uncommitted in another transaction.
            await conn.execute(
                "DELETE FROM outbox WHERE seq = ANY($1::bigint[])", [r["seq"] for r in rows]
            )
        self.published += len(rows)
        if self._on_published is not None:
            self._on_published(len(rows))
        return len(rows)

    async def _partitions(self, topic: str) -> list[int]:
        """The topic's partitions, 0 to n-1 as Kafka numbers them.

        A set with a gap is metadata caught mid-change (a topic still being created): keys placed
        by it would leave the partitions their earlier events went to. It is fetched again once;
        still gapped, the batch waits (its rows stay in the outbox) and the relay retries.
        """
        known = sorted(await self._producer.partitions_for(topic))
        if known != list(range(len(known))):
            await self._producer.client.force_metadata_update()
            known = sorted(await self._producer.partitions_for(topic))
            if known != list(range(len(known))):
                raise IncompleteMetadata(f"the broker lists partitions {known} of {topic}, not 0 to n-1")
        return known

    async def _send_all(self, rows: Sequence[asyncpg.Record]) -> list[asyncio.Future]:
        """Hand the rows to the producer as one record batch per partition, in seq order.

        Partitions are chosen by key exactly as ``producer.send`` would (murmur2), so each key
        keeps its partition and its order; per-record sends would look up metadata every time.
        """
        by_partition: dict[tuple[str, int], list[tuple[bytes | None, bytes, list]]] = {}
        partitions: dict[str, list[int]] = {}
        for row in rows:
            topic = self._topic_prefix + row["topic"]
            if topic not in partitions:
                partitions[topic] = await self._partitions(topic)
            # The headers carry the traceparent of the span the event was made in, so the
            # consumer's span continues that trace; a span per relayed record would double the
            # tracing cost of a hop and add only the relay's own few milliseconds.
            headers = [(k, v.encode()) for k, v in row["headers"].items()]
            partition = partition_for(row["key"], partitions[topic])
            by_partition.setdefault((topic, partition), []).append((row["key"], row["value"], headers))
        futures = []
        for (topic, partition), records in by_partition.items():
            batch = self._producer.create_batch()
            for key, value, headers in records:
                if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:
                    futures.append(await self._producer.send_batch(batch, topic, partition=partition))
                    batch = self._producer.create_batch()
                    if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:
                        raise ValueError(f"an outbox record for {topic} is larger than a batch")
            futures.append(await self._producer.send_batch(batch, topic, partition=partition))
        return futures
