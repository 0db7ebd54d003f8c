"""The hand-written Kafka binary mode against the cloudevents SDK, the reference for the wire format.

Both ways for every event type: what the SDK writes, ``decode`` reads; what ``encode`` writes, the SDK
reads to the same attributes and data. And a corpus of good and broken records that ``decode`` must
accept or refuse exactly as the SDK-based decoder it replaced did.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.v1.event import CloudEvent
from opentelemetry.sdk.trace import TracerProvider
from pydantic import ValidationError

from shared.events import envelope
from shared.events.base import EventBody, body_class, registered_types
from shared.events.envelope import PoisonMessage, decode, encode

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "events"
TYPES = sorted(registered_types())
TIME = datetime(2026, 11, 30, 8, 5, 36, 312288, tzinfo=UTC)


def _sample(event_type: str) -> EventBody:
    return registered_types()[event_type].model_validate_json((SAMPLES / f"{event_type}.json").read_bytes())


def _sdk_message(body: EventBody, *, event_id: str = "evt-1", source: str = "/nuanxin/test",
                 time: datetime = TIME) -> ce_kafka.KafkaMessage:
    """What the code before this module's rewrite sent for a body (its encode, the clock and trace aside)."""
    key = body.partition_key()
    event = CloudEvent(
        attributes={
            "id": event_id,
            "source": source,
            "type": body.event_type,
            "time": time,
            "datacontenttype": "application/json",
            "subject": key,
        },
        data=body.model_dump(mode="json"),
    )
    return ce_kafka.to_binary_event(event, key_mapper=lambda _e: key)


def _sdk_decode(headers, value, key=None):
    """The SDK-based decode this module replaced, kept verbatim as the reference for what is refused."""
    header_map = {name: raw for name, raw in headers}
    if "ce_type" not in header_map or "ce_id" not in header_map:
        raise PoisonMessage("not a CloudEvent: ce_id and ce_type headers are required")
    if header_map.get("ce_specversion") != b"1.0":
        raise PoisonMessage("only CloudEvents 1.0 is accepted: ce_specversion must be 1.0")
    if value is None:
        raise PoisonMessage("empty message value")
    try:
        event = ce_kafka.from_binary_event(ce_kafka.KafkaMessage(headers=header_map, key=key, value=value))
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise PoisonMessage(f"unreadable CloudEvent: {exc}") from exc
    except Exception as exc:
        raise PoisonMessage(f"invalid CloudEvent: {exc}") from exc
    cls = body_class(event.get_type())
    if cls is None:
        raise PoisonMessage(f"unknown event type {event.get_type()!r}")
    data = event.get_data()
    if not isinstance(data, dict):
        raise PoisonMessage("event data is not a JSON object")
    try:
        body = cls.model_validate(data)
    except ValidationError as exc:
        raise PoisonMessage(f"{cls.event_type} body invalid: {exc.errors(include_url=False)}") from exc
    return event.get_id(), event.get_type(), event.get_source(), event.get_time(), body


# --- SDK -> decode ------------------------------------------------------------------------------------


@pytest.mark.parametrize("event_type", TYPES)
def test_decode_reads_what_the_sdk_writes_for_every_type(event_type):
    body = _sample(event_type)
    message = _sdk_message(body, event_id="evt-42", source="/nuanxin/sdk")

    headers = list(message.headers.items())  # as aiokafka gives them
    event = decode(headers, message.value, key=message.key.encode(), topic="t", offset=3)

    assert event.body == body
    assert type(event.body) is type(body)
    assert (event.id, event.type, event.source) == ("evt-42", event_type, "/nuanxin/sdk")
    assert event.time == TIME
    assert event.headers == message.headers
    assert (event.topic, event.offset) == ("t", 3)


def test_decode_gives_the_time_as_the_sdk_does_an_aware_datetime_in_utc():
    message = _sdk_message(_sample(TYPES[0]))
    sdk_time = ce_kafka.from_binary_event(message).get_time()

    time = decode(message.headers.items(), message.value).time

    assert isinstance(time, datetime) and isinstance(sdk_time, datetime)
    assert time.utcoffset() == sdk_time.utcoffset() == timedelta(0)
    assert time == sdk_time == TIME


# --- encode -> SDK ------------------------------------------------------------------------------------


@pytest.mark.parametrize("event_type", TYPES)
def test_the_sdk_reads_what_encode_writes_for_every_type(event_type):
    body = _sample(event_type)
    before = datetime.now(UTC)
    message = encode(body, source="/nuanxin/new", event_id="evt-7")

    event = ce_kafka.from_binary_event(
        ce_kafka.KafkaMessage(headers=message.headers, key=message.key, value=message.value)
    )

    assert event.get_specversion() == "1.0"
    assert (event.get_id(), event.get_type(), event.get_source()) == ("evt-7", event_type, "/nuanxin/new")
    assert event.get_datacontenttype() == "application/json"
    assert event.get_subject() == body.partition_key()
    assert event.get_extension("partitionkey") == body.partition_key()
    assert before <= event.get_time() <= datetime.now(UTC)
    assert event.get_time() == decode(message.headers.items(), message.value).time
    assert event.get_data() == body.model_dump(mode="json")
    assert type(body).model_validate(event.get_data()) == body
    assert message.value == body.model_dump_json().encode()


@pytest.mark.parametrize("event_type", TYPES)
def test_encode_writes_the_headers_the_sdk_writes_byte_for_byte_and_in_order(event_type):
    body = _sample(event_type)
    message = encode(body, source="/nuanxin/new")
    sent_at = datetime.fromisoformat(message.headers["ce_time"].decode())

    reference = _sdk_message(body, event_id=message.event_id, source="/nuanxin/new", time=sent_at)

    assert list(message.headers.items()) == list(reference.headers.items())
    assert message.key == reference.key.encode()
    assert json.loads(message.value) == json.loads(reference.value)


def test_encode_adds_the_trace_headers_after_the_sdk_headers_as_before():
    body = _sample("nuanxin.report.submitted.v1")
    with TracerProvider().get_tracer("test").start_as_current_span("submit"):
        message = encode(body, source="/s")
        trace = envelope.current_trace_headers()
    reference = _sdk_message(body, event_id=message.event_id, source="/s",
                             time=datetime.fromisoformat(message.headers["ce_time"].decode()))

    assert "traceparent" in trace
    assert message.headers == {**reference.headers, **trace}
    assert list(message.headers) == [*reference.headers, *trace]


@pytest.mark.parametrize(
    "moment",
    [TIME, TIME.replace(microsecond=0), TIME.replace(microsecond=1), datetime(2000, 1, 1, tzinfo=UTC)],
    ids=["micros", "whole-second", "one-micro", "midnight"],
)
def test_the_time_is_written_as_the_sdk_writes_it(moment):
    body = _sample("nuanxin.report.submitted.v1")
    assert envelope._rfc3339(moment) == _sdk_message(body, time=moment).headers["ce_time"]


def test_generated_ids_are_time_ordered_uuid7_strings():
    before = time.time_ns() // 1_000_000
    ids = [encode(_sample("nuanxin.report.submitted.v1"), source="/s").event_id for _ in range(500)]
    after = time.time_ns() // 1_000_000

    assert len(set(ids)) == len(ids)
    for event_id in ids:
        parsed = uuid.UUID(event_id)
        assert str(parsed) == event_id
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122
        assert before <= parsed.int >> 80 <= after
    # The random part (after the version digit, less the variant's two bits) varies in every digit.
    fixed = {i for i in range(15, 36) if len({event_id[i] for event_id in ids}) == 1}
    assert fixed == {18, 23}


# --- the same records accepted and refused as by the SDK-based decoder -------------------------------

_REPORT = _sample("nuanxin.report.submitted.v1")
_CASE = _sample("nuanxin.case.opened.v1")
_GOOD = _sdk_message(_REPORT)
_GOOD_HEADERS = dict(_GOOD.headers)
_GOOD_JSON = _REPORT.model_dump(mode="json")


def _json(**changes) -> bytes:
    return json.dumps({**_GOOD_JSON, **changes}).encode()


def _without(name: str) -> bytes:
    return json.dumps({k: v for k, v in _GOOD_JSON.items() if k != name}).encode()


def _case(label: str, value: bytes | None = _GOOD.value, key: bytes | None = b"report-1", **headers):
    """A record: the good one with headers replaced (None drops one; names use __ for -)."""
    merged = dict(_GOOD_HEADERS)
    for name, raw in headers.items():
        name = name.replace("__", "-")
        if raw is None:
            merged.pop(name, None)
        else:
            merged[name] = raw
    return pytest.param(list(merged.items()), value, key, id=label)


_ATTRIBUTE_HEADERS = ("ce_id", "ce_type", "ce_source", "ce_specversion", "content-type", "ce_subject")

_CORPUS = [
    _case("good"),
    _case("good-no-key", key=None),
    _case("good-key-not-utf8", key=b"\xff\xfe"),
    *(_case(f"no-{name}", **{name.replace("-", "__"): None}) for name in _ATTRIBUTE_HEADERS),
    *(_case(f"empty-{name}", **{name.replace("-", "__"): b""}) for name in (*_ATTRIBUTE_HEADERS, "ce_time")),
    _case("specversion-0.3", ce_specversion=b"0.3"),
    _case("specversion-padded", ce_specversion=b"1.0 "),
    _case("source-not-utf8", ce_source=b"\xff"),
    _case("subject-not-utf8", ce_subject=b"caf\xe9"),
    _case("source-utf8", ce_source="/渝北/reports".encode()),
    _case("type-unknown", ce_type=b"nuanxin.report.submitted.v99"),
    _case("type-upper-case", ce_type=b"NUANXIN.REPORT.SUBMITTED.V1"),
    _case("time-yesterday", ce_time=b"yesterday"),
    _case("time-whole-second", ce_time=b"2026-11-30T08:05:36Z"),
    _case("time-nanoseconds", ce_time=b"2026-11-30T08:05:36.312288123Z"),
    _case("time-lower-case", ce_time=b"2026-11-30t08:05:36.5z"),
    _case("time-offset", ce_time=b"2026-11-30T16:05:36+08:00"),
    _case("time-space", ce_time=b"2026-11-30 08:05:36Z"),
    _case("time-no-offset", ce_time=b"2026-11-30T08:05:36"),
    _case("time-date-only", ce_time=b"2026-11-30"),
    _case("content-type-text", content__type=b"text/plain"),
    _case("content-type-xml", content__type=b"application/xml"),
    _case("content-type-charset", content__type=b"application/json; charset=utf-8"),
    _case("content-type-suffix", content__type=b"application/vnd.nuanxin+json"),
    _case("content-type-text-json", content__type=b"text/json"),
    _case("content-type-capitals", content__type=b"Application/JSON"),
    _case("content-type-mixed-case-header", **{"Content-Type": b"text/plain"}),
    _case("extension", ce_comexampleext1=b"value"),
    _case("extension-empty", ce_comexampleext1=b""),
    _case("extension-underscore", ce_foo_bar=b"x"),
    _case("extension-data", ce_data=b"x"),
    _case("extension-upper-case-header", ce_Foo=b"x"),
    _case("extension-not-utf8", ce_foo=b"\xff"),
    _case("dataschema", ce_dataschema=b"https://nuanxin.example/schemas/report.json"),
    _case("dataschema-empty", ce_dataschema=b""),
    _case("upper-case-source-overrides", CE_SOURCE=b"/from/upper"),
    _case("upper-case-source-empty", CE_SOURCE=b""),
    _case("trace-headers", traceparent=b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
          tracestate=b"a=b"),
    _case("value-none", value=None),
    _case("value-empty", value=b""),
    _case("value-text", value=b"not json"),
    _case("value-truncated", value=b'{"report_id": '),
    _case("value-binary", value=b"\xff\xfe"),
    _case("value-bom", value=b"\xef\xbb\xbf" + _GOOD.value),
    _case("value-trailing-garbage", value=_GOOD.value + b" x"),
    _case("value-whitespace", value=b"\n " + _GOOD.value + b"\n"),
    _case("value-array", value=b"[1, 2]"),
    _case("value-string", value=b'"a string"'),
    _case("value-null", value=b"null"),
    _case("value-number", value=b"42"),
    _case("value-true", value=b"true"),
    _case("value-compact", value=_REPORT.model_dump_json().encode()),
    _case("value-not-ascii-escaped", value=json.dumps(_GOOD_JSON, ensure_ascii=False).encode()),
    _case("value-invalid-utf8-in-string", value=_GOOD.value.replace(b"worker-42", b"worker-\xff")),
    _case("value-lat-200", value=_json(lat=200)),
    _case("value-nan-lat", value=_GOOD.value.replace(b"29.7183", b"NaN")),
    _case("value-bad-severity", value=_json(severity="critical")),
    _case("value-bad-time", value=_json(submitted_at="soon")),
    _case("value-extra-field", value=_json(priority="vip")),
    _case("value-duplicate-key", value=_GOOD.value[:-1] + b', "severity": "low"}'),
    _case("value-missing-field", value=_without("kind")),
    _case("value-another-type", value=_CASE.model_dump_json().encode()),
    _case("value-photos-string", value=_json(photos="photos/a.jpg")),
    _case("value-bool-as-string", value=_json(reporter_hidden="true")),
    _case("value-float-as-string", value=_json(lon="106.5")),
]


_SHARED_REASONS = ("not a CloudEvent:", "only CloudEvents 1.0", "unknown event type", "body invalid")


def _outcome(decoder, headers, value, key):
    """What a decoder made of a record: the event, or refused with the reason both decoders word alike."""
    try:
        result = decoder(headers, value, key=key)
    except PoisonMessage as exc:
        return "refused", next((reason for reason in _SHARED_REASONS if reason in str(exc)), "")
    if not isinstance(result, tuple):
        result = (result.id, result.type, result.source, result.time, result.body)
    event_id, event_type, source, time, body = result
    return event_id, event_type, source, time, body.model_dump_json()


@pytest.mark.parametrize(("headers", "value", "key"), _CORPUS)
def test_decode_accepts_and_refuses_what_the_sdk_based_decoder_did(headers, value, key):
    assert _outcome(decode, headers, value, key) == _outcome(_sdk_decode, headers, value, key)


def test_the_corpus_has_both_outcomes():
    outcomes = [_outcome(decode, *case.values) for case in _CORPUS]
    refused = [outcome for outcome in outcomes if outcome[0] == "refused"]
    assert 10 < len(refused) < len(outcomes) - 10
    assert {reason for _, reason in refused} == {"", *_SHARED_REASONS}


# --- where decode deliberately differs from the SDK-based decoder ------------------------------------


def test_unlike_the_sdk_a_plain_kafka_header_need_not_be_utf8():
    # Not a CloudEvents attribute, so not the envelope's business (the SDK decoded every header).
    headers = [*_GOOD_HEADERS.items(), ("x-checksum", b"\xff\x00\xfe")]
    with pytest.raises(PoisonMessage):
        _sdk_decode(headers, _GOOD.value)
    assert decode(headers, _GOOD.value).body == _REPORT


def test_unlike_the_sdk_a_record_without_ce_time_has_no_time():
    # The SDK made one up (the time of reading); the attribute is optional, so there is none.
    headers = [(name, raw) for name, raw in _GOOD_HEADERS.items() if name != "ce_time"]
    assert _sdk_decode(headers, _GOOD.value)[3] is not None
    event = decode(headers, _GOOD.value)
    assert event.time is None
    assert event.body == _REPORT
