"""Intake's limit: the same framework, server and route mechanism, the same request model, no auth,
no database."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.reports.handlers.http import SUBMIT_MAX_BYTES, SubmitReportRequest
from shared.gc import quiet_gc
from shared.http.errors import install_error_handlers
from shared.http.lean import LeanFastAPI, LeanRoute, json_body
from shared.http.tracing import FASTAPI_TELEMETRY_OFF


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """The collector tuned as `nuanxin run` tunes it once started."""
    quiet_gc()
    yield


# Configured as nuanxin's app is, so the comparison is of the work per request, not of settings.
app = LeanFastAPI(title="bench bare endpoint", telemetry=FASTAPI_TELEMETRY_OFF, lifespan=lifespan)
install_error_handlers(app)


async def submit(request: Request) -> Response:
    """Parse the body with intake's own model and answer 201 with a JSON body like intake's."""
    body = await json_body(request, SubmitReportRequest, max_bytes=SUBMIT_MAX_BYTES)
    return JSONResponse(
        {
            "report_id": str(uuid.uuid4()),
            "kind": body.kind,
            "category": body.category,
            "severity": body.severity or "medium",
            "lat": body.location.lat,
            "lon": body.location.lon,
            "description": body.description,
            "address": body.address,
            "status": "submitted",
            "submitted_at": datetime.now(UTC).isoformat(),
        },
        status_code=201,
    )


# Intake's POST /reports is a LeanRoute (shared/http/lean.py); so is its limit.
app.router.routes.append(LeanRoute("POST", "/reports", submit))


@app.get("/healthz")
async def healthz() -> dict:
    """Up."""
    return {"status": "ok"}
