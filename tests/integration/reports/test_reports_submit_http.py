"""POST /reports is answered by a lean route: the same answers as the documented FastAPI route."""

from __future__ import annotations

import httpx
import pytest

from services.reports.handlers.http import SUBMIT_MAX_BYTES
from shared.http.lean import LeanRoute
from tests.support.system import RunningSystem, run_system

pytestmark = pytest.mark.integration

GOOD = {"kind": "hazard", "category": "road_damage", "location": {"lat": 29.72, "lon": 106.63}}


def _bad_requests(system: RunningSystem) -> dict[str, dict]:
    """Requests intake must refuse, each as httpx.post keyword arguments."""
    worker = {"Authorization": f"Bearer {system.token('w-1', 'worker')}"}
    json_type = {**worker, "Content-Type": "application/json"}
    return {
        "no token": {"json": GOOD},
        "a Basic header": {"json": GOOD, "headers": {"Authorization": "Basic dzox"}},
        "a forged token": {"json": GOOD, "headers": {"Authorization": "Bearer not.a.token"}},
        "staff, not a worker": {
            "json": GOOD,
            "headers": {"Authorization": f"Bearer {system.token('d-1', 'district_staff')}"},
        },
        "broken JSON": {"content": b'{"kind": "hazard",', "headers": json_type},
        "no body": {"headers": worker},
        "no location": {"json": {"kind": "hazard", "category": "road_damage"}, "headers": worker},
        "latitude 200": {"json": {**GOOD, "location": {"lat": 200, "lon": 106.63}}, "headers": worker},
        "an unknown field": {"json": {**GOOD, "colour": "red"}, "headers": worker},
        "a list, not an object": {"json": [GOOD], "headers": worker},
        "an unknown kind": {"json": {**GOOD, "kind": "weather"}, "headers": worker},
        "a long Idempotency-Key": {"json": GOOD, "headers": {**worker, "Idempotency-Key": "k" * 101}},
    }


def _answer(response: httpx.Response) -> tuple[int, str, list[str]]:
    body = response.json()
    return response.status_code, body["error"], sorted(f["field"] for f in body["fields"])


async def test_bad_reports_are_refused_as_the_documented_route_refuses_them(settings):
    async with run_system(settings, ["reports"]) as system:
        lean: dict[str, tuple[int, str, list[str]]] = {}
        documented: dict[str, tuple[int, str, list[str]]] = {}
        async with system.client() as client:
            for name, request in _bad_requests(system).items():
                lean[name] = _answer(await client.post("/reports", **request))
            # The same requests with the lean route taken out: FastAPI's route of the same path.
            routes = system.app.router.routes
            system.app.router.routes = [r for r in routes if not isinstance(r, LeanRoute)]
            try:
                for name, request in _bad_requests(system).items():
                    documented[name] = _answer(await client.post("/reports", **request))
            finally:
                system.app.router.routes = routes
        stored = await system.host("reports").runtime.pool.fetchval("SELECT count(*) FROM reports.reports")
        events = await system.host("reports").runtime.pool.fetchval("SELECT count(*) FROM reports.outbox")

    # Broken JSON: FastAPI names the byte offset as the field; the lean route says "request" and
    # puts line and column in the message. Everything else is answered alike.
    assert lean.pop("broken JSON") == (422, "invalid_request", ["request"])
    assert documented.pop("broken JSON")[:2] == (422, "invalid_request")
    assert lean == documented
    assert lean["no token"] == (401, "unauthenticated", [])
    assert lean["a forged token"][:2] == (401, "unauthenticated")
    assert lean["staff, not a worker"] == (403, "forbidden", [])
    assert lean["no location"] == (422, "invalid_request", ["location"])
    assert lean["latitude 200"] == (422, "invalid_request", ["location.lat"])
    assert lean["an unknown field"] == (422, "invalid_request", ["colour"])
    assert lean["an unknown kind"] == (422, "invalid_report", ["kind"])
    assert lean["a long Idempotency-Key"] == (422, "invalid_request", ["idempotency-key"])
    assert stored == 0 and events == 0, "nothing refused was stored or published"


async def test_an_oversized_or_non_json_body_is_refused_and_a_good_one_filed_once(settings):
    async with run_system(settings, ["reports"]) as system:
        async with system.client(system.token("w-1", "worker")) as worker:
            huge = await worker.post("/reports", json={**GOOD, "description": "x" * SUBMIT_MAX_BYTES})
            form = await worker.post("/reports", data={"kind": "hazard"})
            key = {"Idempotency-Key": "phone-42"}
            first = await worker.post("/reports", json=GOOD, headers=key)
            again = await worker.post("/reports", json=GOOD, headers=key)
        stored = await system.host("reports").runtime.pool.fetchval("SELECT count(*) FROM reports.reports")

    assert huge.status_code == 413, huge.text
    assert huge.json()["error"] == "too_large"
    assert form.status_code == 422, form.text
    assert "JSON" in form.json()["message"]
    assert first.status_code == 201, first.text
    assert first.headers["Location"] == f"/reports/{first.json()['report_id']}"
    assert again.status_code == 200 and again.json() == first.json()
    assert stored == 1


async def test_the_openapi_document_still_describes_post_reports(settings):
    async with run_system(settings, ["reports"]) as system, system.client() as client:
        document = (await client.get("/openapi.json")).json()
    operation = document["paths"]["/reports"]["post"]
    assert {"201", "200", "413", "422"} <= set(operation["responses"])
    assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "SubmitReportRequest"
    )
