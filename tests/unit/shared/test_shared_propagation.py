"""Trace context in Kafka headers reads and writes as OpenTelemetry's W3C propagator does."""

from __future__ import annotations

import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, TraceState
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.telemetry.propagation import current_trace_headers, extract_from_headers

PROPAGATOR = TraceContextTextMapPropagator()
TRACE = "0af7651916cd43dd8448eb211c80319c"
SPAN = "b7ad6b7169203331"


def _as_propagator_reads(headers: dict[str, bytes]) -> SpanContext:
    carrier = {k: v.decode("latin-1") for k, v in headers.items()}
    return trace.get_current_span(PROPAGATOR.extract(carrier)).get_span_context()


def _as_we_read(headers: dict[str, bytes]) -> SpanContext:
    return trace.get_current_span(extract_from_headers(headers)).get_span_context()


@pytest.mark.parametrize(
    "traceparent",
    [
        f"00-{TRACE}-{SPAN}-01",
        f"00-{TRACE}-{SPAN}-00",
        f"  00-{TRACE}-{SPAN}-01  ",
        f"01-{TRACE}-{SPAN}-01-future-field",  # a later version may add fields
        f"00-{TRACE}-{SPAN}-01-extra",  # version 00 may not
        f"ff-{TRACE}-{SPAN}-01",
        f"00-{'0' * 32}-{SPAN}-01",
        f"00-{TRACE}-{'0' * 16}-01",
        f"00-{TRACE.upper()}-{SPAN}-01",
        f"00-{TRACE}-{SPAN}",
        "garbage",
        "",
        f"00-{TRACE}-{SPAN}-01" + "-x" * 300,
    ],
)
def test_traceparent_is_read_as_the_propagator_reads_it(traceparent):
    headers = {"traceparent": traceparent.encode(), "tracestate": b"vendor=a,other=b"}
    ours, theirs = _as_we_read(headers), _as_propagator_reads(headers)
    assert ours == theirs
    assert ours.is_valid == theirs.is_valid
    assert ours.trace_state == theirs.trace_state


def test_no_header_is_no_parent():
    assert not _as_we_read({}).is_valid
    assert not _as_we_read({"tracestate": b"a=b"}).is_valid


def test_the_current_span_is_written_as_the_propagator_writes_it():
    assert current_trace_headers() == {}, "no span, no header"
    state = TraceState([("vendor", "a")])
    for flags in (TraceFlags.SAMPLED, TraceFlags.DEFAULT):
        parent = SpanContext(int(TRACE, 16), int(SPAN, 16), is_remote=True, trace_flags=TraceFlags(flags),
                             trace_state=state)
        context = trace.set_span_in_context(NonRecordingSpan(parent))
        carrier: dict[str, str] = {}
        PROPAGATOR.inject(carrier, context)
        token = otel_context.attach(context)
        try:
            ours = current_trace_headers()
        finally:
            otel_context.detach(token)
        assert ours == {k: v.encode() for k, v in carrier.items()}


def test_a_round_trip_keeps_the_trace():
    tracer = TracerProvider().get_tracer("t")
    with tracer.start_as_current_span("produce") as span:
        headers = current_trace_headers()
    read = _as_we_read(headers)
    written = span.get_span_context()
    assert (read.trace_id, read.span_id) == (written.trace_id, written.span_id)
    assert read.is_remote
