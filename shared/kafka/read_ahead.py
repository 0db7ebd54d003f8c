"""A consumer that reads the next batch while the handler works on this one."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import ConsumerStoppedError
from aiokafka.structs import ConsumerRecord

# How long the reader's own poll waits for data before it asks again; only bounds how soon it
# notices that the handler has stopped asking.
_POLL_MS = 500


class ReadAheadConsumer(AIOKafkaConsumer):
    """An aiokafka consumer whose ``getmany`` hands out what a task of its own has read ahead.

    aiokafka fetches a partition again only once the records it holds of it have been taken. A
    record that reaches the broker while a batch is handled is therefore fetched when the next
    batch is taken and handled in the batch after that: a batch and a half of waiting per hop.
    Here a reader task takes records as soon as they are fetched, up to ``max_records`` ahead of
    the handler, so the fetcher keeps fetching while a batch is handled and the next batch is
    everything that arrived meanwhile: a record waits about half a batch.

    Offsets never run ahead of the handler:

    - ``commit()`` without offsets commits, per partition, the offset after the last record
      ``getmany`` handed out, not the consumer's position (which is ahead by what was read);
    - ``seek()`` forgets what was read ahead of that partition and what was handed out of it
      but not committed, so a batch sought back is read again and never committed past;
    - a rebalance forgets the same of every revoked partition;
    - a handler that stops asking for batches stops the reader too, after
      ``max_poll_interval_ms``, so the consumer still leaves its group as an idle one would.

    ``getmany`` takes no partitions: the reader reads all that are assigned.
    """

    def __init__(self, *topics: str, **config: Any) -> None:
        super().__init__(*topics, **config)
        self._max_poll_s = self._max_poll_interval_ms / 1000
        self._ahead: dict[TopicPartition, deque[ConsumerRecord]] = {}
        self._ahead_count = 0
        self._handed: dict[TopicPartition, int] = {}
        self._limit = 500
        self._asked_at = time.monotonic()
        self._reader: asyncio.Task[None] | None = None
        self._error: BaseException | None = None
        self._stopping = False
        self._arrived = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()

    def subscribe(
        self,
        topics: Iterable[str] = (),
        pattern: str | None = None,
        listener: ConsumerRebalanceListener | None = None,
    ) -> None:
        """Subscribe as aiokafka does; a rebalance also forgets what was read of revoked partitions."""
        super().subscribe(topics=topics, pattern=pattern, listener=_ForgetRevoked(self, listener))

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[ConsumerRecord]]:
        """Up to ``max_records`` records read ahead, waiting up to ``timeout_ms`` for the first."""
        if partitions:
            raise ValueError("a read-ahead consumer hands out all its assigned partitions")
        if self._stopping:
            raise ConsumerStoppedError()
        if max_records is not None:
            if max_records < 1:
                raise ValueError("`max_records` must be a positive Integer")
            self._limit = max_records
        self._asked_at = time.monotonic()
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read_ahead(), name="kafka read-ahead")
        if not self._ahead_count and self._error is None:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout_ms / 1000):
                    await self._arrived.wait()
        if not self._ahead_count and self._error is not None:
            error, self._error = self._error, None
            raise error
        return self._hand_out()

    async def commit(self, offsets: Any = None) -> None:
        """Commit the given offsets, or by default what ``getmany`` has handed out since the last commit."""
        if offsets is not None:
            await super().commit(offsets)
            return
        assigned = self.assignment()
        handed = {tp: offset for tp, offset in self._handed.items() if tp in assigned}
        if not handed:
            return
        await super().commit(handed)
        for tp, offset in handed.items():
            if self._handed.get(tp) == offset:
                del self._handed[tp]

    def seek(self, partition: TopicPartition, offset: int) -> None:
        """Move the partition's position and forget what was read ahead of it or handed out uncommitted."""
        super().seek(partition, offset)
        self._forget((partition,))

    async def stop(self) -> None:
        """Stop the reader, then the consumer."""
        self._stopping = True
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        await super().stop()

    def _hand_out(self) -> dict[TopicPartition, list[ConsumerRecord]]:
        out: dict[TopicPartition, list[ConsumerRecord]] = {}
        assigned = self.assignment()
        room = self._limit
        for tp in list(self._ahead):
            if room == 0:
                break
            queue = self._ahead[tp]
            if tp not in assigned:
                self._forget((tp,))
                continue
            take = min(len(queue), room)
            records = [queue.popleft() for _ in range(take)]
            if not queue:
                del self._ahead[tp]
            out[tp] = records
            room -= take
            self._ahead_count -= take
            self._handed[tp] = records[-1].offset + 1
        if self._ahead_count < self._limit:
            self._room.set()
        return out

    def _forget(self, partitions: Iterable[TopicPartition]) -> None:
        for tp in partitions:
            self._ahead_count -= len(self._ahead.pop(tp, ()))
            self._handed.pop(tp, None)
        if self._ahead_count < self._limit:
            self._room.set()

    async def _read_ahead(self) -> None:
        try:
            while True:
                await self._room.wait()
                if time.monotonic() - self._asked_at > self._max_poll_s:
                    # The handler has stopped asking: stop fetching, so aiokafka's own liveness
                    # check sees an idle consumer. The next getmany starts the reader again.
                    return
                records = await super().getmany(
                    timeout_ms=_POLL_MS, max_records=max(1, self._limit - self._ahead_count)
                )
                for tp, batch in records.items():
                    self._ahead.setdefault(tp, deque()).extend(batch)
                    self._ahead_count += len(batch)
                if records:
                    self._arrived.set()
                if self._ahead_count >= self._limit:
                    self._room.clear()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # Handed to the next getmany, as aiokafka's own getmany would have raised it.
            self._error = exc
            self._arrived.set()


class _ForgetRevoked(ConsumerRebalanceListener):
    """Forget what was read of revoked partitions, then call the listener given to subscribe."""

    def __init__(self, consumer: ReadAheadConsumer, listener: ConsumerRebalanceListener | None) -> None:
        self._consumer = consumer
        self._listener = listener

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        revoked = list(revoked)
        self._consumer._forget(revoked)
        if self._listener is not None:
            await _maybe_await(self._listener.on_partitions_revoked(revoked))

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        assigned = list(assigned)
        self._consumer._forget(set(self._consumer._ahead) - set(assigned))
        if self._listener is not None:
            await _maybe_await(self._listener.on_partitions_assigned(assigned))


async def _maybe_await(result: Any) -> None:
    if asyncio.iscoroutine(result):
        await result
