"""Wire an EventConsumer to a faststream batch subscriber that commits only after the effect."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
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


def _sanitised(record: ConsumerRecord) -> ConsumerRecord:
    if all(v.isascii() or _utf8(v) for _, v in record.headers):
        return record
    headers = [(k, v if _utf8(v) else v.decode("utf-8", "replace").encode()) for k, v in record.headers]
    return dataclasses.replace(record, headers=headers)


async def _tolerant_parser(records: tuple[ConsumerRecord, ...], original: Any) -> Any:
    # faststream builds its message from every record of the batch (each one's headers decoded
    # into a dict, its body listed) for a body, headers and an id the handler does not use: it
    # takes the records themselves, and the EventConsumer decodes them. So faststream parses only
    # the first and the last record (the message id names their offsets), and the batch goes on
    # whole and untouched. faststream decodes headers as UTF-8, so a binary header in either is
    # replaced in the copy it parses; the record is dead-lettered by the EventConsumer, not here.
    ends = (records[0], records[-1]) if len(records) > 1 else records
    message = await original(tuple(_sanitised(r) for r in ends))
    message.raw_message = records
    return message


async def _keep_raw(message: Any) -> Any:
    # The EventConsumer decodes CloudEvents itself; faststream's JSON decoding would be wasted.
    return None


def subscribe(
    broker: KafkaBroker,
    consumers: Mapping[str, EventConsumer],
    *,
    settings: PlatformSettings,
    fetch_max_wait_ms: int | None = None,
) -> None:
    """One batch subscriber for all of a service's topics, in its consumer group.

    One Kafka consumer per service rather than one per topic: a consumer long-polls every
    ``fetch_max_wait_ms`` whether or not its topics carry anything, and on a broker that does not
    wake long polls (the embedded one) each idle consumer cost ~0.1 of a core between itself and
    the broker. A batch may hold records of several topics; each topic's records go to its
    EventConsumer in order. If one of them raises, the whole batch is redelivered and the records
    already applied are duplicates (the inbox makes them no-ops). ``fetch_max_wait_ms`` overrides
    the settings' long-poll wait (a service no live view waits on polls less often).
    """
    names = {c.name for c in consumers.values()}
    if len(names) != 1:
        raise ValueError(f"one consumer group per subscription, got {sorted(names)}")
    group = names.pop()
    by_topic = {settings.topic(topic): consumer for topic, consumer in consumers.items()}
    subscriber = broker.subscriber(
        *by_topic,
        group_id=settings.group(group),
        batch=True,
        max_records=settings.consumer_max_records,
        fetch_max_wait_ms=settings.fetch_max_wait_ms if fetch_max_wait_ms is None else fetch_max_wait_ms,
        batch_timeout_ms=50,
        auto_offset_reset="earliest",
        session_timeout_ms=6_000,
        heartbeat_interval_ms=1_000,
        # Offsets are committed after the handler returns; an exception seeks back instead.
        ack_policy=AckPolicy.NACK_ON_ERROR,
        parser=_tolerant_parser,
        decoder=_keep_raw,
        title=f"{group}:{','.join(consumers)}",
    )

    @subscriber
    async def handle(_body: Any, message: KafkaMessage) -> None:
        per_topic: dict[str, list[ConsumerRecord]] = {}
        for record in message.raw_message:
            per_topic.setdefault(record.topic, []).append(record)
        for topic, batch in per_topic.items():
            await by_topic[topic].process(batch)
