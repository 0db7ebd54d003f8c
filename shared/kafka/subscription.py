"""Wire an EventConsumer to a faststream batch subscriber that commits only after the effect."""

from __future__ import annotations

import dataclasses
from typing import Any

from aiokafka.structs import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from shared.kafka.consumer import EventConsumer
from shared.settings import PlatformSettings


def _utf8(value: bytes) -> bool:
    try:
        value.decode()
    except UnicodeDecodeError:
        return False
    return True


async def _tolerant_parser(records: tuple[ConsumerRecord, ...], original: Any) -> Any:
    # faststream decodes every header as UTF-8; a binary header would stop the record before it
    # could be dead-lettered. Parse a sanitised copy, but hand the untouched records on.
    safe = tuple(
        dataclasses.replace(
            r, headers=[(k, v if _utf8(v) else v.decode("utf-8", "replace").encode()) for k, v in r.headers]
        )
        if any(not v.isascii() and not _utf8(v) for _, v in r.headers)
        else r
        for r in records
    )
    message = await original(safe)
    message.raw_message = records
    return message


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
        parser=_tolerant_parser,
        decoder=_keep_raw,
        title=f"{consumer.name}:{topic}",
    )

    @subscriber
    async def handle(_body: Any, message: KafkaMessage) -> None:
        await consumer.process(message.raw_message)
