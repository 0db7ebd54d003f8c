"""The web pages (dashboard, worker, wish wall, ops) and the one ops route they need that no service owns."""

# No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from shared.auth import Principal
from shared.host import ServiceHost
from shared.http.errors import ProblemError
from shared.http.security import principal_dependency
from shared.telemetry.journey import journey

STATIC = Path(__file__).parent / "static"
PAGES = {"/dashboard": "dashboard.html", "/worker": "worker.html", "/wall": "wall.html", "/ops": "ops.html"}


def span_tree(spans: list[dict]) -> list[dict]:
    """Spans of one trace as nested nodes, children by start time, times in ms from the trace start."""
    by_id = {s["span_id"]: s for s in spans}
    children: dict[str | None, list[dict]] = defaultdict(list)
    for s in spans:
        children[s["parent_id"] if s["parent_id"] in by_id else None].append(s)
    t0 = min((s["start_ns"] for s in spans), default=0)

    def node(span: dict) -> dict:
        return {
            "name": span["name"], "service": span["service"], "status": span["status"],
            "start_ms": round((span["start_ns"] - t0) / 1e6, 1),
            "duration_ms": round((span["end_ns"] - span["start_ns"]) / 1e6, 1),
            "children": [node(c) for c in sorted(children[span["span_id"]], key=lambda c: c["start_ns"])],
        }

    return [node(s) for s in sorted(children[None], key=lambda c: c["start_ns"])]


def install_pages(app: FastAPI, hosts: Sequence[ServiceHost]) -> None:
    """Serve /static, the page routes, and GET /ops/trace/{report_id} for ops and district staff."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    pages = APIRouter(include_in_schema=False)
    for path, name in PAGES.items():
        pages.add_api_route(path, _page(STATIC / name), methods=["GET"])
    app.include_router(pages)
    if not hosts:
        return
    router = APIRouter(tags=["ops"])
    ops = principal_dependency(hosts[0].tokens, "ops", "district_staff")

    @router.get("/ops/trace/{report_id}")
    async def report_trace(report_id: str, _principal: Annotated[Principal, Depends(ops)]) -> dict:
        """One report's journey across the services: its traces as span trees with timings."""
        for host in hosts:  # spans still buffered in this process should count
            await run_in_threadpool(host.tracer_provider.force_flush, 2000)
        found = await run_in_threadpool(journey, hosts[0].settings.trace_dir, report_id)
        if not found:
            raise ProblemError(
                404, "not_found",
                f"no spans mention report {report_id} (with OTLP set, look in Jaeger instead)",
            )
        return {
            "report_id": report_id,
            "traces": [
                {"trace_id": trace_id, "services": sorted({s["service"] for s in spans}),
                 "span_count": len(spans), "roots": span_tree(spans)}
                for trace_id, spans in found.items()
            ],
        }

    app.include_router(router)


def _page(file: Path):
    async def page() -> FileResponse:
        return FileResponse(file, headers={"Cache-Control": "no-cache"})

    return page
