"""Topic creation with the partitions the settings ask for."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from shared.events.topics import ALL, dead_letter
from shared.settings import PlatformSettings


async def ensure_topics(
    bootstrap_servers: str, topics: Iterable[str], *, partitions: int, with_dead_letters: bool = True
) -> None:
    """Create each topic (and its ``.dlq``) unless it exists; waits for a starting broker."""
    names = list(topics)
    if with_dead_letters:
        names += [dead_letter(t) for t in names]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)
    for attempt in range(30):
        try:
            await admin.start()
            break
        except KafkaConnectionError:
            if attempt == 29:
                raise
            await asyncio.sleep(0.5)
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in names if n not in existing]
        for name in missing:
            # One at a time: a batch fails whole when another process created one of them.
            try:
                await admin.create_topics(
                    [NewTopic(name=name, num_partitions=partitions, replication_factor=1)]
                )
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()


async def ensure_system_topics(settings: PlatformSettings) -> None:
    """Every topic of the system (and its dead-letter topic) under the settings' namespace."""
    names = [settings.topic(t) for t in ALL]
    await ensure_topics(settings.kafka_bootstrap_servers, names, partitions=settings.topic_partitions)
