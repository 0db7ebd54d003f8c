"""A span exporter that appends finished spans as JSON lines to a local file."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from shared.jsontext import dumps as _json


def span_record(span: ReadableSpan) -> dict:
    """The fields `nuanxin trace` needs from one span: what each line of a span file holds.

    The exporter writes them with ``span_line``; tests check the two agree.
    """
    ctx = span.get_span_context()
    return {
        "trace_id": format(ctx.trace_id, "032x"),
        "span_id": format(ctx.span_id, "016x"),
        "parent_id": format(span.parent.span_id, "016x") if span.parent else None,
        "name": span.name,
        "service": span.resource.attributes.get("service.name", "?"),
        "start_ns": span.start_time,
        "end_ns": span.end_time,
        "status": span.status.status_code.name,
        "attributes": {k: v for k, v in (span.attributes or {}).items() if _plain(v)},
        "links": [format(link.context.trace_id, "032x") for link in span.links],
    }


def _plain(value: object) -> bool:
    return isinstance(value, str | int | float | bool)


def _number(value: int | None) -> str:
    return "null" if value is None else str(value)


def span_line(span: ReadableSpan, service: str) -> str:
    """``span_record`` as one JSON line, ``service`` already JSON-encoded.

    Written out rather than through a dict and ``json.dumps``: a loaded service writes thousands of
    spans a second from its export thread, and only the name and attributes need the encoder.
    Tests check that it reads back as ``span_record``.
    """
    ctx = span.get_span_context()
    parent = span.parent
    attributes = span.attributes
    links = span.links
    parent_id = f'"{parent.span_id:016x}"' if parent else "null"
    return (
        f'{{"trace_id": "{ctx.trace_id:032x}", "span_id": "{ctx.span_id:016x}", "parent_id": {parent_id}, '
        f'"name": {_json(span.name)}, "service": {service}, '
        f'"start_ns": {_number(span.start_time)}, "end_ns": {_number(span.end_time)}, '
        f'"status": "{span.status.status_code.name}", '
        f'"attributes": {_json({k: v for k, v in attributes.items() if _plain(v)}) if attributes else "{}"}, '
        f'"links": {_json([format(link.context.trace_id, "032x") for link in links]) if links else "[]"}}}\n'
    )


class JsonLinesSpanExporter(SpanExporter):
    """One file per process (no interleaving between processes), one JSON object per line."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._path = directory / f"spans-{os.getpid()}.jsonl"
        self._lock = threading.Lock()
        self._services: dict[int, tuple[Resource, str]] = {}

    def _service(self, span: ReadableSpan) -> str:
        # One resource per tracer provider: its service name is encoded once, not per span (the
        # resource is kept with it, so a reused id can not stand for another resource).
        resource = span.resource
        known = self._services.get(id(resource))
        if known is None or known[0] is not resource:
            known = self._services[id(resource)] = (
                resource, _json(resource.attributes.get("service.name", "?"))
            )
        return known[1]

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Append the spans; a full disk must not take the service down, so errors only fail."""
        lines = "".join([span_line(s, self._service(s)) for s in spans])
        try:
            with self._lock, self._path.open("a", encoding="utf-8") as out:
                out.write(lines)
        except OSError:
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        """Nothing is held open between exports."""
