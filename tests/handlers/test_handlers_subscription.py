"""subscribe() wires a batch subscriber that hands raw Kafka records to the EventConsumer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from aiokafka.structs import ConsumerRecord
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.subscriber.usecase import BatchSubscriber

from shared.events.cases import CaseOpenedV1
from shared.events.envelope import OutgoingMessage, decode, encode
from shared.events.reports import ReportSubmittedV1
from shared.kafka.subscription import _tolerant_parser, subscribe
from shared.settings import PlatformSettings

SETTINGS = PlatformSettings(
    kafka_bootstrap_servers="127.0.0.1:1",
    database_url="postgresql://x@127.0.0.1:1/x",
    namespace="hx.",
)


class RecordingConsumer:
    """Stands in for EventConsumer: remembers every batch it was handed."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.batches: list[list[ConsumerRecord]] = []

    async def process(self, records: Sequence[ConsumerRecord]) -> None:
        self.batches.append(list(records))


def _report(report_id: str) -> ReportSubmittedV1:
    return ReportSubmittedV1(
        report_id=report_id,
        kind="hazard",
        category="blocked_fire_exit",
        severity="high",
        lon=106.63,
        lat=29.72,
        reporter_id="worker-1",
        submitted_at=datetime(2025, 3, 1, 8, 0, tzinfo=UTC),
    )


def _str_headers(message: OutgoingMessage) -> dict[str, str]:
    # The in-memory broker takes str header values and encodes them to bytes itself.
    return {name: value.decode() for name, value in message.headers.items()}


async def _publish(broker: KafkaBroker, message: OutgoingMessage, topic: str) -> None:
    await broker.publish(message.value, topic=topic, key=message.key, headers=_str_headers(message))


def _decoded(record: ConsumerRecord):
    return decode(record.headers, record.value, key=record.key, topic=record.topic)


@pytest.fixture
def broker() -> KafkaBroker:
    return KafkaBroker("127.0.0.1:1")


async def test_each_published_event_reaches_process_as_raw_records(broker):
    consumer = RecordingConsumer("routing")
    subscribe(broker, {"reports": consumer}, settings=SETTINGS)
    first = encode(_report("r-1"), source="/test")
    second = encode(_report("r-2"), source="/test")

    async with TestKafkaBroker(broker):
        await _publish(broker, first, "hx.reports")
        await _publish(broker, second, "hx.reports")

    records = [r for batch in consumer.batches for r in batch]
    assert len(records) == 2
    assert all(isinstance(r, ConsumerRecord) for r in records)
    assert [r.key for r in records] == [b"r-1", b"r-2"]
    assert [dict(r.headers)["ce_type"] for r in records] == [b"nuanxin.report.submitted.v1"] * 2
    events = [_decoded(r) for r in records]
    assert [e.id for e in events] == [first.event_id, second.event_id]
    assert [e.body for e in events] == [_report("r-1"), _report("r-2")]
    assert all(e.topic == "hx.reports" for e in events)


async def test_subscriber_listens_on_the_namespaced_topic_only(broker):
    consumer = RecordingConsumer("routing")
    subscribe(broker, {"reports": consumer}, settings=SETTINGS)
    message = encode(_report("r-1"), source="/test")

    async with TestKafkaBroker(broker):
        # The bare topic name belongs to another deployment sharing the broker.
        await _publish(broker, message, "reports")

    assert consumer.batches == []


async def test_subscriber_is_a_batch_subscriber_in_the_consumers_group(broker):
    consumer = RecordingConsumer("notify")
    subscribe(broker, {"cases": consumer}, settings=SETTINGS)

    (subscriber,) = broker.subscribers
    assert isinstance(subscriber, BatchSubscriber)
    assert subscriber.topic_names == ["hx.cases"]
    assert subscriber.group_id == "hx.notify"


async def test_a_published_batch_arrives_in_one_process_call(broker):
    consumer = RecordingConsumer("reports")
    subscribe(broker, {"cases": consumer}, settings=SETTINGS)
    case = CaseOpenedV1(
        case_id="c-1",
        report_id="r-1",
        kind="hazard",
        category="blocked_fire_exit",
        severity="high",
        community_code="500112001001",
        street_code="500112001",
        district_code="500112",
        lon=106.63,
        lat=29.72,
        reporter_id="worker-1",
        opened_at=datetime(2025, 3, 1, 8, 0, tzinfo=UTC),
        acknowledge_by=datetime(2025, 3, 1, 10, 0, tzinfo=UTC),
        resolve_by=datetime(2025, 3, 2, 8, 0, tzinfo=UTC),
    )
    message = encode(case, source="/test")

    async with TestKafkaBroker(broker):
        # publish_batch shares one set of headers, so both records carry the same event id.
        await broker.publish_batch(
            message.value, message.value, topic="hx.cases", headers=_str_headers(message)
        )

    assert len(consumer.batches) == 1
    assert [_decoded(r).body for r in consumer.batches[0]] == [case, case]


async def test_an_exception_from_process_reaches_the_broker(broker):
    class FailingConsumer(RecordingConsumer):
        async def process(self, records: Sequence[ConsumerRecord]) -> None:
            raise RuntimeError("database down")

    subscribe(broker, {"reports": FailingConsumer("routing")}, settings=SETTINGS)
    message = encode(_report("r-1"), source="/test")

    # NACK_ON_ERROR needs the failure to surface so the offset is not committed.
    async with TestKafkaBroker(broker):
        with pytest.raises(RuntimeError, match="database down"):
            await _publish(broker, message, "hx.reports")


def _record(headers: list[tuple[str, bytes]], value: bytes, *, offset: int = 7) -> ConsumerRecord:
    return ConsumerRecord(
        topic="hx.reports", partition=0, offset=offset, timestamp=0, timestamp_type=0,
        key=b"r-1", value=value, checksum=None, serialized_key_size=3,
        serialized_value_size=len(value), headers=headers,
    )


async def test_a_record_that_is_no_cloudevent_still_reaches_process(broker):
    # The EventConsumer, not faststream, decides what is poison, so it can dead-letter it.
    consumer = RecordingConsumer("routing")
    subscribe(broker, {"reports": consumer}, settings=SETTINGS)
    record = _record([("origin", b"legacy")], b"not json")

    async with TestKafkaBroker(broker):
        (subscriber,) = broker.subscribers
        await subscriber.process_message((record,))

    assert consumer.batches == [[record]]


async def test_a_record_with_a_binary_header_still_reaches_process(broker):
    consumer = RecordingConsumer("routing")
    subscribe(broker, {"reports": consumer}, settings=SETTINGS)
    message = encode(_report("r-1"), source="/test")
    record = _record([*message.headers.items(), ("trace-bin", b"\xff\xfe\x00")], message.value)

    async with TestKafkaBroker(broker):
        (subscriber,) = broker.subscribers
        await subscriber.process_message((record,))

    assert consumer.batches == [[record]]


async def test_one_subscriber_serves_all_of_a_services_topics_each_to_its_consumer(broker):
    reports, wishes = RecordingConsumer("notify"), RecordingConsumer("notify")
    subscribe(broker, {"reports": reports, "wishes": wishes}, settings=SETTINGS)
    (subscriber,) = broker.subscribers
    assert sorted(subscriber.topic_names) == ["hx.reports", "hx.wishes"]
    assert subscriber.group_id == "hx.notify"

    async with TestKafkaBroker(broker):
        await _publish(broker, encode(_report("r-1"), source="/test"), "hx.reports")
        await _publish(broker, encode(_report("w-1"), source="/test"), "hx.wishes")
        await _publish(broker, encode(_report("r-2"), source="/test"), "hx.reports")

    assert [r.key for b in reports.batches for r in b] == [b"r-1", b"r-2"]
    assert [r.key for b in wishes.batches for r in b] == [b"w-1"]
    assert all(r.topic == "hx.wishes" for b in wishes.batches for r in b)


def test_one_subscription_is_one_consumer_group(broker):
    with pytest.raises(ValueError, match="one consumer group"):
        subscribe(
            broker, {"reports": RecordingConsumer("notify"), "wishes": RecordingConsumer("routing")},
            settings=SETTINGS,
        )


async def test_a_batch_reaches_process_whole_and_untouched_whichever_record_has_a_binary_header(broker):
    consumer = RecordingConsumer("routing")
    subscribe(broker, {"reports": consumer}, settings=SETTINGS)
    messages = [encode(_report(f"r-{i}"), source="/test") for i in range(5)]
    binary = [("trace-bin", b"\xff\xfe")]
    records = tuple(
        _record([*m.headers.items(), *(binary if i % 2 == 0 else [])], m.value, offset=i)
        for i, m in enumerate(messages)
    )

    async with TestKafkaBroker(broker):
        (subscriber,) = broker.subscribers
        await subscriber.process_message(records)

    assert len(consumer.batches) == 1
    assert all(a is b for a, b in zip(consumer.batches[0], records, strict=True))
    assert [_decoded(r).id for r in consumer.batches[0][1::2]] == [messages[1].event_id, messages[3].event_id]


async def test_faststream_parses_only_a_batchs_ends_and_the_handler_gets_every_record():
    messages = [encode(_report(f"r-{i}"), source="/test") for i in range(4)]
    binary = [("trace-bin", b"\xff\xfe")]
    records = tuple(
        _record([*m.headers.items(), *binary], m.value, offset=i) for i, m in enumerate(messages)
    )
    parsed: list[tuple[ConsumerRecord, ...]] = []

    class Message:
        raw_message: object = None

    async def original(batch):
        parsed.append(batch)
        return Message()

    message = await _tolerant_parser(records, original)
    single = await _tolerant_parser(records[:1], original)

    assert message.raw_message is records and single.raw_message == records[:1]
    (ends, one) = parsed
    assert [r.offset for r in ends] == [0, 3] and [r.offset for r in one] == [0]
    # The copies faststream parses have readable headers; the records handed on are untouched.
    assert all(dict(r.headers)["trace-bin"] == "\ufffd\ufffd".encode() for r in (*ends, *one))
    assert all(dict(r.headers)["trace-bin"] == b"\xff\xfe" for r in records)


def test_the_consumer_long_polls_the_settings_wait_unless_told_another():
    live, follower = KafkaBroker("127.0.0.1:1"), KafkaBroker("127.0.0.1:1")
    subscribe(live, {"cases": RecordingConsumer("notify")}, settings=SETTINGS)
    subscribe(follower, {"cases": RecordingConsumer("reports")}, settings=SETTINGS, fetch_max_wait_ms=200)

    # What faststream hands to aiokafka's consumer when the subscriber starts.
    (subscriber,) = live.subscribers
    assert subscriber._connection_args["fetch_max_wait_ms"] == SETTINGS.fetch_max_wait_ms == 20
    (subscriber,) = follower.subscribers
    assert subscriber._connection_args["fetch_max_wait_ms"] == 200
