"""A service's consumer fetches when it asks for its next batch, not while it handles one (real broker).

aiokafka would fetch a partition again as soon as its buffered records were taken; records that
arrive while a batch is handled would then sit fetched but unread until the batch after next.
``fetch_on_demand`` pauses the partitions while a batch is out and resumes them when the next is
asked for, so that fetch brings everything that arrived meanwhile. Nothing may be lost, repeated
or reordered by it, and a seek back (how a failed batch is redelivered) must still work.
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from shared.kafka.admin import ensure_topics
from shared.kafka.producer import create_producer
from shared.kafka.subscription import fetch_on_demand
from shared.settings import PlatformSettings


async def _batch(consumer: AIOKafkaConsumer, want: int, timeout: float = 20) -> list:
    """Records of getmany calls until ``want`` came (each call is one batch handed out)."""
    got: list = []
    deadline = asyncio.get_running_loop().time() + timeout
    while len(got) < want and asyncio.get_running_loop().time() < deadline:
        for records in (await consumer.getmany(timeout_ms=500)).values():
            got.extend(records)
    return got


async def test_records_arriving_during_a_batch_come_whole_with_the_next_fetch(settings: PlatformSettings):
    topic = settings.topic("fetch-on-demand")
    await ensure_topics(settings.kafka_bootstrap_servers, [topic], partitions=3, with_dead_letters=False)
    producer = create_producer(settings.kafka_bootstrap_servers, client_id="fetch-on-demand")
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.group("fetch-on-demand"),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=20,
    )
    await producer.start()
    await consumer.start()
    try:
        fetch_on_demand(consumer)
        fetch_on_demand(consumer)  # a second call changes nothing

        async def send(first: int, n: int) -> None:
            sends = [
                await producer.send(topic, f"v{i}".encode(), key=f"k{i % 4}".encode())
                for i in range(first, first + n)
            ]
            await asyncio.gather(*sends)

        await send(0, 12)
        first = await _batch(consumer, 12)
        assert sorted(r.value for r in first) == sorted(f"v{i}".encode() for i in range(12))
        # A batch is out: every partition is paused, so nothing is fetched while it is handled...
        assert consumer.paused() == consumer.assignment() and len(consumer.assignment()) == 3
        await send(12, 12)
        await asyncio.sleep(0.5)
        assert not consumer._fetcher._records, "fetched while a batch was being handled"

        # ...and asking for the next batch fetches all that arrived meanwhile, in order per key.
        second = await _batch(consumer, 12)
        assert sorted(r.value for r in second) == sorted(f"v{i}".encode() for i in range(12, 24))
        for key in (b"k0", b"k1", b"k2", b"k3"):
            values = [int(r.value[1:]) for r in first + second if r.key == key]
            assert values == sorted(values) and len(values) == 6, key

        # A failed batch is sought back to its first offsets: it comes again, whole.
        for tp in consumer.assignment():
            mine = [r.offset for r in second if TopicPartition(r.topic, r.partition) == tp]
            if mine:
                consumer.seek(tp, min(mine))
        again = await _batch(consumer, 12)
        assert sorted((r.partition, r.offset) for r in again) == sorted(
            (r.partition, r.offset) for r in second
        )

        # Nothing new: the empty answer leaves the partitions fetching, as an idle consumer should.
        assert await consumer.getmany(timeout_ms=300) == {}
        assert consumer.paused() == set()
        await send(24, 1)
        assert [r.value for r in await _batch(consumer, 1)] == [b"v24"]
    finally:
        await consumer.stop()
        await producer.stop()
