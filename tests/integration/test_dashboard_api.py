"""The dashboards' read-only API on the real broker and PostgreSQL: map, compliance figures, traces."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from services.routing.geodata.loader import load_geojson_jurisdictions
from shared.clock import ManualClock
from tests.integration.test_routing_cases import report, wait_rows
from tests.support.kafka import publish
from tests.support.system import run_system

pytestmark = pytest.mark.integration
STREETS, COMMUNITIES = load_geojson_jurisdictions()


async def _open_one(settings, community, **kw) -> str:
    p = community.geometry.representative_point()
    body = report(p.x, p.y, **kw)
    await publish(settings, [body])
    rows = await wait_rows(settings, "SELECT case_id FROM cases WHERE report_id = $1::uuid", 1,
                           body.report_id)
    return str(rows[0]["case_id"])


async def test_stats_count_on_time_acknowledgements_resolutions_reopens_and_breaches(settings):
    clock = ManualClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))  # Monday 10:00 in Chongqing
    home, other = COMMUNITIES[10], COMMUNITIES[200]
    hazard = {"kind": "hazard", "category": "blocked_fire_exit", "severity": "high"}
    async with run_system(settings, ["routing"], clock=clock) as system:
        handled = await _open_one(settings, home, **hazard)
        ignored = await _open_one(settings, home, **{**hazard, "category": "dangling_wires"})
        officer = system.client(system.token("c-1", "community_staff", community=home.code))
        street = system.client(system.token("s-1", "street_staff", street=home.parent_code))
        stranger = system.client(system.token("c-2", "community_staff", community=other.code))
        async with officer, street, stranger:
            act = f"/cases/{handled}/actions"
            assert (await officer.post(f"{act}/acknowledge", json={})).status_code == 200
            assert (await officer.post(f"{act}/resolve", json={"note": "cleared"})).status_code == 200
            assert (await officer.post(f"{act}/reopen", json={"note": "blocked again"})).status_code == 200
            late = (await officer.get(f"/cases/{ignored}")).json()
            clock.set(datetime.fromisoformat(late["acknowledge_by"]) + timedelta(minutes=1))

            r = await officer.get("/cases/stats")
            assert r.status_code == 200, r.text
            stats = r.json()
            mine = (await street.get("/cases/stats")).json()
            theirs = (await stranger.get("/cases/stats")).json()
            assert (await officer.get(f"/cases/{handled}")).status_code == 200, "ids still route"

    totals = stats["totals"]
    assert totals["total"] == 2 and totals["open"] == 2 and totals["overdue"] == 1
    assert (totals["ack_on_time"], totals["ack_due"], totals["ack_on_time_pct"]) == (1, 2, 50.0)
    assert (totals["resolved_on_time"], totals["resolved"], totals["resolved_on_time_pct"]) == (1, 1, 100.0)
    assert (totals["reopened"], totals["reopen_rate_pct"]) == (1, 100.0)
    [row] = stats["communities"]
    assert row["community_code"] == home.code and row["community_name"] == home.name
    assert row["street_code"] == home.parent_code
    assert stats["scope"] == {"role": "community_staff", "community": home.code, "street": None}
    assert len(stats["daily"]) == 31
    assert sum(d["opened"] for d in stats["daily"]) == 2
    assert sum(d["resolved"] for d in stats["daily"]) == 1
    assert sum(d["breached"] for d in stats["daily"]) == 1, "the missed acknowledgement"
    assert stats["daily"][-1]["day"] == "2026-03-02"

    assert [s["street_code"] for s in mine["streets"]] == [home.parent_code]
    assert mine["totals"]["total"] == 2
    assert theirs["totals"]["total"] == 0 and theirs["communities"] == []
    assert theirs["totals"]["ack_on_time_pct"] is None, "no cases: no rate, not 0 %"


async def test_the_map_is_the_callers_jurisdiction_and_says_it_is_synthetic(settings):
    community = COMMUNITIES[17]
    async with run_system(settings, ["routing"]) as system:
        tokens = {
            "community": system.token("c-1", "community_staff", community=community.code),
            "street": system.token("s-1", "street_staff", street=community.parent_code),
            "district": system.token("d-1", "district_staff"),
            "worker": system.token("w-1", "worker"),
        }
        seen = {}
        for who, token in tokens.items():
            async with system.client(token) as client:
                r = await client.get("/jurisdictions/geojson")
                assert r.status_code == 200, r.text
                seen[who] = r.json()
        async with system.client() as anonymous:
            assert (await anonymous.get("/jurisdictions/geojson")).status_code == 401

    for body in seen.values():
        assert body["type"] == "FeatureCollection" and body["synthetic"] is True
        assert all(f["properties"]["synthetic"] for f in body["features"])
    codes = {f["properties"]["code"] for f in seen["community"]["features"]}
    assert codes == {community.code, community.parent_code}
    in_street = {c.code for c in COMMUNITIES if c.parent_code == community.parent_code}
    street_codes = {f["properties"]["code"] for f in seen["street"]["features"]}
    assert street_codes == in_street | {community.parent_code}
    assert len(seen["district"]["features"]) == len(STREETS) + len(COMMUNITIES)
    assert len(seen["worker"]["features"]) == len(seen["district"]["features"])
    ring = seen["community"]["features"][0]["geometry"]["coordinates"][0]
    lon, lat = ring[0] if seen["community"]["features"][0]["geometry"]["type"] == "Polygon" else ring[0][0]
    assert 106 < lon < 107.2 and 29.4 < lat < 30.2, "WGS84 lon/lat inside Yubei"


async def test_ops_see_a_reports_trace_as_a_tree_and_workers_do_not(settings):
    community = COMMUNITIES[17]
    p = community.geometry.representative_point()
    async with run_system(settings, ["reports", "routing"]) as system:
        async with system.client(system.token("w-1", "worker")) as phone:
            r = await phone.post("/reports", json={
                "kind": "hazard", "category": "road_damage", "location": {"lon": p.x, "lat": p.y}})
            assert r.status_code == 201, r.text
            report_id = r.json()["report_id"]
            assert (await phone.get(f"/ops/trace/{report_id}")).status_code == 403
        async with system.client(system.token("o-1", "ops")) as ops:
            for _ in range(50):
                r = await ops.get(f"/ops/trace/{report_id}")
                if r.status_code == 200 and any(
                        "nuanxin-routing" in t["services"] for t in r.json()["traces"]):
                    break
                await asyncio.sleep(0.2)
            assert r.status_code == 200, r.text
            missing = await ops.get("/ops/trace/00000000-0000-0000-0000-000000000000")
    body = r.json()
    assert body["report_id"] == report_id
    services = {s for t in body["traces"] for s in t["services"]}
    assert {"nuanxin-reports", "nuanxin-routing"} <= services
    root = body["traces"][0]["roots"][0]
    assert {"name", "service", "start_ms", "duration_ms", "children"} <= set(root)
    assert missing.status_code == 404 and "no spans" in missing.json()["message"]
