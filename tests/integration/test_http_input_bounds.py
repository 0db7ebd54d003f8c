"""Inputs the database cannot hold are refused with 422 and change nothing (found by fuzzing)."""

from __future__ import annotations

import pytest

from tests.support.system import run_system

pytestmark = pytest.mark.integration
TOO_BIG = 2**70  # beyond PostgreSQL's bigint


async def test_numbers_beyond_bigint_are_named_not_a_server_error(settings):
    async with run_system(settings, ["notify"]) as system:
        worker = system.client(system.token("w-1", "worker"))
        district = system.client(system.token("d-1", "district_staff"))
        async with worker, district:
            for client, path in (
                (worker, f"/notify/inbox?after={TOO_BIG}"),
                (district, f"/notify/feed?after={TOO_BIG}"),
                (worker, "/notify/inbox?after=5"),
            ):
                response = await client.get(path)
                if "after=5" in path:
                    assert response.status_code == 200, response.text
                    continue
                assert response.status_code == 422, (path, response.text)
                assert [f["field"] for f in response.json()["fields"]] == ["after"]


async def test_webhook_kinds_must_be_known_kinds(settings):
    async with run_system(settings, ["notify"]) as system:
        async with system.client(system.token("d-1", "district_staff")) as district:
            hook = "https://example.org/hook"
            kinds = ["case.opened", "\x00x"]
            bad = await district.post("/notify/webhooks", json={"url": hook, "kinds": kinds})
            good = await district.post("/notify/webhooks", json={"url": hook, "kinds": ["case.opened"]})
        rows = await system.host("notify").runtime.pool.fetch("SELECT kinds FROM notify.webhooks")
    assert bad.status_code == 422, bad.text
    assert [f["field"] for f in bad.json()["fields"]] == ["kinds"]
    assert good.status_code == 201, good.text
    assert [r["kinds"] for r in rows] == [["case.opened"]], "the refused webhook was not stored"


async def test_a_report_with_a_nul_character_is_refused_and_not_stored(settings):
    async with run_system(settings, ["reports"]) as system:
        async with system.client(system.token("w-1", "worker")) as worker:
            body = {"kind": "hazard", "category": "road_damage", "location": {"lat": 29.72, "lon": 106.63}}
            nul = await worker.post("/reports", json={**body, "description": "pothole\x00here"})
            fine = await worker.post("/reports", json={**body, "description": "pothole here"})
        stored = await system.host("reports").runtime.pool.fetch("SELECT description FROM reports.reports")
        outbox = await system.host("reports").runtime.pool.fetchval("SELECT count(*) FROM reports.outbox")
    assert nul.status_code == 422, nul.text
    assert fine.status_code == 201, fine.text
    assert [r["description"] for r in stored] == ["pothole here"]
    assert outbox <= 1, "no event for the refused report"


async def test_a_worker_over_the_hourly_limit_is_told_when_to_try_again(settings):
    overrides = {"reports": {"reports_per_hour": 2}}
    async with run_system(settings, ["reports"], overrides=overrides) as system:
        async with system.client(system.token("w-1", "worker")) as worker:
            body = {"kind": "hazard", "category": "road_damage", "location": {"lat": 29.72, "lon": 106.63}}
            answers = [await worker.post("/reports", json=body) for _ in range(3)]
        stored = await system.host("reports").runtime.pool.fetchval("SELECT count(*) FROM reports.reports")
    assert [a.status_code for a in answers] == [201, 201, 429]
    refused = answers[2]
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.json()["error"] == "too_many_requests"
    assert refused.json()["message"]
    assert stored == 2
