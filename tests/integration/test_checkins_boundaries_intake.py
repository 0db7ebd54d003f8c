"""Missed elderly check-ins, imported boundaries in GCJ-02, and intake's idempotency and refusals."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import numpy as np
import pytest
from typer.testing import CliRunner

from nuanxin.cli import app
from services.routing.geodata.loader import SYNTHETIC_PATH, load_geojson_jurisdictions
from shared.clock import ManualClock
from shared.geo.coords import wgs84_to_gcj02_np
from tests.integration.test_report_follows_case import _until
from tests.integration.test_routing_cases import report, wait_rows
from tests.support.kafka import publish
from tests.support.system import run_system

pytestmark = pytest.mark.integration
_, COMMUNITIES = load_geojson_jurisdictions()


async def test_a_window_with_no_visit_raises_an_urgent_alert_and_a_visit_prevents_it(settings):
    now = datetime.now(UTC).replace(microsecond=0)
    clock = ManualClock(now)
    home = COMMUNITIES[50]
    window = {"community_code": home.code, "window_start": (now - timedelta(minutes=5)).isoformat(),
              "window_end": (now + timedelta(hours=2)).isoformat(), "volunteer_id": "w-8"}
    async with run_system(settings, ["reports", "routing"], clock=clock) as system:
        officer = system.client(system.token("c-1", "community_staff", community=home.code))
        stranger = system.client(system.token("c-2", "community_staff", community=COMMUNITIES[51].code))
        volunteer = system.client(system.token("w-8", "worker"))
        async with officer, stranger, volunteer:
            for pairing in ("p-visited", "p-forgotten"):
                r = await officer.post("/checkins", json={**window, "pairing_id": pairing})
                assert r.status_code == 201, r.text
            refused = await stranger.post("/checkins", json={**window, "pairing_id": "p-x"})
            assert refused.status_code == 422 and "your own jurisdiction" in refused.json()["message"]
            p = home.geometry.representative_point()
            visit = await volunteer.post("/reports", json={
                "kind": "elderly_checkin", "category": "visited_fine", "pairing_id": "p-visited",
                "location": {"lon": p.x, "lat": p.y},
            })
            assert visit.status_code == 201 and visit.json()["status"] == "recorded"
            await _until(lambda: officer.get("/checkins"),
                         lambda r: any(w["visited_by"] for w in r.json()))
            clock.advance(timedelta(hours=3))
            windows = await _until(lambda: officer.get("/checkins"),
                                   lambda r: any(w["alerted_case"] for w in r.json()))
            state = {w["pairing_id"]: w for w in windows.json()}
            assert state["p-visited"]["visited_by"] == visit.json()["report_id"]
            assert state["p-visited"]["alerted_case"] is None
            alert_case = state["p-forgotten"]["alerted_case"]
            assert alert_case
            cases = await _until(lambda: officer.get("/cases"), lambda r: len(r.json()) == 1)
            (case,) = cases.json()
            assert (case["category"], case["severity"], case["community_code"]) == (
                "missed_checkin", "urgent", home.code)
            opened = datetime.fromisoformat(case["opened_at"])
            assert datetime.fromisoformat(case["acknowledge_by"]) - opened == timedelta(minutes=10)
            clock.advance(timedelta(hours=1))
            assert len((await officer.get("/cases")).json()) == 1, "one alert per missed window"


def _as_gcj02(path) -> dict:
    data = json.loads(SYNTHETIC_PATH.read_text(encoding="utf-8"))

    def convert(coords):
        if isinstance(coords[0], (int, float)):
            lon, lat = wgs84_to_gcj02_np(np.array([coords[0]]), np.array([coords[1]]))
            return [round(float(lon[0]), 7), round(float(lat[0]), 7)]
        return [convert(c) for c in coords]

    for feature in data["features"]:
        feature["geometry"]["coordinates"] = convert(feature["geometry"]["coordinates"])
    data["coordinate_system"] = "GCJ-02"
    data["synthetic"] = False
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return data


async def test_boundaries_in_gcj02_replace_the_shipped_ones_without_a_code_change(settings, tmp_path):
    imported = tmp_path / "official.geojson"
    _as_gcj02(imported)
    checked = CliRunner().invoke(app, ["boundaries", str(imported)])
    assert checked.exit_code == 0, checked.output
    assert "GCJ-02, 30 streets/towns, 412 communities" in checked.output
    assert "SYNTHETIC" not in checked.output
    targets = COMMUNITIES[100:140]
    bodies = [report(c.geometry.representative_point().x, c.geometry.representative_point().y)
              for c in targets]
    async with run_system(settings, ["routing"],
                          overrides={"routing": {"jurisdictions_path": imported}}):
        await publish(settings, bodies)
        rows = await wait_rows(settings, "SELECT report_id, community_code FROM cases", len(bodies))
    got = {str(r["report_id"]): r["community_code"] for r in rows}
    assert [got[b.report_id] for b in bodies] == [c.code for c in targets]


def test_a_broken_boundary_file_is_refused(tmp_path):
    data = json.loads(SYNTHETIC_PATH.read_text(encoding="utf-8"))
    data["features"][40]["properties"]["code"] = "500112999999"
    broken = tmp_path / "broken.geojson"
    broken.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(app, ["boundaries", str(broken)])
    assert result.exit_code == 1
    assert "unknown community codes: 1 (500112999999)" in result.output


async def test_a_retried_report_is_one_report_and_bad_input_stores_nothing(settings):
    p = COMMUNITIES[60].geometry.representative_point()
    body = {"kind": "hazard", "category": "road_damage", "location": {"lon": p.x, "lat": p.y}}
    async with run_system(settings, ["reports", "routing"]) as system:
        async with system.client(system.token("w-3", "worker")) as worker:
            first = await worker.post("/reports", json=body, headers={"Idempotency-Key": "tap-1"})
            again = await worker.post("/reports", json=body, headers={"Idempotency-Key": "tap-1"})
            assert (first.status_code, again.status_code) == (201, 200)
            assert first.json()["report_id"] == again.json()["report_id"]
            bad = [
                ({**body, "kind": "volcano"}, "kind"),
                ({**body, "category": "pests"}, "category"),
                ({**body, "location": {"lon": p.x, "lat": 91}}, "location.lat"),
                ({**body, "location": {"lon": p.x}}, "location.lat"),
                ({**body, "severity": "apocalyptic"}, "severity"),
                ({**body, "description": "x" * 2001}, "description"),
                ({**body, "kind": "residents_voice", "category": "grievance"}, "description"),
                ({**body, "pairing_id": "p-1"}, "pairing_id"),
                ({**body, "photos": ["sha256:" + "b" * 64 + ".jpg"]}, "photos"),
                ({**body, "surprise": 1}, "surprise"),
            ]
            for payload, field in bad:
                r = await worker.post("/reports", json=payload)
                assert r.status_code == 422, (field, r.text)
                assert field in [f["field"] for f in r.json()["fields"]], (field, r.json())
        async with system.client() as anonymous:
            assert (await anonymous.post("/reports", json=body)).status_code == 401
            await _until(lambda: anonymous.get("/healthz"),
                         lambda r: r.json()["services"]["routing"]["consumers"]["reports"]["applied"] >= 1)
    conn = await asyncpg.connect(settings.database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM reports.reports") == 1
        assert await conn.fetchval("SELECT count(*) FROM reports.outbox") in (0, 1)
        assert await conn.fetchval("SELECT count(*) FROM routing.cases") == 1
    finally:
        await conn.close()


async def test_a_visit_scheduled_by_the_volunteers_service_becomes_a_watched_window(settings):
    from shared.events.volunteers import VisitScheduledV1

    now = datetime.now(UTC).replace(microsecond=0)
    clock = ManualClock(now)
    home = COMMUNITIES[70]
    visit = VisitScheduledV1(
        visit_id=str(uuid.uuid4()), pairing_id="pair-7", volunteer_id="w-70",
        community_code=home.code, window_start=now - timedelta(minutes=1),
        window_end=now + timedelta(hours=1),
    )
    async with run_system(settings, ["reports", "routing"], clock=clock) as system:
        await publish(settings, [report(106.6, 29.7, kind="hazard", category="road_damage"), visit])
        officer = system.client(system.token("c-1", "community_staff", community=home.code))
        async with officer:
            windows = await _until(lambda: officer.get("/checkins"), lambda r: len(r.json()) == 1)
            assert windows.json()[0]["window_id"] == visit.visit_id
            clock.advance(timedelta(hours=2))
            cases = await _until(lambda: officer.get("/cases"), lambda r: len(r.json()) == 1)
    (case,) = cases.json()
    assert (case["category"], case["reporter_id"]) == ("missed_checkin", "w-70")
