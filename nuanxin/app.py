"""HTTP apps: one for one or several services (routes, /healthz, /metrics, pages), one for relays."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse, Response
from opentelemetry import trace

from nuanxin.web import install_pages
from shared.host import ServiceHost
from shared.http.errors import install_error_handlers
from shared.http.lean import LeanFastAPI, LeanRoute
from shared.http.tracing import FASTAPI_TELEMETRY_OFF, ServerSpanMiddleware
from shared.relay_host import RelayHost

STATIC = Path(__file__).parent / "static"


def _lifespan(parts: Sequence[ServiceHost] | Sequence[RelayHost]):
    """Start the parts in order with the app, stop those started in reverse as it ends."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        started: list[ServiceHost | RelayHost] = []
        try:
            for part in parts:
                await part.start()
                started.append(part)
            yield
        finally:
            for part in reversed(started):
                await part.stop()

    return lifespan


def create_app(hosts: Sequence[ServiceHost]) -> FastAPI:
    """The app serving the given services; their lifecycles follow the app's lifespan."""
    app = LeanFastAPI(
        title="nuanxin (暖新)",
        description="Reports from delivery riders, couriers and drivers, routed to the owning "
        "community, on a clock; micro-wishes; live dashboards.",
        version="0.1.0",
        lifespan=_lifespan(hosts),
        telemetry=FASTAPI_TELEMETRY_OFF,
    )
    install_error_handlers(app)
    # Which service owns a path: the first segment of each of its routes (/reports, /open311, ...).
    prefixes = [
        ("/" + route.path.strip("/").split("/")[0], host)
        for host in hosts
        for route in host.router.routes
        if getattr(route, "path", "").strip("/")
    ]
    for host in hosts:
        # Copied, not include_router()-ed: FastAPI resolves an included router on every request
        # (walking all its routes for a version check), a cost intake pays per report.
        app.router.routes.extend(host.router.routes)
    # Lean routes (the hot endpoints) are tried first, before every regex-matched route.
    app.router.routes.sort(key=lambda route: not isinstance(route, LeanRoute))

    def tracer_for(path: str) -> trace.Tracer | None:
        for prefix, host in prefixes:
            if path == prefix or path.startswith(prefix + "/"):
                return host.tracer
        return None

    app.add_middleware(ServerSpanMiddleware, tracer_for=tracer_for)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> JSONResponse:
        """Each service's state; 503 until all have started."""
        states = {host.name: host.health() for host in hosts}
        ok = all(s["status"] == "ok" for s in states.values())
        return JSONResponse({"status": "ok" if ok else "starting", "services": states},
                            status_code=200 if ok else 503)

    @app.get("/metrics", tags=["ops"])
    async def metrics() -> Response:
        """Prometheus metrics of every service in this process (they share one registry)."""
        body = hosts[0].metrics.render() if hosts else b""
        return Response(body, media_type="text/plain; version=0.0.4")

    @app.get("/", include_in_schema=False)
    async def home() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    install_pages(app, hosts)
    return app


def create_relay_app(relays: Sequence[RelayHost]) -> FastAPI:
    """The app of a `nuanxin relay` process: /healthz and /metrics; the relays follow its lifespan."""
    app = FastAPI(title="nuanxin relay", lifespan=_lifespan(relays), docs_url=None, redoc_url=None)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        """Each relay's state, events published and why it waits if it does (a relay waiting out an
        outage is still "ok": it will publish once the outage ends); 503 unless all run."""
        states = {relay.name: relay.health() for relay in relays}
        found = {s["status"] for s in states.values()}
        status = "stopped" if "stopped" in found else "starting" if "starting" in found else "ok"
        return JSONResponse({"status": status, "relays": states}, status_code=200 if status == "ok" else 503)

    @app.get("/metrics")
    async def metrics() -> Response:
        """Prometheus metrics of this process's relays (`nuanxin_events_out_total`)."""
        body = relays[0].metrics.render() if relays else b""
        return Response(body, media_type="text/plain; version=0.0.4")

    return app
