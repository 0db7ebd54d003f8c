"""Intake's limit: the same framework and server, the same request model, no auth, no database."""

import uuid
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from services.reports.handlers.http import SubmitReportRequest
from shared.http.tracing import FASTAPI_TELEMETRY_OFF

# Configured as nuanxin's app is, so the comparison is of the work per request, not of settings.
app = FastAPI(title="bench bare endpoint", telemetry=FASTAPI_TELEMETRY_OFF)


@app.post("/reports", status_code=201)
async def submit(body: SubmitReportRequest) -> JSONResponse:
    """Parse the body with intake's own model and answer 201 with a JSON body like intake's."""
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


@app.get("/healthz")
async def healthz() -> dict:
    """Up."""
    return {"status": "ok"}
