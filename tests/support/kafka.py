"""Publish events to, and read them back from, the test's own topics on the real broker."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaConsumer

from shared.events.base import EventBody
from shared.events.envelope import IncomingEvent, decode, encode
from shared.kafka.admin import ensure_topics
from shared.kafka.producer import create_producer
from shared.settings import PlatformSettings


async def publish(settings: PlatformSettings, bodies: Sequence[EventBody]) -> list[str]:
    """Publish event bodies as a service's relay would; returns their event ids."""
    topics = sorted({settings.topic(b.topic) for b in bodies})
    await ensure_topics(settings.kafka_bootstrap_servers, topics, partitions=settings.topic_partitions)
    producer = create_producer(settings.kafka_bootstrap_servers, client_id="test")
    await producer.start()
    ids = []
    try:
        pending = []
        for body in bodies:
            m = encode(body, source="/test")
            ids.append(m.event_id)
            pending.append(await producer.send(
                settings.topic(m.topic), value=m.value, key=m.key, headers=list(m.headers.items())
            ))
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return ids


async def read_events(
    settings: PlatformSettings,
    topic: str,
    *,
    until: Callable[[list[IncomingEvent]], bool],
    timeout: float = 30,
) -> list[IncomingEvent]:
    """Every event on a topic from the start, until the predicate holds or the time is up."""
    consumer = AIOKafkaConsumer(
        settings.topic(topic), bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=f"{settings.namespace}reader-{uuid.uuid4().hex[:6]}", auto_offset_reset="earliest",
        enable_auto_commit=False, fetch_max_wait_ms=20,
    )
    await consumer.start()
    events: list[IncomingEvent] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while not until(events) and asyncio.get_running_loop().time() < deadline:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                events += [decode(r.headers, r.value, key=r.key, topic=r.topic) for r in records]
    finally:
        await consumer.stop()
    return events
