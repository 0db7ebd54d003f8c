"""Dead letters: a message that cannot be applied goes to ``<topic>.dlq`` with the error; an
operator reads them and, once the cause is fixed, replays them to where they came from."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord

from shared.events.topics import dead_letter

ERROR_HEADERS = (
    "dlq_error_type",
    "dlq_error",
    "dlq_attempts",
    "dlq_consumer",
    "dlq_original_topic",
    "dlq_original_partition",
    "dlq_original_offset",
)


class DeadLetterPublisher:
    """Publishes a failed record, with its original headers and the error, and waits for the ack."""

    def __init__(self, *, producer: AIOKafkaProducer) -> None:
        self._producer = producer
        self.sent = 0

    async def send(
        self, record: ConsumerRecord, error: BaseException, *, attempts: int, consumer: str
    ) -> None:
        """Publish one dead letter; raises if the broker does not take it (so nothing is lost)."""
        headers = [(k, v) for k, v in (record.headers or ()) if k not in ERROR_HEADERS]
        headers += [
            ("dlq_error_type", type(error).__name__.encode()),
            ("dlq_error", str(error)[:4000].encode()),
            ("dlq_attempts", str(attempts).encode()),
            ("dlq_consumer", consumer.encode()),
            ("dlq_original_topic", record.topic.encode()),
            ("dlq_original_partition", str(record.partition).encode()),
            ("dlq_original_offset", str(record.offset).encode()),
        ]
        await self._producer.send_and_wait(
            dead_letter(record.topic), value=record.value, key=record.key, headers=headers
        )
        self.sent += 1


@dataclass(frozen=True)
class DeadLetter:
    """One record of a ``.dlq`` topic: the original event and why it could not be applied."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]

    @property
    def where(self) -> str:
        """Its place on the dead-letter topic, ``topic[partition]@offset``: an id for ``replay``."""
        return f"{self.topic}[{self.partition}]@{self.offset}"

    def header(self, name: str) -> str | None:
        """A header as text (the last, if repeated), or None."""
        found = [v for k, v in self.headers if k == name]
        return found[-1].decode("utf-8", "replace") if found and found[-1] is not None else None

    @property
    def event_id(self) -> str | None:
        """The CloudEvents id (absent on a message that was never a CloudEvent)."""
        return self.header("ce_id")

    @property
    def original_topic(self) -> str:
        """Where the event was published (the namespace included)."""
        return self.header("dlq_original_topic") or self.topic.removesuffix(".dlq")

    def replay_headers(self) -> list[tuple[str, bytes]]:
        """The original headers: ``ce_id`` stays, so consumers that applied it already skip it."""
        return [(k, v) for k, v in self.headers if k not in ERROR_HEADERS]

    def summary(self) -> dict:
        """What an operator reads first, as plain JSON values."""
        return {
            "where": self.where, "at": self.timestamp_ms, "event_id": self.event_id,
            "event_type": self.header("ce_type"), "consumer": self.header("dlq_consumer"),
            "error_type": self.header("dlq_error_type"), "error": self.header("dlq_error"),
            "attempts": int(attempts) if (attempts := self.header("dlq_attempts") or "").isdigit() else None,
            "original": f"{self.original_topic}[{self.header('dlq_original_partition')}]"
                        f"@{self.header('dlq_original_offset')}",
        }


async def read_dead_letters(
    bootstrap_servers: str, topics: Sequence[str], *, timeout_s: float = 60
) -> tuple[list[DeadLetter], list[str]]:
    """Every record now on the given ``.dlq`` topics, oldest first per partition, and the topics
    that do not exist. Joins no group and commits nothing, so reading changes nothing.
    TimeoutError if the end is not reached."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, group_id=None, enable_auto_commit=False,
        auto_offset_reset="earliest", client_id="nuanxin-dead-letters",
    )
    try:
        await consumer.start()
        # The metadata of every topic, as the public topics() fetches it but keeps only the names
        # of (a request naming the topics could create them on a broker that auto-creates).
        cluster = await consumer._client.fetch_all_metadata()
        found = {t: sorted(cluster.partitions_for_topic(t) or ()) for t in topics}
        missing = [t for t, ps in found.items() if not ps]
        parts = [TopicPartition(t, p) for t, ps in found.items() for p in ps]
        if not parts:
            return [], missing
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        # Retention may have deleted every record of a partition: its start has caught up with
        # its end, and nothing is left to wait for.
        begins, ends = await consumer.beginning_offsets(parts), await consumer.end_offsets(parts)
        letters: list[DeadLetter] = []
        waiting = {tp for tp in parts if ends[tp] > begins[tp]}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while waiting:
            if loop.time() > deadline:
                raise TimeoutError(f"read {len(letters)} dead letters but not to the end of "
                                   f"{', '.join(sorted(f'{tp.topic}[{tp.partition}]' for tp in waiting))}")
            for tp, records in (await consumer.getmany(*waiting, timeout_ms=1000)).items():
                letters += [DeadLetter(r.topic, r.partition, r.offset, r.timestamp, r.key, r.value,
                                       tuple(r.headers or ())) for r in records if r.offset < ends[tp]]
            for tp in list(waiting):
                if await consumer.position(tp) >= ends[tp]:
                    waiting.discard(tp)
        return sorted(letters, key=lambda d: (d.topic, d.partition, d.offset)), missing
    finally:
        await consumer.stop()


async def replay(producer: AIOKafkaProducer, letters: Sequence[DeadLetter]) -> None:
    """Publish each letter again to its original topic with its key, value and original headers,
    waiting for every ack; raises if the broker refuses any (run it again: ``ce_id`` dedups)."""
    sent = [await producer.send(d.original_topic, value=d.value, key=d.key, headers=d.replay_headers())
            for d in letters]
    for ack in sent:
        await ack
