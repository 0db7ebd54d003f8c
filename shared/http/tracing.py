"""Server spans for HTTP requests, so a report's trace starts at the worker's request."""

from __future__ import annotations

from collections.abc import Callable

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.telemetry.propagation import extract_from_headers

# FastAPI's own telemetry, off: ServerSpanMiddleware makes the server span, and the native layer
# would otherwise look the global providers up (reading the environment) on every request.
FASTAPI_TELEMETRY_OFF = {"tracing": False, "metrics": False, "logs": False}


class ServerSpanMiddleware:
    """One SERVER span per request, by the tracer of the service owning the path (None: no span)."""

    def __init__(
        self, app: ASGIApp, *, tracer_for: Callable[[str], trace.Tracer | None]
    ) -> None:
        self._app = app
        self._tracer_for = tracer_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap the request in a span named by method and route path."""
        tracer = self._tracer_for(scope["path"]) if scope["type"] == "http" else None
        if tracer is None:
            await self._app(scope, receive, send)
            return
        # Only a caller that sent a trace context has one to continue (the browser and phones
        # do not); read as an event's headers are.
        parent = extract_from_headers(
            {k.decode(): v for k, v in scope["headers"] if k in (b"traceparent", b"tracestate")}
        )
        method, path = scope["method"], scope["path"]
        # start_span and attach by hand: the context-manager wrappers of start_as_current_span
        # cost as much again as the span itself on a path taken by every report.
        span = tracer.start_span(
            f"{method} {path}",
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": path},
        )

        async def _send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = message["status"]
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))
            await send(message)

        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            await self._app(scope, receive, _send)
        except BaseException as exc:
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
            raise
        finally:
            otel_context.detach(token)
            span.end()
