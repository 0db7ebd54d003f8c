"""Errors as ``{"error", "message", "fields"}`` so a client can say which field was wrong."""

from __future__ import annotations

import logging

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.postgres.pool import POSTGRES_UNAVAILABLE

log = logging.getLogger(__name__)

# The largest id or sequence number PostgreSQL's bigint holds: the bound of every numeric parameter
# that reaches a bigint column, so a larger one is a 422 naming the field, not a failed query.
BIGINT_MAX = 2**63 - 1


class ProblemError(Exception):
    """A refusal a route raises: HTTP status, a short code and a sentence for people."""

    def __init__(
        self, status: int, code: str, message: str, *, fields: list[dict] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or []


def _field_name(loc: tuple) -> str:
    # Only the first element says where the field was (body, query, ...); later ones are names.
    parts = [str(p) for p in (loc[1:] if loc and loc[0] in _LOCATIONS else loc)]
    return ".".join(parts) or "request"


_LOCATIONS = ("body", "query", "path", "header", "form", "cookie")


def problem_response(
    status: int,
    code: str,
    message: str,
    fields: list[dict] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The project's error body: ``{"error", "message", "fields"}``."""
    return JSONResponse(
        status_code=status,
        content={"error": code, "message": message, "fields": fields or []},
        headers=headers,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Turn validation and refusals into the project's error body."""

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [
            {"field": _field_name(tuple(err.get("loc", ()))), "problem": err.get("msg", "invalid")}
            for err in exc.errors()
        ]
        summary = "; ".join(f"{f['field']}: {f['problem']}" for f in fields)
        return problem_response(422, "invalid_request", summary, fields)

    @app.exception_handler(ProblemError)
    async def _problem(_request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(exc.status, exc.code, exc.message, exc.fields)

    @app.exception_handler(asyncpg.DataError)
    async def _data(_request: Request, exc: asyncpg.DataError) -> JSONResponse:
        # A value the database cannot hold (out of range, a NUL character...) that no route
        # validation caught: the client's input is wrong, nothing was stored.
        log.warning("request refused by the database: %s", exc)
        return problem_response(
            422,
            "invalid_request",
            "a value is out of range or holds characters that cannot be stored (such as NUL); "
            "nothing was saved",
        )

    async def _unavailable(_request: Request, exc: Exception) -> JSONResponse:
        # The database is unreachable or restarting: nothing was saved, and trying again soon works.
        log.warning("request failed, database unavailable: %r", exc)
        return problem_response(
            503,
            "unavailable",
            "the service cannot reach its database right now; nothing was saved, please try again "
            "in a few seconds",
            headers={"Retry-After": "5"},
        )

    for unavailable in (*POSTGRES_UNAVAILABLE, ConnectionError):
        app.add_exception_handler(unavailable, _unavailable)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = getattr(exc, "headers", None)
        return problem_response(exc.status_code, "http_error", str(exc.detail), headers=headers)
