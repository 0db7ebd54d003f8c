"""Read whole topics back from the broker, from the first offset to the end as it is now."""

from __future__ import annotations

import logging

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.events.envelope import IncomingEvent, PoisonMessage, decode

log = logging.getLogger(__name__)


async def read_topics(
    bootstrap_servers: str, topics: list[str], *, batch_ms: int = 200
) -> list[IncomingEvent]:
    """Every decodable event on the topics up to their current end; nothing is committed."""
    # No group: partitions are assigned by hand, so the replay never moves a service's offsets.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, group_id=None, enable_auto_commit=False,
        client_id="nuanxin-volunteers-replay", fetch_max_wait_ms=20,
    )
    await consumer.start()
    events: list[IncomingEvent] = []
    try:
        partitions = [
            TopicPartition(t, p) for t in topics for p in sorted(await _partitions(bootstrap_servers, t))
        ]
        if not partitions:
            return events
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > await consumer.position(tp)}
        while remaining:
            for records in (await consumer.getmany(*remaining, timeout_ms=batch_ms)).values():
                for r in records:
                    try:
                        events.append(decode(r.headers, r.value, key=r.key, topic=r.topic,
                                             partition=r.partition, offset=r.offset))
                    except PoisonMessage as exc:
                        log.warning("replay skips an undecodable record: %s", exc)
            remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
    finally:
        await consumer.stop()
    return events


async def _partitions(bootstrap_servers: str, topic: str) -> set[int]:
    """A topic's partitions, waiting for its metadata (a consumer without a group only learns the
    topics it was asked about, and Apache Kafka answers only for those)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, client_id="nuanxin-volunteers-replay")
    await producer.start()
    try:
        return await producer.partitions_for(topic)
    finally:
        await producer.stop()
