"""W3C trace context carried in Kafka headers (bytes values)."""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import context as otel_context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_PROPAGATOR = TraceContextTextMapPropagator()


def extract_from_headers(headers: Mapping[str, bytes]) -> otel_context.Context:
    """The context a record's ``traceparent`` header names (empty context when absent)."""
    carrier = {
        name: raw.decode("latin-1")
        for name, raw in headers.items()
        if name in ("traceparent", "tracestate")
    }
    return _PROPAGATOR.extract(carrier)


def current_trace_headers() -> dict[str, bytes]:
    """``traceparent``/``tracestate`` of the current span, ready for Kafka headers."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return {name: value.encode("latin-1") for name, value in carrier.items()}
