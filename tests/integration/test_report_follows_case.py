"""A worker and any Open311 client follow a report as its case moves, on the real broker and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from services.routing.geodata.loader import load_geojson_jurisdictions
from shared.events import topics
from shared.events.reports import ReportOutcomeV1
from tests.support.kafka import read_events
from tests.support.system import run_system

pytestmark = pytest.mark.integration
_, COMMUNITIES = load_geojson_jurisdictions()


async def _until(fetch, check, timeout: float = 30):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await fetch()
        if check(value) or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.1)


async def test_the_report_mirrors_its_case_from_routing_to_resolution(settings):
    home = COMMUNITIES[25]
    p = home.geometry.representative_point()
    async with run_system(settings, ["reports", "routing"]) as system:
        worker_token = system.token("w-5", "worker")
        worker = system.client(worker_token)
        officer = system.client(system.token("c-1", "community_staff", community=home.code))
        street = system.client(system.token("s-1", "street_staff", street=home.parent_code))
        other = system.client(system.token("w-6", "worker"))
        async with worker, officer, street, other:
            created = await worker.post("/reports", json={
                "kind": "hazard", "category": "dangling_wires",
                "location": {"lon": p.x, "lat": p.y}, "description": "电线垂到路面",
            })
            report_id = created.json()["report_id"]
            mine = await _until(lambda: worker.get(f"/reports/{report_id}"),
                                lambda r: r.json()["status"] == "routed")
            assert mine.json()["status_notes"] == f"routed to community {home.code}"
            case_id = mine.json()["case_id"]
            assert (await other.get(f"/reports/{report_id}")).status_code == 404
            seen_by_street = await street.get(f"/reports/{report_id}")
            assert seen_by_street.status_code == 200 and seen_by_street.json()["reporter_id"] == "w-5"

            await officer.post(f"/cases/{case_id}/actions/acknowledge", json={})
            await officer.post(f"/cases/{case_id}/actions/resolve", json={"note": "供电所已处理"})
            done = await _until(lambda: worker.get(f"/reports/{report_id}"),
                                lambda r: r.json()["status"] == "resolved")
            assert done.json()["status_notes"] == "resolved: 供电所已处理"

            open311 = await worker.get(f"/open311/v2/requests/{report_id}.json",
                                       params={"api_key": worker_token})
            (request,) = open311.json()
            assert (request["status"], request["status_notes"]) == ("closed", "resolved: 供电所已处理")
            assert request["agency_responsible"] == home.code
        events = await read_events(settings, topics.REPORTS, until=lambda es: any(
            isinstance(e.body, ReportOutcomeV1) for e in es))
        (outcome,) = [e.body for e in events if isinstance(e.body, ReportOutcomeV1)]
        assert (outcome.report_id, outcome.reporter_id, outcome.outcome) == (report_id, "w-5", "resolved")


async def test_a_log_entry_is_recorded_and_opens_no_case(settings):
    p = COMMUNITIES[30].geometry.representative_point()
    async with run_system(settings, ["reports", "routing"]) as system:
        async with system.client(system.token("w-7", "worker")) as worker:
            created = await worker.post("/reports", json={
                "kind": "policy_promotion", "category": "leaflets", "location": {"lon": p.x, "lat": p.y},
            })
            assert created.status_code == 201 and created.json()["status"] == "recorded"
            hazard = await worker.post("/reports", json={
                "kind": "hazard", "category": "road_damage", "location": {"lon": p.x, "lat": p.y},
            })
            await _until(lambda: worker.get(f"/reports/{hazard.json()['report_id']}"),
                         lambda r: r.json()["status"] == "routed")
            async with system.client() as ops:
                health = await _until(
                    lambda: ops.get("/healthz"),
                    lambda r: r.json()["services"]["routing"]["consumers"]["reports"]["applied"] >= 2,
                )
            assert health.json()["services"]["routing"]["consumers"]["reports"]["applied"] == 2
            log = await worker.get(f"/reports/{created.json()['report_id']}")
            assert (log.json()["status"], log.json()["case_id"]) == ("recorded", None)
            food = await worker.post("/reports", json={
                "kind": "food_safety", "category": "pests", "location": {"lon": p.x, "lat": p.y},
            })
            assert food.status_code == 422 and food.json()["fields"][0]["field"] == "photos"
