"""Dead letters: a message that cannot be applied goes to ``<topic>.dlq`` with the error."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer
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
