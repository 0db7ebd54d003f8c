"""Wire an EventConsumer to a faststream batch subscriber that commits only after the effect."""

from __future__ import annotations

from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from shared.kafka.consumer import EventConsumer
from shared.settings import PlatformSettings


async def _keep_raw(message: Any) -> Any:
    # The EventConsumer decodes CloudEvents itself; faststream's JSON decoding would be wasted.
    return None


def subscribe(
    broker: KafkaBroker, *, topic: str, consumer: EventConsumer, settings: PlatformSettings
) -> None:
    """Register a batch subscriber for ``topic`` in ``consumer.name``'s consumer group."""
    subscriber = broker.subscriber(
        settings.topic(topic),
        group_id=settings.group(consumer.name),
        batch=True,
        max_records=settings.consumer_max_records,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        batch_timeout_ms=50,
        auto_offset_reset="earliest",
        session_timeout_ms=6_000,
        heartbeat_interval_ms=1_000,
        # Offsets are committed after the handler returns; an exception seeks back instead.
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=_keep_raw,
        title=f"{consumer.name}:{topic}",
    )

    @subscriber
    async def handle(_body: Any, message: KafkaMessage) -> None:
        await consumer.process(message.raw_message)
