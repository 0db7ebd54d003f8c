"""The lean route's matching, content types and bearer parsing."""

from __future__ import annotations

import pytest
from starlette.routing import Match

from shared.http.lean import LeanRoute, _is_json
from shared.http.security import bearer_token


async def _endpoint(_request):  # pragma: no cover - never called here
    raise AssertionError


def test_a_lean_route_matches_only_its_method_and_exact_path():
    route = LeanRoute("POST", "/reports", _endpoint)
    scope = {"type": "http", "method": "POST", "path": "/reports"}
    assert route.matches(scope)[0] is Match.FULL
    assert route.matches({**scope, "method": "GET"})[0] is Match.NONE
    assert route.matches({**scope, "path": "/reports/"})[0] is Match.NONE
    assert route.matches({**scope, "path": "/reports/photos"})[0] is Match.NONE
    assert route.matches({**scope, "type": "websocket"})[0] is Match.NONE


@pytest.mark.parametrize(
    ("content_type", "json"),
    [
        (None, True),
        ("application/json", True),
        ("Application/JSON; charset=utf-8", True),
        ("application/merge-patch+json", True),
        ("text/plain", False),
        ("application/x-www-form-urlencoded", False),
        ("multipart/form-data; boundary=x", False),
        ("text/json+json", False),
    ],
)
def test_json_is_recognised_as_fastapi_recognises_it(content_type, json):
    assert _is_json(content_type) is json


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer  abc ", "abc"),
        ("Basic abc", None),
        ("Bearer", None),
        ("Bearer ", None),
        ("", None),
        (None, None),
    ],
)
def test_bearer_token_is_read_as_the_http_bearer_scheme_reads_it(header, token):
    assert bearer_token(header) == token


def _apps() -> tuple[object, object, list[tuple[str, bool]]]:
    """The same app as a LeanFastAPI and as a plain FastAPI; what each lean request saw."""
    from fastapi import FastAPI
    from pydantic import BaseModel
    from starlette.responses import JSONResponse

    from shared.http.errors import ProblemError, install_error_handlers
    from shared.http.lean import LeanFastAPI, json_body

    class Body(BaseModel):
        n: int

    seen: list[tuple[str, bool]] = []

    async def lean(request):
        # Starlette's router leaves itself in the scope of what it routes; the short stack has none.
        seen.append((request.headers.get("x-tag", ""), "router" in request.scope))
        body = await json_body(request, Body, max_bytes=64)
        if body.n == 0:
            raise ProblemError(409, "zero", "zero is refused")
        if body.n < 0:
            raise RuntimeError("boom")
        return JSONResponse({"n": body.n, "tag": request.headers.get("x-tag")}, status_code=201)

    class Tag:
        """A user middleware: adds a header to the request and one to the answer."""

        def __init__(self, app):
            self.app = app

        async def __call__(self, scope, receive, send):
            if scope["type"] == "http":
                scope["headers"] = [*scope["headers"], (b"x-tag", b"tagged")]

            async def _send(message):
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", []), (b"x-seen", b"1")]
                await send(message)

            await self.app(scope, receive, _send)

    made = []
    for cls in (LeanFastAPI, FastAPI):
        app = cls()
        install_error_handlers(app)
        app.router.routes.append(LeanRoute("POST", "/n", lean))

        @app.get("/n")
        async def get_n() -> dict:
            return {"get": True}

        app.add_middleware(Tag)
        made.append(app)
    return made[0], made[1], seen


@pytest.mark.parametrize(
    "body",
    [b'{"n": 3}', b'{"n": "x"}', b"", b'{"n": 0}', b'{"n": ' + b"1" * 80 + b"}", b'{"n": -1}'],
    ids=["created", "invalid", "empty", "problem", "too-large", "unhandled"],
)
async def test_a_lean_fastapi_answers_its_lean_routes_as_fastapi_does_without_its_stack(body):
    import httpx

    lean_app, plain_app, seen = _apps()
    answers = []
    for app in (lean_app, plain_app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            r = await client.post("/n", content=body, headers={"content-type": "application/json"})
            answers.append((r.status_code, r.headers.get("content-type"), r.headers.get("x-seen"), r.text))
            assert (await client.get("/n")).json() == {"get": True}  # not lean: FastAPI's route
    assert answers[0] == answers[1]
    if body == b'{"n": -1}':
        assert answers[0][0] == 500  # answered outside the app's middleware, as FastAPI does
    else:
        assert answers[0][2] == "1", "the app's middleware wraps the lean route"
    # The lean request went around FastAPI's stack; the same request to the plain app did not.
    assert seen == [("tagged", False), ("tagged", True)]
