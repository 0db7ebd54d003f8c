"""Build the process's tracer provider: OTLP when configured, local JSON-lines files otherwise."""

from __future__ import annotations

from pathlib import Path

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from shared.telemetry.file_exporter import JsonLinesSpanExporter


def create_tracer_provider(
    service_name: str,
    *,
    otlp_endpoint: str | None,
    trace_dir: Path,
    exporter: SpanExporter | None = None,
) -> TracerProvider:
    """A tracer provider for one service; tests pass an in-memory exporter."""
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if exporter is None:
        if otlp_endpoint:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter(endpoint=otlp_endpoint.rstrip("/") + "/v1/traces")
        else:
            exporter = JsonLinesSpanExporter(trace_dir)
    # A queue deep enough for a few seconds at a few thousand spans/s: the default (2,048) drops
    # spans of a loaded service, and a report's trace would then have holes.
    provider.add_span_processor(
        BatchSpanProcessor(
            exporter, schedule_delay_millis=500, max_queue_size=65_536, max_export_batch_size=2_048
        )
    )
    return provider


def install_global_provider(provider: TracerProvider) -> None:
    """Make the provider the global one so logs can read the current span (first call wins)."""
    trace.set_tracer_provider(provider)
