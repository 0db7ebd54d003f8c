"""The read-ahead consumer on the real broker: it fetches while a batch is handled, and its
offsets never run ahead of what it handed out (commit, seek back, rebalance)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import ConsumerStoppedError

from shared.kafka.admin import ensure_topics
from shared.kafka.broker import create_broker
from shared.kafka.read_ahead import ReadAheadConsumer
from shared.settings import PlatformSettings

pytestmark = pytest.mark.integration


async def _topic(settings: PlatformSettings, partitions: int) -> str:
    topic = settings.topic("read-ahead")
    await ensure_topics(settings.kafka_bootstrap_servers, [topic], partitions=partitions)
    return topic


async def _produce(settings: PlatformSettings, topic: str, values: list[str], partition: int = 0) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for value in values:
            await producer.send(topic, value.encode(), partition=partition)
        await producer.flush()
    finally:
        await producer.stop()


@contextlib.asynccontextmanager
async def _consumer(settings: PlatformSettings, topic: str, cls=ReadAheadConsumer) -> AsyncIterator:
    consumer = cls(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.group("read-ahead"),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=20,
        session_timeout_ms=6_000,
        heartbeat_interval_ms=500,
    )
    consumer.subscribe([topic])
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()


async def _take(consumer: AIOKafkaConsumer, want: int, timeout: float = 20) -> list[str]:
    """Values handed out by getmany, batch after batch, until ``want`` of them (or the timeout)."""
    got: list[str] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while len(got) < want and asyncio.get_running_loop().time() < deadline:
        for records in (await consumer.getmany(timeout_ms=200, max_records=100)).values():
            got += [r.value.decode() for r in records]
    return got


async def _until(check, timeout: float = 20) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.05)
    return False


def _values(start: int, stop: int) -> list[str]:
    return [f"r{i}" for i in range(start, stop)]


async def test_what_arrives_while_a_batch_is_handled_is_fetched_meanwhile(settings):
    topic = await _topic(settings, 1)
    tp = TopicPartition(topic, 0)
    await _produce(settings, topic, _values(0, 5))
    async with _consumer(settings, topic) as consumer:
        assert await _take(consumer, 5) == _values(0, 5)
        # The batch is being handled: getmany is not called, yet what arrives is fetched.
        await asyncio.sleep(0.3)
        await _produce(settings, topic, _values(5, 12))

        async def fetched() -> bool:
            return await consumer.position(tp) == 12

        assert await _until(fetched), "nothing was read while the batch was handled"
        # The next batch is everything that arrived meanwhile, without waiting for a fetch.
        batch = await consumer.getmany(timeout_ms=0, max_records=100)
        assert [r.value.decode() for r in batch[tp]] == _values(5, 12)


async def test_commit_stops_at_what_was_handed_out(settings):
    topic = await _topic(settings, 1)
    tp = TopicPartition(topic, 0)
    await _produce(settings, topic, _values(0, 5))
    async with _consumer(settings, topic) as consumer:
        assert await _take(consumer, 5) == _values(0, 5)
        await _produce(settings, topic, _values(5, 12))

        async def fetched() -> bool:
            return await consumer.position(tp) == 12

        assert await _until(fetched)
        await consumer.commit()
        assert await consumer.committed(tp) == 5  # not 12: seven records were only read ahead
    async with _consumer(settings, topic) as again:
        assert await _take(again, 7) == _values(5, 12)


async def test_a_batch_sought_back_is_read_again_and_not_committed_past(settings):
    topic = await _topic(settings, 1)
    tp = TopicPartition(topic, 0)
    await _produce(settings, topic, _values(0, 5))
    async with _consumer(settings, topic) as consumer:
        assert await _take(consumer, 5) == _values(0, 5)
        await consumer.commit()
        await _produce(settings, topic, _values(5, 12))
        assert await _take(consumer, 7) == _values(5, 12)
        await _produce(settings, topic, _values(12, 15))

        async def fetched() -> bool:
            return await consumer.position(tp) == 15

        assert await _until(fetched)
        # The handler failed on 5..11: rewind as faststream's nack does, then commit whatever is due.
        consumer.seek(tp, 5)
        await consumer.commit()
        assert await consumer.committed(tp) == 5
        assert await _take(consumer, 10) == _values(5, 15)  # in order, none from the old read-ahead
        await consumer.commit()
        assert await consumer.committed(tp) == 15


async def test_a_rebalance_forgets_what_was_read_of_revoked_partitions(settings):
    topic = await _topic(settings, 2)
    parts = [TopicPartition(topic, 0), TopicPartition(topic, 1)]
    for p in (0, 1):
        await _produce(settings, topic, [f"p{p}-{i}" for i in range(10)], partition=p)
    async with _consumer(settings, topic) as first:
        handled = await _take(first, 20)
        assert sorted(handled) == sorted(f"p{p}-{i}" for p in (0, 1) for i in range(10))
        await first.commit()
        for p in (0, 1):
            await _produce(settings, topic, [f"p{p}-{i}" for i in range(10, 20)], partition=p)

        async def both_read_ahead() -> bool:
            return [await first.position(tp) for tp in parts] == [20, 20]

        assert await _until(both_read_ahead)
        async with _consumer(settings, topic, cls=AIOKafkaConsumer) as second:
            # The second member's own getmany drives its join; the first rejoins in the background.
            second_got: list[str] = []

            async def split() -> bool:
                for records in (await second.getmany(timeout_ms=100)).values():
                    second_got.extend(r.value.decode() for r in records)
                return len(first.assignment()) == 1 and len(second.assignment()) == 1

            assert await _until(split, timeout=30), "the group did not rebalance"
            kept = next(iter(first.assignment()))
            lost = next(tp for tp in parts if tp != kept)
            first_got = await _take(first, 10)
            # Only the kept partition's records come out of the first; the lost one's read-ahead is gone.
            assert first_got == [f"p{kept.partition}-{i}" for i in range(10, 20)]
            assert await _take(first, 1, timeout=1.0) == []  # nor what it read before it again
            await first.commit()
            assert await first.committed(kept) == 20
            assert await first.committed(lost) == 10  # read ahead up to 20, never committed
            second_got += await _take(second, 10 - len(second_got))
            assert second_got == [f"p{lost.partition}-{i}" for i in range(10, 20)]


async def test_stop_ends_the_reader_and_getmany_says_so(settings):
    topic = await _topic(settings, 1)
    async with _consumer(settings, topic) as consumer:
        await consumer.getmany(timeout_ms=100)
        reader = consumer._reader
        assert reader is not None and not reader.done()
    assert reader.done()
    with pytest.raises(ConsumerStoppedError):
        await consumer.getmany(timeout_ms=100)


async def test_service_brokers_consume_with_read_ahead_unless_told_not_to(settings):
    topic = await _topic(settings, 1)
    kinds = {}
    for read_ahead in (True, False):
        broker = create_broker(settings.kafka_bootstrap_servers, client_id="probe", read_ahead=read_ahead)
        subscriber = broker.subscriber(topic, group_id=settings.group(f"kind-{read_ahead}"), batch=True)

        @subscriber
        async def handle(_body) -> None:
            pass

        await broker.start()
        try:
            kinds[read_ahead] = type(subscriber.consumer)
        finally:
            await broker.stop()
    assert kinds == {True: ReadAheadConsumer, False: AIOKafkaConsumer}
