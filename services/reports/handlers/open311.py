"""Open311 GeoReport v2 routes (JSON): any Open311 client can file a report and follow it."""

# No `from __future__ import annotations` here: FastAPI reads the routes' annotations at runtime.

import functools
import math
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from opentelemetry import trace

from services.reports.domain import open311
from services.reports.domain.kinds import SEVERITIES
from services.reports.domain.ratelimit import RateLimited
from services.reports.domain.report import ReportRejected
from services.reports.storage.open311_queries import Open311Queries, Reach, RequestFilter
from shared.auth import AuthError, Principal, TokenCodec

if TYPE_CHECKING:
    from services.reports.factory import ReportsFactory

MAX_SPAN = timedelta(days=90)  # the spec's default and longest date range
_FIELD_OF_REJECTION = {
    "kind": "service_code", "category": "service_code", "severity": "attribute[severity]",
    "photos": "media_url",
}


class Open311Error(Exception):
    """A refusal in the spec's error format: an HTTP status and a sentence naming the parameter."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


Endpoint = Callable[..., Awaitable[JSONResponse]]


def _open311_errors(endpoint: Endpoint) -> Endpoint:
    """Answer an Open311Error as ``[{"code", "description"}]`` instead of the project's error body."""

    @functools.wraps(endpoint)
    async def wrapper(*args: object, **kwargs: object) -> JSONResponse:
        try:
            return await endpoint(*args, **kwargs)
        except Open311Error as exc:
            return JSONResponse([{"code": exc.status, "description": exc.description}], exc.status)

    return wrapper


def _check_format(request: Request) -> None:
    fmt = request.path_params.get("fmt", "json")
    if fmt != "json":
        raise Open311Error(400, f"format {fmt} is not offered; use json")


def _strip_format(value: str) -> str:
    if value.endswith(".json"):
        return value[: -len(".json")]
    if value.endswith(".xml"):
        raise Open311Error(400, "format xml is not offered; use json")
    return value


def _text(params: Mapping[str, Any], name: str, *, max_length: int = 2000) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Open311Error(400, f"{name} must be text")
    if len(value) > max_length:
        raise Open311Error(400, f"{name} must be at most {max_length} characters")
    return value


def _coordinate(form: Mapping[str, Any], name: str, bound: float) -> float:
    raw = _text(form, name, max_length=40)
    if raw is None:
        raise Open311Error(400, f"{name} is required")
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > bound:
        raise Open311Error(400, f"{name} must be a number between -{bound:g} and {bound:g}")
    return value


def _date_param(request: Request, name: str) -> datetime | None:
    raw = _text(request.query_params, name, max_length=40)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise Open311Error(
            400, f"{name} must be a W3C datetime with a timezone, e.g. 2026-11-05T08:15:30+08:00"
        )
    return moment


def _listed(request: Request, name: str) -> tuple[str, ...]:
    raw = _text(request.query_params, name) or ""
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _reach(principal: Principal) -> Reach:
    if principal.role == "worker":
        return Reach(reporter_id=principal.subject)
    if principal.role == "community_staff":
        return Reach(community_code=principal.community)
    if principal.role == "street_staff":
        return Reach(street_code=principal.street)
    return Reach(everything=True)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def create_open311_router(factory: Callable[[], "ReportsFactory"], tokens: TokenCodec) -> APIRouter:
    """The GeoReport v2 routes, bound to the service's composition root."""
    router = APIRouter(prefix="/open311/v2", tags=["open311"])

    def principal(request: Request, api_key: str | None = None) -> Principal:
        key = api_key or _text(request.query_params, "api_key", max_length=4000)
        if key is None:
            raise Open311Error(403, "api_key is required")
        try:
            return tokens.verify(key)
        except AuthError as exc:
            raise Open311Error(403, f"api_key is not valid: {exc}") from exc

    def queries() -> Open311Queries:
        return Open311Queries(pool=factory().runtime.pool)

    @router.get("/discovery.{fmt}", include_in_schema=False)  # the .json form
    @router.get("/discovery")
    @_open311_errors
    async def discovery(request: Request) -> JSONResponse:
        """Where this GeoReport v2 endpoint is and what it speaks."""
        _check_format(request)
        kind = "production" if factory().runtime.settings.env == "prod" else "test"
        return JSONResponse({
            "changeset": open311.CHANGESET, "contact": open311.CONTACT,
            "key_service": open311.KEY_SERVICE,
            "endpoints": [{
                "specification": open311.SPECIFICATION,
                "url": str(request.base_url).rstrip("/") + router.prefix,
                "changeset": open311.CHANGESET, "type": kind, "formats": ["application/json"],
            }],
        })

    @router.get("/services.{fmt}", include_in_schema=False)  # the .json form
    @router.get("/services")
    @_open311_errors
    async def services(request: Request) -> JSONResponse:
        """Every (kind, category) a report can be filed as."""
        _check_format(request)
        return JSONResponse([s.listing() for s in open311.SERVICES.values()])

    @router.get("/services/{service_code}")
    @_open311_errors
    async def service_definition(service_code: str) -> JSONResponse:
        """The attributes one service takes."""
        code = _strip_format(service_code)
        service = open311.SERVICES.get(code)
        if service is None:
            raise Open311Error(404, f"service_code {code} not found")
        return JSONResponse(service.definition())

    @router.post("/requests.{fmt}", include_in_schema=False)  # the .json form
    @router.post("/requests")
    @_open311_errors
    async def create_request(request: Request) -> JSONResponse:
        """File a report from a form-encoded request; resend with the same Idempotency-Key safely."""
        _check_format(request)
        form = await request.form()
        caller = principal(request, _text(form, "api_key", max_length=4000))
        if caller.role != "worker":
            raise Open311Error(403, "api_key must be a worker's to file requests")
        code = _text(form, "service_code", max_length=100)
        if code is None:
            raise Open311Error(400, "service_code is required")
        service, parsed = open311.SERVICES.get(code), open311.parse_service_code(code)
        if service is None or parsed is None:
            raise Open311Error(404, f"service_code {code} not found")
        lat = _coordinate(form, "lat", 90)
        lon = _coordinate(form, "long", 180)
        crs = (_text(form, "crs", max_length=10) or "WGS84").upper()
        if crs not in ("WGS84", "GCJ02"):
            raise Open311Error(400, "crs must be WGS84 or GCJ02")
        severity = _text(form, "attribute[severity]", max_length=10)
        if severity is not None and severity not in SEVERITIES:
            raise Open311Error(400, f"attribute[severity] must be one of {', '.join(SEVERITIES)}")
        description = _text(form, "description") or _text(form, "attribute[description]") or ""
        given = {"severity": severity, "description": description.strip()}
        for attribute in service.attributes:
            if attribute.required and not given.get(attribute.code):
                raise Open311Error(400, f"{attribute.code} is required for {code}")
        idempotency_key = _text(request.headers, "idempotency-key", max_length=100)
        lon, lat = factory().to_wgs84(lon, lat, crs)
        try:
            report, _created = await factory().submit_report(
                reporter_id=caller.subject, kind=parsed[0], category=parsed[1], lon=lon, lat=lat,
                severity=severity, description=description,
                address=_text(form, "address_string", max_length=200), idempotency_key=idempotency_key,
                photos=_photo_refs(form.get("media_url")),
            )
        except ReportRejected as exc:
            name = _FIELD_OF_REJECTION.get(exc.field, exc.field)
            raise Open311Error(400, f"{name}: {exc.problem}") from exc
        except RateLimited as exc:
            raise Open311Error(429, str(exc)) from exc
        trace.get_current_span().set_attribute("nuanxin.report_id", report.report_id)
        return JSONResponse([{
            "service_request_id": report.report_id, "service_notice": open311.SERVICE_NOTICE,
            "account_id": None,
        }])

    @router.get("/requests.{fmt}", include_in_schema=False)  # the .json form
    @router.get("/requests")
    @_open311_errors
    async def list_requests(request: Request) -> JSONResponse:
        """Requests the api_key's holder may see, filtered as the spec describes."""
        _check_format(request)
        reach = _reach(principal(request))
        ids = _listed(request, "service_request_id")
        if ids:
            wanted = RequestFilter(ids=tuple(i for i in ids if _is_uuid(i)))
            found = await queries().find(reach, wanted) if wanted.ids else []
            return JSONResponse([s.as_dict() for s in found])
        statuses = _listed(request, "status")
        if any(s not in ("open", "closed") for s in statuses):
            raise Open311Error(400, "status must be open or closed")
        start, end = _date_param(request, "start_date"), _date_param(request, "end_date")
        if start is None:
            end = end or factory().clock()
            start = end - MAX_SPAN
        end = end or start + MAX_SPAN
        if end < start:
            raise Open311Error(400, "end_date must not be before start_date")
        if end - start > MAX_SPAN:
            raise Open311Error(400, "start_date and end_date may not span more than 90 days")
        wanted = RequestFilter(
            service_codes=_listed(request, "service_code"), start=start, end=end, statuses=statuses
        )
        return JSONResponse([s.as_dict() for s in await queries().find(reach, wanted)])

    @router.get("/requests/{request_id}")
    @_open311_errors
    async def get_request(request: Request, request_id: str) -> JSONResponse:
        """One request, as a list of one; 404 if unknown or out of the caller's reach."""
        report_id = _strip_format(request_id)
        reach = _reach(principal(request))
        found = await queries().one(reach, report_id) if _is_uuid(report_id) else None
        if found is None:
            raise Open311Error(404, f"service_request_id {report_id} not found")
        return JSONResponse([found.as_dict()])

    @router.get("/tokens/{token}")
    @_open311_errors
    async def token(request: Request, token: str) -> JSONResponse:
        """Our POST answers with the id at once, so a token is the request's id."""
        value = _strip_format(token)
        reach = _reach(principal(request))
        found = await queries().one(reach, value) if _is_uuid(value) else None
        if found is None:
            raise Open311Error(404, f"token {value} not found")
        return JSONResponse([{"service_request_id": found.report_id, "token": value}])

    return router


def _photo_refs(media_url: object) -> tuple[str, ...]:
    """A media_url naming a photo uploaded to /reports/photos (the URL or the bare ref)."""
    if not isinstance(media_url, str) or not media_url.strip():
        return ()
    return (media_url.strip().rsplit("/", 1)[-1],)
