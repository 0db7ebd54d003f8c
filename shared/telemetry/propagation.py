"""W3C trace context carried in Kafka headers (bytes values).

Written out rather than through ``TraceContextTextMapPropagator``: every event is stamped once
and read once per hop, and the propagator's carrier dictionaries, getters and setters cost more
than the header itself. The format is the same (tests compare the two).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, TraceState

# As the propagator reads it: version-trace_id-span_id-flags, and more fields only after a
# version other than 00 (W3C Trace Context, level 1).
_TRACEPARENT = re.compile(
    rb"^[ \t]*([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:(-.*)|[ \t]*)$"
)
_TRACEPARENT_MAX = 512
_TRACESTATE_MAX = 8192
_EMPTY = otel_context.Context()


def extract_from_headers(headers: Mapping[str, bytes]) -> otel_context.Context:
    """The context a record's ``traceparent`` header names (empty context when absent or invalid)."""
    raw = headers.get("traceparent")
    if not raw or len(raw) > _TRACEPARENT_MAX:
        return _EMPTY
    match = _TRACEPARENT.match(raw)
    if match is None:
        return _EMPTY
    version, trace_hex, span_hex, flags, extra = match.groups()
    trace_id, span_id = int(trace_hex, 16), int(span_hex, 16)
    if version == b"ff" or (version == b"00" and extra) or not trace_id or not span_id:
        return _EMPTY
    state = headers.get("tracestate")
    span_context = SpanContext(
        trace_id,
        span_id,
        is_remote=True,
        trace_flags=TraceFlags(int(flags, 16)),
        trace_state=(
            TraceState.from_header([state.decode("latin-1")])
            if state is not None and len(state) <= _TRACESTATE_MAX
            else None
        ),
    )
    return trace.set_span_in_context(NonRecordingSpan(span_context), _EMPTY)


def current_trace_headers() -> dict[str, bytes]:
    """``traceparent``/``tracestate`` of the current span, ready for Kafka headers."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return {}
    headers = {
        "traceparent": b"00-%032x-%016x-%02x"
        % (span_context.trace_id, span_context.span_id, span_context.trace_flags),
    }
    if span_context.trace_state:
        headers["tracestate"] = span_context.trace_state.to_header().encode("latin-1")
    return headers
