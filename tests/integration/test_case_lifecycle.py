"""The staff case API on the real broker and PostgreSQL: jurisdiction, state machine, clock, audit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from services.routing.geodata.loader import load_geojson_jurisdictions
from shared.clock import ManualClock
from shared.events import topics
from shared.events.cases import CaseTransitionedV1
from tests.integration.test_routing_cases import report, wait_rows
from tests.support.kafka import publish, read_events
from tests.support.system import run_system

pytestmark = pytest.mark.integration
_, COMMUNITIES = load_geojson_jurisdictions()


async def _open_one(settings, system, community, **kw):
    p = community.geometry.representative_point()
    body = report(p.x, p.y, **kw)
    await publish(settings, [body])
    rows = await wait_rows(settings, "SELECT case_id FROM cases WHERE report_id = $1::uuid", 1,
                           body.report_id)
    return str(rows[0]["case_id"]), body


async def test_staff_move_a_case_through_its_life_and_every_move_is_audited(settings):
    clock = ManualClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))  # Monday 10:00 in Chongqing
    home, other = COMMUNITIES[10], COMMUNITIES[200]
    async with run_system(settings, ["routing"], clock=clock) as system:
        case_id, _ = await _open_one(settings, system, home, kind="hazard",
                                        category="blocked_fire_exit", severity="high", reporter="w-9")
        officer = system.client(system.token("c-1", "community_staff", community=home.code))
        stranger = system.client(system.token("c-2", "community_staff", community=other.code))
        reporter = system.client(system.token("w-9", "worker"))
        someone_else = system.client(system.token("w-10", "worker"))
        async with officer, stranger, reporter, someone_else:
            act = f"/cases/{case_id}/actions"
            # Another community can neither see nor act on it; nor can another worker.
            assert (await stranger.get(f"/cases/{case_id}")).status_code == 404
            assert (await stranger.post(f"{act}/acknowledge", json={})).status_code == 404
            assert (await someone_else.post(f"{act}/provide_info", json={})).status_code == 404

            r = await officer.post(f"{act}/resolve", json={"note": "done"})
            assert r.status_code == 409
            assert r.json()["message"].startswith("cannot resolve a case that is new")

            assert (await officer.post(f"{act}/acknowledge", json={})).json()["status"] == "acknowledged"
            before = (await officer.get(f"/cases/{case_id}")).json()
            r = await officer.post(f"{act}/request_info", json={"note": "which exit?"})
            assert r.json()["status"] == "waiting_for_info" and r.json()["paused"] is True

            clock.advance(timedelta(hours=1))  # one working hour waiting for the reporter
            r = await reporter.post(f"{act}/provide_info", json={"note": "the north exit"})
            assert r.status_code == 200, r.text
            after = r.json()
            assert after["paused"] is False
            moved = datetime.fromisoformat(after["resolve_by"]) - datetime.fromisoformat(before["resolve_by"])
            assert moved == timedelta(hours=1), "the paused working hour is given back"

            r = await officer.post(f"{act}/resolve", json={"note": "", "photos": []})
            assert r.status_code == 409 and "needs a note" in r.json()["message"]
            photo = "sha256:" + "a" * 64 + ".jpg"
            r = await officer.post(f"{act}/resolve", json={"note": "出口已清理", "photos": [photo]})
            assert r.json()["status"] == "resolved"
            r = await reporter.post(f"{act}/reopen", json={"note": "blocked again"})
            assert r.json()["status"] == "in_progress"

            detail = (await officer.get(f"/cases/{case_id}")).json()
        assert [h["action"] for h in detail["history"]] == [
            "open", "acknowledge", "request_info", "provide_info", "resolve", "reopen"]
        assert detail["history"][4]["note"].startswith("出口已清理 [photos: sha256:")
        assert detail["history"][3]["actor_role"] == "worker"
        assert detail["reporter_id"] == "w-9"
        events = await read_events(settings, topics.CASES, until=lambda es: sum(
            isinstance(e.body, CaseTransitionedV1) for e in es) >= 5)
    moves = [e.body.action for e in events if isinstance(e.body, CaseTransitionedV1)]
    assert moves == ["acknowledge", "request_info", "provide_info", "resolve", "reopen"]


async def test_not_ours_goes_to_the_street_which_reassigns_and_the_clock_keeps_running(settings):
    clock = ManualClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    home = COMMUNITIES[10]
    neighbour = next(c for c in COMMUNITIES if c.parent_code == home.parent_code and c.code != home.code)
    async with run_system(settings, ["routing"], clock=clock) as system:
        case_id, _ = await _open_one(settings, system, home, kind="food_safety",
                                     category="kitchen_hygiene", severity="high", hidden=True)
        officer = system.client(system.token("c-1", "community_staff", community=home.code))
        street = system.client(system.token("s-1", "street_staff", street=home.parent_code))
        async with officer, street:
            act = f"/cases/{case_id}/actions"
            seen = (await officer.get(f"/cases/{case_id}")).json()
            assert seen["reporter_id"] is None, "a food-safety reporter is hidden from the community"
            r = await officer.post(f"{act}/return_not_ours", json={})
            assert r.status_code == 409 and "needs a reason" in r.json()["message"]
            r = await officer.post(f"{act}/return_not_ours", json={"note": "this shop is across the road"})
            assert r.json()["status"] == "returned"
            assert r.json()["resolve_by"] == seen["resolve_by"], "the clock does not stop"
            r = await officer.post(f"{act}/reassign", json={"community_code": neighbour.code})
            assert r.status_code == 403
            r = await street.post(f"{act}/reassign", json={"community_code": "999"})
            assert r.status_code == 409 and "not a community" in r.json()["message"]
            r = await street.post(f"{act}/reassign", json={"community_code": neighbour.code})
            assert r.status_code == 200, r.text
            assert (r.json()["community_code"], r.json()["status"]) == (neighbour.code, "new")
            assert (await officer.get(f"/cases/{case_id}")).status_code == 404, "no longer ours"


async def test_a_paused_case_does_not_escalate(settings):
    clock = ManualClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    home = COMMUNITIES[3]
    async with run_system(settings, ["routing"], clock=clock) as system:
        case_id, _ = await _open_one(settings, system, home)  # urgent elderly alert: minutes
        async with system.client(system.token("c-1", "community_staff", community=home.code)) as officer:
            await officer.post(f"/cases/{case_id}/actions/acknowledge", json={})
            await officer.post(f"/cases/{case_id}/actions/request_info", json={"note": "address?"})
        clock.advance(timedelta(hours=5))
        await asyncio.sleep(2)  # several scheduler ticks
        assert await wait_rows(settings, "SELECT 1 FROM escalations", 1, timeout=1) == []


def _point_near_a_boundary():
    """A point 10 m inside one community, within 30 m of another."""
    from services.routing.domain.geometry import JurisdictionIndex

    index = JurisdictionIndex((c.code, c.geometry) for c in COMMUNITIES)
    for community in COMMUNITIES[:50]:
        inner = community.geometry.representative_point()
        for x, y in list(community.geometry.exterior.coords)[::7]:
            # 10 m from the edge toward the inside (1e-4 degrees is about 10 m here)
            length = ((inner.x - x) ** 2 + (inner.y - y) ** 2) ** 0.5
            px, py = x + (inner.x - x) * 1e-4 / length, y + (inner.y - y) * 1e-4 / length
            if index.locate(px, py) != community.code:
                continue
            near = [c for c in index.boundary_neighbours(px, py, 30) if c != community.code]
            if near:
                return community.code, near[0], px, py
    raise AssertionError("no boundary point found")


async def test_near_a_boundary_the_neighbour_co_owns_sees_but_does_not_act(settings):
    owner, neighbour, lon, lat = _point_near_a_boundary()
    async with run_system(settings, ["routing"]) as system:
        body = report(lon, lat, kind="hazard", category="road_damage", severity="medium")
        await publish(settings, [body])
        rows = await wait_rows(settings, "SELECT case_id, community_code, co_owner_code FROM cases", 1)
        assert (rows[0]["community_code"], rows[0]["co_owner_code"]) == (owner, neighbour)
        case_id = str(rows[0]["case_id"])
        co = system.client(system.token("c-2", "community_staff", community=neighbour))
        async with co:
            assert [c["case_id"] for c in (await co.get("/cases")).json()] == [case_id]
            assert (await co.get(f"/cases/{case_id}")).status_code == 200
            refused = await co.post(f"/cases/{case_id}/actions/acknowledge", json={})
            assert refused.status_code == 403 and "co-owning" in refused.json()["message"]
