"""CloudEvents binary-mode encoding and decoding of event bodies."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from opentelemetry.sdk.trace import TracerProvider

from shared.events.cases import CaseOpenedV1
from shared.events.envelope import PoisonMessage, decode, encode
from shared.events.reports import ReportSubmittedV1

REPORT = ReportSubmittedV1(
    report_id="3f1c2a9e-0000-4000-8000-000000000001",
    kind="food_safety",
    category="expired_food",
    severity="high",
    lon=106.6312,
    lat=29.7183,
    description="过期牛奶在售",
    address="渝北区 双龙湖街道",
    photos=("photos/a.jpg", "photos/b.jpg"),
    reporter_id="worker-42",
    reporter_hidden=True,
    submitted_at=datetime(2025, 3, 1, 8, 30, 15, tzinfo=UTC),
)


def _headers(message) -> dict[str, bytes]:
    return dict(message.headers)


def test_encode_writes_binary_mode_cloudevent_headers():
    before = datetime.now(UTC)
    message = encode(REPORT, source="/nuanxin/reports", event_id="evt-1")
    headers = _headers(message)

    assert headers["ce_id"] == b"evt-1"
    assert headers["ce_type"] == b"nuanxin.report.submitted.v1"
    assert headers["ce_source"] == b"/nuanxin/reports"
    assert headers["ce_specversion"] == b"1.0"
    assert headers["content-type"] == b"application/json"
    ce_time = datetime.fromisoformat(headers["ce_time"].decode().replace("Z", "+00:00"))
    assert before - timedelta(seconds=1) <= ce_time <= datetime.now(UTC) + timedelta(seconds=1)
    assert message.event_id == "evt-1"


def test_encode_writes_the_headers_in_the_order_the_sdk_did_with_time_in_utc_microseconds():
    message = encode(REPORT, source="/nuanxin/reports", event_id="evt-1")

    assert list(message.headers) == [
        "ce_id", "ce_source", "ce_type", "ce_time", "content-type", "ce_subject", "ce_specversion",
    ]
    assert message.headers["ce_subject"] == message.key == REPORT.report_id.encode()
    assert re.fullmatch(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z", message.headers["ce_time"])


def test_encode_refuses_an_empty_source_or_subject():
    with pytest.raises(ValueError, match="source"):
        encode(REPORT, source="")
    with pytest.raises(ValueError, match="subject"):
        encode(REPORT.model_copy(update={"report_id": ""}), source="/s")


def test_encode_keys_by_aggregate_id_and_targets_the_events_topic():
    message = encode(REPORT, source="/nuanxin/reports")
    assert message.key == REPORT.report_id.encode()
    assert message.topic == "reports"

    case = _case()
    case_message = encode(case, source="/nuanxin/routing")
    assert case_message.key == b"case-7"
    assert case_message.topic == "cases"


def test_encode_value_is_the_json_body_without_envelope_fields():
    message = encode(REPORT, source="/nuanxin/reports")
    assert json.loads(message.value) == REPORT.model_dump(mode="json")


def test_encode_value_is_pydantics_json_of_the_body():
    assert encode(REPORT, source="/s").value == REPORT.model_dump_json().encode()
    case = _case(community_code=None)
    assert encode(case, source="/s").value == case.model_dump_json().encode()


def test_encode_generates_a_new_id_per_event():
    ids = {encode(REPORT, source="/s").event_id for _ in range(3)}
    assert len(ids) == 3
    first = encode(REPORT, source="/s")
    assert _headers(first)["ce_id"] == first.event_id.encode()


def test_encode_carries_the_current_trace_in_traceparent():
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("submit") as span:
        message = encode(REPORT, source="/s")
    trace_id = format(span.get_span_context().trace_id, "032x")
    assert trace_id in _headers(message)["traceparent"].decode()


def test_encode_outside_a_span_adds_no_traceparent():
    assert "traceparent" not in _headers(encode(REPORT, source="/s"))


def test_decode_round_trips_body_and_attributes():
    message = encode(REPORT, source="/nuanxin/reports", event_id="evt-9")

    event = decode(message.headers.items(), message.value, key=message.key, topic="t", partition=2, offset=11)

    assert event.body == REPORT
    assert isinstance(event.body, ReportSubmittedV1)
    assert (event.id, event.type, event.source) == ("evt-9", REPORT.event_type, "/nuanxin/reports")
    assert (event.topic, event.partition, event.offset) == ("t", 2, 11)
    assert event.time is not None


def test_decode_gives_the_time_of_ce_time_as_an_aware_datetime():
    message = encode(REPORT, source="/s")
    sent_at = datetime.fromisoformat(message.headers["ce_time"].decode().replace("Z", "+00:00"))

    time = decode(message.headers.items(), message.value).time

    assert time == sent_at
    assert time.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("ce_time", "expected"),
    [
        (b"2026-11-30T08:05:36Z", datetime(2026, 11, 30, 8, 5, 36, tzinfo=UTC)),
        (b"2026-11-30T08:05:36.312288123Z", datetime(2026, 11, 30, 8, 5, 36, 312288, tzinfo=UTC)),
        (b"2026-11-30t08:05:36.5z", datetime(2026, 11, 30, 8, 5, 36, 500000, tzinfo=UTC)),
        (b"2026-11-30T16:05:36+08:00", datetime(2026, 11, 30, 8, 5, 36, tzinfo=UTC)),
    ],
    ids=["whole-second", "nanoseconds", "lower-case", "offset"],
)
def test_decode_reads_any_rfc3339_time(ce_time, expected):
    message = encode(REPORT, source="/s")
    headers = {**message.headers, "ce_time": ce_time}
    assert decode(headers.items(), message.value).time == expected


def test_decode_round_trips_a_case_with_null_fields():
    case = _case(community_code=None, street_code=None, reporter_id=None)
    message = encode(case, source="/nuanxin/routing")
    assert decode(message.headers.items(), message.value).body == case


def test_decode_accepts_headers_as_a_list_of_pairs_like_aiokafka_gives():
    message = encode(REPORT, source="/s")
    assert decode(list(message.headers.items()), message.value).body == REPORT


@pytest.mark.parametrize("dropped", ["ce_id", "ce_type", "ce_source"])
def test_decode_refuses_a_record_missing_a_required_ce_header(dropped):
    message = encode(REPORT, source="/s")
    headers = {k: v for k, v in message.headers.items() if k != dropped}
    with pytest.raises(PoisonMessage):
        decode(headers.items(), message.value)


def test_decode_refuses_a_record_with_no_headers_at_all():
    with pytest.raises(PoisonMessage, match="not a CloudEvent"):
        decode([], encode(REPORT, source="/s").value)


def test_decode_refuses_a_record_missing_ce_specversion():
    message = encode(REPORT, source="/s")
    headers = {k: v for k, v in message.headers.items() if k != "ce_specversion"}
    with pytest.raises(PoisonMessage):
        decode(headers.items(), message.value)


@pytest.mark.parametrize(
    "value",
    [b"not json", b"{\"report_id\": ", b"\xff\xfe", b"", b"[1, 2]", b"\"a string\""],
    ids=["text", "truncated", "binary", "empty", "array", "json-string"],
)
def test_decode_refuses_a_value_that_is_not_a_json_object(value):
    message = encode(REPORT, source="/s")
    with pytest.raises(PoisonMessage):
        decode(message.headers.items(), value)


def test_decode_refuses_a_none_value():
    message = encode(REPORT, source="/s")
    with pytest.raises(PoisonMessage, match="empty"):
        decode(message.headers.items(), None)


def test_decode_refuses_an_unknown_type():
    message = encode(REPORT, source="/s")
    headers = {**message.headers, "ce_type": b"nuanxin.report.submitted.v99"}
    with pytest.raises(PoisonMessage, match="unknown event type"):
        decode(headers.items(), message.value)


def _with_body(**changes) -> bytes:
    body = REPORT.model_dump(mode="json")
    body.update(changes)
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    "changes",
    [{"lat": 200}, {"lon": -181}, {"severity": "critical"}, {"kind": "graffiti"}, {"submitted_at": "soon"}],
    ids=["lat", "lon", "severity", "kind", "time"],
)
def test_decode_refuses_a_body_failing_validation(changes):
    message = encode(REPORT, source="/s")
    with pytest.raises(PoisonMessage, match="body invalid"):
        decode(message.headers.items(), _with_body(**changes))


def test_decode_ignores_a_field_it_does_not_know_yet():
    # A producer may add a field before every consumer knows it (additive change in place).
    message = encode(REPORT, source="/s")
    event = decode(message.headers.items(), _with_body(priority="vip"))
    assert event.body == REPORT
    assert "priority" not in event.body.model_dump()


def test_decode_refuses_a_body_missing_a_required_field():
    message = encode(REPORT, source="/s")
    body = REPORT.model_dump(mode="json")
    del body["reporter_id"]
    with pytest.raises(PoisonMessage, match="reporter_id"):
        decode(message.headers.items(), json.dumps(body).encode())


def test_decode_refuses_a_body_of_another_type():
    # A case body under the report type must not slip through as a report.
    message = encode(REPORT, source="/s")
    with pytest.raises(PoisonMessage):
        decode(message.headers.items(), encode(_case(), source="/s").value)


def test_decode_refuses_an_unreadable_ce_time():
    message = encode(REPORT, source="/s")
    headers = {**message.headers, "ce_time": b"yesterday"}
    with pytest.raises(PoisonMessage):
        decode(headers.items(), message.value)


@pytest.mark.parametrize(
    ("headers", "value", "reason"),
    [
        ({"ce_source": None}, None, "required attribute source"),
        ({"ce_source": b""}, None, "required attribute source"),
        ({"ce_id": b""}, None, "required attribute id"),
        ({"ce_specversion": b"0.3"}, None, "ce_specversion must be 1.0"),
        ({"ce_subject": b""}, None, "subject must not be empty"),
        ({"ce_source": b"\xff"}, None, "'ce_source' is not UTF-8"),
        ({"ce_time": b"yesterday"}, None, "ce_time 'yesterday' is not an RFC 3339 time"),
        ({"ce_time": b"2026-11-30T08:05:36"}, None, "has no UTC offset"),
        ({"ce_foo_bar": b"x"}, None, "'ce_foo_bar' names no valid extension attribute"),
        ({"content-type": b"text/plain"}, None, "not a JSON object: content-type 'text/plain' is not JSON"),
        ({}, b"", "empty message value"),
        ({}, b"not json", "not a JSON object: unreadable JSON"),
        ({}, b"[1, 2]", "not a JSON object: it is an array"),
        ({}, b'"a string"', "not a JSON object: it is a string"),
        ({}, b"null", "not a JSON object: it is null"),
        ({}, b'{"lat": 200}', "nuanxin.report.submitted.v1 body invalid: .*'lat'"),
    ],
)
def test_decode_says_why_it_refuses_a_record(headers, value, reason):
    message = encode(REPORT, source="/s")
    merged = {**message.headers, **headers}
    record_headers = [(name, raw) for name, raw in merged.items() if raw is not None]
    with pytest.raises(PoisonMessage, match=reason):
        decode(record_headers, message.value if value is None else value)


def test_decode_refuses_a_record_key_that_is_not_text():
    message = encode(REPORT, source="/s")
    with pytest.raises(PoisonMessage, match="record key is not UTF-8"):
        decode(message.headers.items(), message.value, key=b"\xff")


def _case(**changes) -> CaseOpenedV1:
    fields = dict(
        case_id="case-7",
        report_id="report-7",
        kind="hazard",
        category="blocked_fire_exit",
        severity="high",
        community_code="500112003001",
        street_code="500112003",
        district_code="500112",
        lon=106.63,
        lat=29.72,
        reporter_id="worker-42",
        opened_at=datetime(2025, 3, 1, 8, 31, tzinfo=UTC),
        acknowledge_by=datetime(2025, 3, 1, 10, 31, tzinfo=UTC),
        resolve_by=datetime(2025, 3, 2, 8, 31, tzinfo=UTC),
    )
    fields.update(changes)
    return CaseOpenedV1(**fields)
