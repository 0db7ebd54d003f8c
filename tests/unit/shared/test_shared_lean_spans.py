"""Lean spans reach the exporters as the SDK's own spans of the same calls do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, DEFAULT_ON, ParentBased, TraceIdRatioBased
from opentelemetry.trace import SpanKind, Status, StatusCode

from shared.telemetry.file_exporter import JsonLinesSpanExporter, span_record
from shared.telemetry.lean import LeanSpan, LeanTracer
from shared.telemetry.propagation import extract_from_headers

PARENT = {"traceparent": b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
UNSAMPLED_PARENT = {"traceparent": b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"}


def _pair(sampler=None) -> tuple[trace.Tracer, LeanTracer, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=sampler) if sampler is not None else TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    sdk = provider.get_tracer("nuanxin.test")
    return sdk, LeanTracer(sdk), exporter


def _work(tracer: trace.Tracer, headers: dict[str, bytes]) -> None:
    """What a request does to its span: attributes at start and later, made current, an error."""
    span = tracer.start_span(
        "POST /reports",
        context=extract_from_headers(headers),
        kind=SpanKind.SERVER,
        attributes={"http.request.method": "POST", "url.path": "/reports"},
    )
    token = otel_context.attach(trace.set_span_in_context(span))
    try:
        trace.get_current_span().set_attribute("nuanxin.report_id", "r-1")
        span.set_attribute("http.response.status_code", 500)
        photos = ["a.jpg", "b.jpg"]
        span.set_attribute("nuanxin.photos", photos)  # a list: the SDK copies it to a tuple
        photos.append("c.jpg")  # so this is not exported
        span.set_attribute("nuanxin.none", None)  # kept by this SDK as None
        span.set_attribute("", "no key")  # not a valid key: the SDK drops it
        span.set_attribute(5, "not text")  # type: ignore[arg-type]  # dropped too
        span.set_attribute("url.path", "/reports")  # set again: now the newest attribute
        span.record_exception(ValueError("bad"), attributes={"nuanxin.where": "intake"})
        span.set_status(Status(StatusCode.ERROR, "ValueError: bad"))
        span.set_status(StatusCode.UNSET)  # ignored, as by the SDK
    finally:
        otel_context.detach(token)
        span.end()


def _fields(span: ReadableSpan) -> dict:
    event = span.events[0]
    return {
        "name": span.name,
        "kind": span.kind,
        "trace_id": span.context.trace_id,
        "flags": span.context.trace_flags,
        "parent": span.parent.span_id if span.parent else None,
        "attributes": list(span.attributes.items()),  # in order: limits drop the oldest
        "dropped": (span.dropped_attributes, span.dropped_events),
        "status": (span.status.status_code, span.status.description),
        "resource": span.resource.attributes.get("service.name"),
        "scope": span.instrumentation_scope.name,
        "event": (event.name, {k: v for k, v in event.attributes.items() if k != "exception.stacktrace"}),
        "stacktrace": "ValueError: bad" in event.attributes["exception.stacktrace"],
        "ended_after_start": span.end_time >= span.start_time,
    }


@pytest.mark.parametrize("headers", [PARENT, {}], ids=["continued", "root"])
def test_a_lean_span_is_exported_with_what_the_sdk_span_of_the_same_calls_has(headers):
    sdk, lean, exporter = _pair()
    _work(sdk, headers)
    _work(lean, headers)
    expected, got = exporter.get_finished_spans()
    if not headers:  # a root span starts its own trace
        assert got.context.trace_id != expected.context.trace_id
    assert {**_fields(got), "trace_id": None} == {**_fields(expected), "trace_id": None}
    if headers:
        assert got.context.trace_id == expected.context.trace_id
    assert got.attributes["nuanxin.photos"] == ("a.jpg", "b.jpg")
    assert got.attributes["nuanxin.none"] is None and "" not in got.attributes and 5 not in got.attributes
    assert list(got.attributes)[-1] == "url.path"
    assert got.context.span_id != expected.context.span_id


def test_the_file_exporter_writes_a_lean_span_as_it_reads_back(tmp_path: Path):
    provider = TracerProvider()
    exporter = JsonLinesSpanExporter(tmp_path)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    lean = LeanTracer(provider.get_tracer("nuanxin.test"))
    _work(lean, PARENT)
    (line,) = (tmp_path / next(iter(p.name for p in tmp_path.iterdir()))).read_text().splitlines()
    written = json.loads(line)
    assert written["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert written["parent_id"] == "00f067aa0ba902b7"
    assert written["attributes"]["nuanxin.report_id"] == "r-1"
    assert written["status"] == "ERROR"


def test_an_unsampled_parent_gives_an_unrecorded_span_in_the_same_trace():
    _, lean, exporter = _pair()
    span = lean.start_span("x", context=extract_from_headers(UNSAMPLED_PARENT))
    assert not span.is_recording() and not isinstance(span, LeanSpan)
    assert format(span.get_span_context().trace_id, "032x") == "4bf92f3577b34da6a3ce929d0e0e4736"
    span.end()
    assert exporter.get_finished_spans() == ()


def _local_parent(sampled: bool) -> otel_context.Context:
    """A context whose current span is a span of this process (not remote), sampled or not."""
    parent = trace.SpanContext(
        0x4BF92F3577B34DA6A3CE929D0E0E4736, 0x00F067AA0BA902B7, is_remote=False,
        trace_flags=trace.TraceFlags(0x03 if sampled else 0x02),
        trace_state=trace.TraceState([("nuanxin", "local")]),
    )
    return trace.set_span_in_context(trace.NonRecordingSpan(parent))


PARENTS = {
    "root": lambda: extract_from_headers({}),
    "remote sampled": lambda: extract_from_headers({**PARENT, "tracestate": b"vendor=a,other=b"}),
    "remote unsampled": lambda: extract_from_headers({**UNSAMPLED_PARENT, "tracestate": b"vendor=a"}),
    "local sampled": lambda: _local_parent(True),
    "local unsampled": lambda: _local_parent(False),
}


@pytest.mark.parametrize("parent", list(PARENTS))
@pytest.mark.parametrize("sampler", [None, ParentBased(ALWAYS_ON)], ids=["default", "configured"])
def test_the_default_sampler_decided_inline_as_the_sdk_decides(parent, sampler):
    # None is the SDK's default sampler object (no OTEL_TRACES_SAMPLER, or parentbased_always_on),
    # which the lean tracer decides without calling; an equal sampler built by hand goes through
    # the sampler's own code.
    sdk, lean, exporter = _pair(sampler)
    assert (sdk.sampler is DEFAULT_ON) == (sampler is None)
    assert lean._default_on == (sampler is None)  # the path under test is the one taken
    for attributes in ({"nuanxin.kind": "hazard"}, None):
        expected = sdk.start_span("x", context=PARENTS[parent](), attributes=attributes)
        got = lean.start_span("x", context=PARENTS[parent](), attributes=attributes)
        assert isinstance(got, LeanSpan) == expected.is_recording() == got.is_recording()
        want, have = expected.get_span_context(), got.get_span_context()
        assert (have.trace_flags, have.trace_state, have.is_remote) == (
            want.trace_flags, want.trace_state, want.is_remote
        )
        if parent != "root":
            assert have.trace_id == want.trace_id == 0x4BF92F3577B34DA6A3CE929D0E0E4736
        expected.end()
        got.end()
        exported = exporter.get_finished_spans()
        assert [dict(s.attributes) for s in exported] == [attributes or {}] * len(exported)
        assert len(exported) == (2 if parent in ("root", "remote sampled", "local sampled") else 0)
        exporter.clear()


def test_the_sdk_tracers_sampler_decides():
    _, lean, exporter = _pair(sampler=ParentBased(ALWAYS_OFF))
    lean.start_span("dropped").end()
    assert exporter.get_finished_spans() == ()
    half = TraceIdRatioBased(0.5)
    _, lean, exporter = _pair(sampler=half)
    for _ in range(400):
        lean.start_span("half").end()
    exported = exporter.get_finished_spans()
    assert 100 < len(exported) < 300
    # Decided on the trace id the span carries, as the sampler defines it.
    assert all(s.context.trace_id & half.TRACE_ID_LIMIT < half.bound for s in exported)


def test_a_span_ends_once_and_takes_nothing_after():
    _, lean, exporter = _pair()
    span = lean.start_span("once")
    span.end()
    span.set_attribute("late", 1)
    span.end()
    (exported,) = exporter.get_finished_spans()
    assert "late" not in exported.attributes
    assert not span.is_recording()


def test_as_a_current_span_an_escaping_error_is_recorded_and_the_span_ended():
    _, lean, exporter = _pair()
    with pytest.raises(RuntimeError), lean.start_as_current_span("tick") as span:
        assert trace.get_current_span() is span
        raise RuntimeError("db gone")
    (exported,) = exporter.get_finished_spans()
    assert exported.status.status_code is StatusCode.ERROR
    (event,) = exported.events
    assert event.attributes["exception.type"] == "RuntimeError"


@pytest.mark.parametrize(
    "env",
    [
        {"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT": "4"},
        {"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT": "2"},
        {"OTEL_SPAN_EVENT_COUNT_LIMIT": "0"},
        {"OTEL_SPAN_EVENT_COUNT_LIMIT": "1", "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT": "1"},
    ],
    ids=["value-length", "attribute-count", "no-events", "one-event"],
)
def test_limits_from_the_environment_apply_as_to_the_sdks_spans(monkeypatch, env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    sdk, lean, exporter = _pair()
    for tracer in (sdk, lean):
        span = tracer.start_span("limited", attributes={"a": "abcdefgh", "b": 1})
        span.set_attribute("c", "ijklmnop")
        span.set_attribute("a", "qrstuvwx")
        span.add_event("first", {"n": 1, "m": 2})
        span.add_event("second", {"n": 2})
        span.end()
    expected, got = exporter.get_finished_spans()
    assert list(got.attributes.items()) == list(expected.attributes.items())
    assert got.dropped_attributes == expected.dropped_attributes
    assert [(e.name, dict(e.attributes)) for e in got.events] == [
        (e.name, dict(e.attributes)) for e in expected.events
    ]
    assert got.dropped_events == expected.dropped_events
    assert span_record(got)["name"] == "limited"


def test_a_disabled_sdk_gives_its_non_recording_spans(monkeypatch):
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    provider = TracerProvider()
    lean = LeanTracer(provider.get_tracer("nuanxin.test"))
    span = lean.start_span("off")
    assert not span.is_recording()


@pytest.mark.parametrize("flags", [(True, True), (False, False)], ids=["recorded", "not-recorded"])
def test_a_span_used_as_a_context_manager_handles_an_error_as_the_sdks_does(flags):
    sdk, lean, exporter = _pair()
    for tracer in (sdk, lean):
        with pytest.raises(KeyError), tracer.start_span(
            "batch", record_exception=flags[0], set_status_on_exception=flags[1]
        ):
            raise KeyError("gone")
    expected, got = exporter.get_finished_spans()
    assert (got.status.status_code, got.status.description) == (
        expected.status.status_code, expected.status.description
    )
    assert [(e.name, e.attributes["exception.escaped"]) for e in got.events] == [
        (e.name, e.attributes["exception.escaped"]) for e in expected.events
    ]
    assert len(got.events) == (1 if flags[0] else 0)
