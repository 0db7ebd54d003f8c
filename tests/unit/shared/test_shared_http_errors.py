"""Error bodies: validation failures name the field, refusals keep their code."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from shared.http.errors import ProblemError, install_error_handlers


class Location(BaseModel):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Submit(BaseModel):
    kind: str
    location: Location
    photos: list[str] = []


class Upload(BaseModel):
    path: str
    size: int


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/reports")
    async def submit(body: Submit) -> dict:
        return {"kind": body.kind}

    @app.post("/uploads")
    async def upload(body: Upload) -> dict:
        return {"path": body.path}

    @app.get("/reports/{report_id}")
    async def get_report(report_id: int) -> dict:
        if report_id == 404:
            raise ProblemError(404, "not_found", "no such report", fields=[{"field": "report_id"}])
        if report_id == 22021:
            raise asyncpg.exceptions.CharacterNotInRepertoireError("invalid byte sequence 0x00")
        if report_id == 57:
            raise asyncpg.exceptions.CannotConnectNowError("the database system is starting up")
        if report_id == 418:
            raise HTTPException(418, "teapot", headers={"X-Why": "tea"})
        return {"id": report_id}

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def _fields(response) -> list[str]:
    return [f["field"] for f in response.json()["fields"]]


async def test_valid_request_passes(client):
    response = await client.post("/reports", json={"kind": "hazard", "location": {"lat": 29.7, "lon": 106.6}})
    assert response.status_code == 200


async def test_out_of_range_nested_field_is_named_by_its_dotted_path(client):
    response = await client.post("/reports", json={"kind": "hazard", "location": {"lat": 200, "lon": 106.6}})

    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_request"
    assert _fields(response) == ["location.lat"]
    assert body["fields"][0]["problem"]
    assert body["message"].startswith("location.lat: ")


async def test_missing_field_is_named(client):
    response = await client.post("/reports", json={"location": {"lat": 1, "lon": 1}})
    assert response.status_code == 422
    assert _fields(response) == ["kind"]


async def test_every_bad_field_is_listed(client):
    response = await client.post("/reports", json={"kind": 5, "location": {"lat": "north", "lon": 500},
                                             "photos": ["ok", 7]})
    assert response.status_code == 422
    assert sorted(_fields(response)) == ["kind", "location.lat", "location.lon", "photos.1"]


async def test_bad_path_parameter_is_named(client):
    response = await client.get("/reports/abc")
    assert response.status_code == 422
    assert _fields(response) == ["report_id"]


async def test_problem_error_keeps_status_code_and_fields(client):
    response = await client.get("/reports/404")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "no such report",
                               "fields": [{"field": "report_id"}]}


async def test_http_exception_uses_the_same_body_and_keeps_headers(client):
    response = await client.get("/reports/418")
    assert response.status_code == 418
    assert response.json() == {"error": "http_error", "message": "teapot", "fields": []}
    assert response.headers["x-why"] == "tea"


async def test_unknown_route_is_a_json_404(client):
    response = await client.get("/nowhere")
    assert response.status_code == 404
    assert response.json()["error"] == "http_error"


async def test_field_named_like_a_location_kind_is_still_named(client):
    response = await client.post("/uploads", json={"size": 3})
    assert response.status_code == 422
    assert _fields(response) == ["path"]


async def test_a_value_the_database_refuses_is_a_422_not_a_500(client):
    response = await client.get("/reports/22021")
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"
    assert "nothing was saved" in response.json()["message"]


async def test_a_database_outage_is_a_503_with_retry_after(client):
    response = await client.get("/reports/57")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json()["error"] == "unavailable"
