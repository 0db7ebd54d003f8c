"""HTTP routes of intake: submit a report, see your own."""

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Header, Request, Response
from opentelemetry import trace
from pydantic import BaseModel, ConfigDict, Field

from services.reports.domain.ratelimit import RateLimited
from services.reports.domain.report import Report, ReportRejected
from shared.auth import Principal, Role, TokenCodec
from shared.http.errors import ProblemError, problem_response
from shared.http.lean import LeanRoute, header, json_body
from shared.http.security import bearer_token, check_principal, principal_dependency

if TYPE_CHECKING:
    from services.reports.factory import ReportsFactory

WORKER: tuple[Role, ...] = ("worker",)
IDEMPOTENCY_KEY_MAX = 100
# A report is a few hundred bytes: 2,000 characters of description, 20 photo refs, an address.
SUBMIT_MAX_BYTES = 64 * 1024


class Location(BaseModel):
    """Where the worker saw it."""

    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-90, le=90, description="Latitude.")
    lon: float = Field(ge=-180, le=180, description="Longitude.")
    crs: Literal["WGS84", "GCJ02"] = Field(
        "WGS84", description="Coordinate system of lat/lon: GPS (WGS84) or Chinese web maps (GCJ02)."
    )


class SubmitReportRequest(BaseModel):
    """A report as a worker's phone sends it."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="hazard, civility, food_safety, residents_voice, ...")
    category: str = Field(description="Category within the kind, e.g. blocked_fire_exit.")
    severity: Literal["low", "medium", "high", "urgent"] | None = Field(
        None, description="Leave out to use the category's default."
    )
    location: Location
    description: str = Field("", max_length=2000, description="What the worker saw.")
    address: str | None = Field(None, max_length=200, description="Address text, optional.")
    pairing_id: str | None = Field(
        None, max_length=100, description="Elderly check-ins: the pairing this visit was for."
    )
    photos: list[str] = Field(
        default_factory=list, max_length=20,
        description="Refs returned by POST /reports/photos, e.g. sha256:<hex>.jpg.",
    )


class ReportView(BaseModel):
    """A report as its reporter sees it."""

    report_id: str
    kind: str
    category: str
    severity: str
    lat: float
    lon: float
    description: str
    address: str | None
    status: str
    submitted_at: datetime
    case_id: str | None = None
    community_code: str | None = None
    status_notes: str | None = None
    photos: list[str] = Field(default_factory=list, description="Photo refs (GET /reports/photos/{ref}).")
    reporter_id: str | None = Field(None, description="Shown to staff unless the reporter is hidden.")


def _view(report: Report, case_id: str | None = None, community: str | None = None) -> ReportView:
    return ReportView(
        report_id=report.report_id, kind=report.kind, category=report.category,
        severity=report.severity, lat=report.lat, lon=report.lon,
        description=report.description, address=report.address, status=report.status,
        submitted_at=report.submitted_at, case_id=case_id, community_code=community,
        reporter_id=report.reporter_id, photos=list(report.photos),
    )


def _submitted_json(report: Report) -> bytes:
    """``_view(report).model_dump_json()`` for a report as filed (or first filed, for a request
    repeated with its Idempotency-Key), without building the model.

    Every report's answer is this; validating fifteen fields that intake has just set, then
    serialising them, cost about five times what writing them does. Tests check that the two
    agree byte for byte (orjson writes datetimes as pydantic does, UTC as ``Z``).
    """
    return orjson.dumps(
        {
            "report_id": report.report_id, "kind": report.kind, "category": report.category,
            "severity": report.severity, "lat": report.lat, "lon": report.lon,
            "description": report.description, "address": report.address, "status": report.status,
            "submitted_at": report.submitted_at, "case_id": None, "community_code": None,
            "status_notes": None, "photos": list(report.photos), "reporter_id": report.reporter_id,
        },
        option=orjson.OPT_UTC_Z,
    )


def create_router(factory: Callable[[], "ReportsFactory"], tokens: TokenCodec) -> APIRouter:
    """The intake routes, bound to the service's composition root."""
    router = APIRouter(prefix="/reports", tags=["reports"])
    worker = principal_dependency(tokens, *WORKER)
    anyone = principal_dependency(tokens)

    async def submit(
        body: SubmitReportRequest, principal: Principal, idempotency_key: str | None
    ) -> Response:
        lon, lat = factory().to_wgs84(body.location.lon, body.location.lat, body.location.crs)
        try:
            report, created = await factory().submit_report(
                reporter_id=principal.subject, kind=body.kind, category=body.category,
                lon=lon, lat=lat, severity=body.severity, description=body.description,
                address=body.address, photos=tuple(body.photos), pairing_id=body.pairing_id,
                idempotency_key=idempotency_key,
            )
        except ReportRejected as exc:
            raise ProblemError(
                422, "invalid_report", str(exc), fields=[{"field": exc.field, "problem": exc.problem}]
            ) from exc
        except RateLimited as exc:
            # Returned, not raised: ProblemError carries no headers and Retry-After matters here.
            return problem_response(
                429, "too_many_requests", str(exc), headers={"Retry-After": str(exc.retry_after_s)}
            )
        trace.get_current_span().set_attribute("nuanxin.report_id", report.report_id)
        # Serialised here, once: a Response is sent as it is, where a returned model would be
        # validated against response_model again (which stays, for the OpenAPI document).
        return Response(
            _submitted_json(report),
            status_code=201 if created else 200,
            media_type="application/json",
            headers={"Location": f"/reports/{report.report_id}"},
        )

    async def submit_lean(request: Request) -> Response:
        # What the documented route below does, without FastAPI's per-request dependency solving.
        principal = check_principal(
            tokens, bearer_token(request.headers.get("authorization")), WORKER
        )
        key = header(request, "idempotency-key", max_length=IDEMPOTENCY_KEY_MAX)
        body = await json_body(request, SubmitReportRequest, max_bytes=SUBMIT_MAX_BYTES)
        return await submit(body, principal, key)

    # Matched first: POST /reports is answered by the lean route, documented by the one after it.
    router.routes.append(LeanRoute("POST", "/reports", submit_lean))

    @router.post(
        "",
        status_code=201,
        response_model=ReportView,
        responses={
            200: {"model": ReportView, "description": "Already filed with this Idempotency-Key."},
            413: {"description": f"The body is over {SUBMIT_MAX_BYTES} bytes."},
        },
    )
    async def submit_report(
        body: SubmitReportRequest,
        principal: Annotated[Principal, Depends(worker)],
        idempotency_key: Annotated[str | None, Header(max_length=IDEMPOTENCY_KEY_MAX)] = None,
    ) -> Response:
        """File a report; resend with the same Idempotency-Key and get the same report back."""
        return await submit(body, principal, idempotency_key)

    @router.get("/mine", response_model=list[ReportView])
    async def my_reports(principal: Annotated[Principal, Depends(worker)]) -> list[ReportView]:
        """The caller's own reports and their status, newest first."""
        stored = await factory().store.list_by_reporter(principal.subject)
        return [
            ReportView(
                report_id=str(r["report_id"]), kind=r["kind"], category=r["category"],
                severity=r["severity"], lat=r["lat"], lon=r["lon"],
                description=r["description"], address=r["address"], status=r["status"],
                submitted_at=r["submitted_at"],
                case_id=str(r["case_id"]) if r["case_id"] else None,
                community_code=r["community_code"],
            )
            for r in stored
        ]

    @router.get("/{report_id}", response_model=ReportView)
    async def get_report(
        report_id: str, principal: Annotated[Principal, Depends(anyone)]
    ) -> ReportView:
        """One report: its reporter may always see it; staff see reports routed to them."""
        found = await factory().store.get(report_id) if _is_uuid(report_id) else None
        if found is None:
            raise ProblemError(404, "not_found", f"no report {report_id}")
        report = found.report
        if principal.role == "worker" and report.reporter_id != principal.subject:
            raise ProblemError(404, "not_found", f"no report {report_id}")
        co_owner = principal.role == "community_staff" and principal.community == found.co_owner_code
        if principal.role != "worker" and not (
            co_owner or principal.sees_community(found.community_code, found.street_code)
        ):
            raise ProblemError(404, "not_found", f"no report {report_id}")
        view = _view(report, found.case_id, found.community_code)
        if principal.role != "worker" and report.reporter_hidden:
            view.reporter_id = None
        view.status_notes = found.status_notes
        return view

    return router


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
