"""Server spans: a request continues the caller's trace when it sends one, else starts its own."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.http.tracing import ServerSpanMiddleware

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


def _app(exporter: InMemorySpanExporter) -> FastAPI:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    app = FastAPI()

    @app.post("/reports", status_code=201)
    async def submit() -> dict:
        return {}

    @app.get("/boom")
    async def boom() -> dict:
        raise RuntimeError("boom")

    app.add_middleware(ServerSpanMiddleware, tracer_for=lambda path: tracer if path != "/healthz" else None)
    return app


async def test_a_request_with_a_traceparent_continues_that_trace():
    exporter = InMemorySpanExporter()
    transport = httpx.ASGITransport(app=_app(exporter))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        await http.post("/reports", headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"})
        await http.post("/reports")
    continued, own = exporter.get_finished_spans()
    assert format(continued.context.trace_id, "032x") == TRACE_ID
    assert format(continued.parent.span_id, "016x") == PARENT_ID
    assert own.parent is None and format(own.context.trace_id, "032x") != TRACE_ID
    assert continued.name == "POST /reports"
    assert continued.attributes["http.request.method"] == "POST"
    assert continued.attributes["url.path"] == "/reports"
    assert continued.attributes["http.response.status_code"] == 201


async def test_a_server_error_marks_the_span():
    exporter = InMemorySpanExporter()
    transport = httpx.ASGITransport(app=_app(exporter), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        assert (await http.get("/boom")).status_code == 500
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code.name == "ERROR"
