"""A lean route for an endpoint on the hot path: matched first, no dependency solving.

FastAPI's request handler solves the dependency graph, builds a Request, parses the body to
Python objects and validates them, per request; for intake that was a third of the CPU a report
costs. A ``LeanRoute`` sits in the router before the documented ``APIRoute`` of the same method
and path (which stays, for the OpenAPI document), matches by plain comparison and hands the
``Request`` to its endpoint. Errors it raises (``ProblemError``, ``RequestValidationError``,
database outages) go through the app's exception handlers like any route's, so callers see the
same answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from shared.http.errors import ProblemError

M = TypeVar("M", bound=BaseModel)

LeanEndpoint = Callable[[Request], Awaitable[Response]]


class LeanRoute(BaseRoute):
    """``method path`` answered by ``endpoint(request) -> Response``."""

    def __init__(self, method: str, path: str, endpoint: LeanEndpoint) -> None:
        self.method = method
        self.path = path
        self.endpoint = endpoint

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Full match on the exact method and path; anything else is left to the other routes."""
        if scope["type"] == "http" and scope["path"] == self.path and scope["method"] == self.method:
            return Match.FULL, {"endpoint": self.endpoint, "path_params": {}}
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        """Not reversible by name: the documented APIRoute of the same path is."""
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the endpoint and send its response."""
        response = await self.endpoint(Request(scope, receive))
        await response(scope, receive, send)


def _is_json(content_type: str | None) -> bool:
    if content_type is None:
        return True  # as FastAPI: a body without a content type is read as JSON
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def json_body(request: Request, model: type[M], *, max_bytes: int) -> M:
    """The request body validated as ``model``; RequestValidationError (a 422) naming what is wrong.

    A body over ``max_bytes`` is a 413 and is not read further.
    """
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise ProblemError(413, "too_large", f"the request body is over {max_bytes} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    if not body:
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required"}])
    if not _is_json(request.headers.get("content-type")):
        raise RequestValidationError(
            [{
                "type": "content_type",
                "loc": ("body",),
                "msg": "send the body as JSON (Content-Type: application/json)",
            }]
        )
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**err, "loc": ("body", *err["loc"])} for err in exc.errors(include_url=False)]
        ) from None


def header(request: Request, name: str, *, max_length: int) -> str | None:
    """An optional header, at most ``max_length`` characters (a 422 naming it otherwise)."""
    value = request.headers.get(name)
    if value is not None and len(value) > max_length:
        raise RequestValidationError(
            [{
                "type": "string_too_long",
                "loc": ("header", name.lower()),
                "msg": f"String should have at most {max_length} characters",
            }]
        )
    return value
