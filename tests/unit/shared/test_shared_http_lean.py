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
