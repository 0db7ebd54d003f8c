"""Routing on the real broker and PostgreSQL: owners, "me too", deadlines and escalation."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from services.routing.geodata.loader import load_geojson_jurisdictions
from shared.clock import ManualClock
from shared.events import topics
from shared.events.cases import CaseEscalatedV1, CaseJoinedV1, CaseOpenedV1
from shared.events.reports import ReportSubmittedV1
from tests.support.kafka import publish, read_events
from tests.support.system import run_system

pytestmark = pytest.mark.integration
_, COMMUNITIES = load_geojson_jurisdictions()


def report(lon: float, lat: float, *, kind="elderly_checkin", category="needs_help",
           severity="urgent", reporter="w-1", hidden=False) -> ReportSubmittedV1:
    """A submitted report as intake would publish it."""
    return ReportSubmittedV1(
        report_id=str(uuid.uuid4()), kind=kind, category=category, severity=severity, lon=lon,
        lat=lat, reporter_id=reporter, reporter_hidden=hidden, submitted_at=datetime.now(UTC),
    )


async def wait_rows(settings, sql: str, n: int, *args, timeout: float = 40) -> list[asyncpg.Record]:
    """Poll the routing schema until a query returns at least n rows."""
    conn = await asyncpg.connect(settings.database_url, server_settings={"search_path": "routing"})
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            rows = await conn.fetch(sql, *args)
            if len(rows) >= n or asyncio.get_running_loop().time() > deadline:
                return rows
            await asyncio.sleep(0.2)
    finally:
        await conn.close()


async def test_a_point_inside_every_community_is_routed_to_that_community(settings):
    points = {c.code: c.geometry.representative_point() for c in COMMUNITIES}
    bodies = {code: report(p.x, p.y) for code, p in points.items()}
    async with run_system(settings, ["routing"]):
        await publish(settings, list(bodies.values()))
        rows = await wait_rows(settings, "SELECT report_id, community_code, street_code FROM cases",
                               len(bodies))
    assert len(rows) == len(COMMUNITIES) == 412
    got = {str(r["report_id"]): (r["community_code"], r["street_code"]) for r in rows}
    street_of = {c.code: c.parent_code for c in COMMUNITIES}
    for code, body in bodies.items():
        assert got[body.report_id] == (code, street_of[code]), code


async def test_outside_the_district_goes_to_triage(settings):
    far = report(104.06, 30.67)  # Chengdu
    async with run_system(settings, ["routing"]):
        await publish(settings, [far])
        rows = await wait_rows(settings, "SELECT community_code, street_code FROM cases", 1)
    assert [(r["community_code"], r["street_code"]) for r in rows] == [(None, None)]


async def test_the_same_hazard_nearby_joins_the_open_case_and_raises_its_priority(settings):
    c = COMMUNITIES[40].geometry.representative_point()
    near = [report(c.x + i * 0.00005, c.y, kind="hazard", category="broken_manhole_cover",
                   severity="medium", reporter=f"w-{i}") for i in range(3)]
    other_category = report(c.x, c.y, kind="hazard", category="dangling_wires", severity="medium")
    far_away = report(c.x + 0.01, c.y, kind="hazard", category="broken_manhole_cover", severity="medium")
    async with run_system(settings, ["routing"]):
        await publish(settings, [near[0]])
        await wait_rows(settings, "SELECT 1 FROM cases", 1)
        await publish(settings, [*near[1:], other_category, far_away])
        await wait_rows(settings, "SELECT 1 FROM case_reports", 2)
        cases = await wait_rows(settings, "SELECT * FROM cases ORDER BY opened_at", 3)
        events = await read_events(settings, topics.CASES,
                                   until=lambda es: sum(isinstance(e.body, CaseJoinedV1) for e in es) >= 2)
    assert len(cases) == 3
    cluster = next(r for r in cases if str(r["report_id"]) == near[0].report_id)
    assert cluster["cluster_size"] == 3
    assert cluster["severity"] == "high", "three reports raise medium one level"
    joined = [e.body for e in events if isinstance(e.body, CaseJoinedV1)]
    assert sorted(j.cluster_size for j in joined) == [2, 3]
    assert {j.report_id for j in joined} == {near[1].report_id, near[2].report_id}
    assert sum(isinstance(e.body, CaseOpenedV1) for e in events) == 3


async def test_two_routing_instances_escalate_each_case_exactly_once(settings):
    clock = ManualClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))  # a Monday, 09:00 in Chongqing
    points = [c.geometry.representative_point() for c in COMMUNITIES[:60]]
    bodies = [report(p.x, p.y) for p in points]  # urgent elderly alerts: minutes, calendar time
    async with run_system(settings, ["routing", "routing"], clock=clock):
        await publish(settings, bodies)
        await wait_rows(settings, "SELECT 1 FROM cases", len(bodies))
        clock.advance(timedelta(minutes=20))  # past acknowledge (10 min), before resolve (60 min)
        acknowledged = "SELECT 1 FROM deadlines WHERE kind = 'acknowledge' AND fired_at IS NOT NULL"
        await wait_rows(settings, acknowledged, len(bodies))
        clock.advance(timedelta(hours=3))  # past the street rung (60 min) and the district (120 min)
        escalations = await wait_rows(settings, "SELECT * FROM escalations", 2 * len(bodies))
        await asyncio.sleep(2)  # a second instance must not add anything late
        escalations = await wait_rows(settings, "SELECT * FROM escalations", 2 * len(bodies))
        events = await read_events(
            settings, topics.CASES,
            until=lambda es: sum(isinstance(e.body, CaseEscalatedV1) for e in es) >= 2 * len(bodies),
        )
    per_case = Counter((str(r["case_id"]), r["level"]) for r in escalations)
    assert len(per_case) == 2 * len(bodies) and set(per_case.values()) == {1}
    escalated = Counter((e.body.case_id, e.body.level) for e in events if isinstance(e.body, CaseEscalatedV1))
    assert len(escalated) == 2 * len(bodies) and set(escalated.values()) == {1}, "one event per (case, level)"
    street_rung = [e.body for e in events if isinstance(e.body, CaseEscalatedV1) and e.body.level == 1]
    assert all(b.to_unit_code == b.street_code for b in street_rung)


async def test_escalation_follows_the_hierarchy_in_force_when_it_happens(settings):
    clock = ManualClock(datetime(2025, 11, 5, 12, 0, tzinfo=UTC))  # the day before the switch
    moved_town = next(c for c in COMMUNITIES if c.parent_code == "500112135")  # 大湾镇 → 北碚区
    stayed = next(c for c in COMMUNITIES if c.parent_code == "500112002")  # 双龙湖街道 → 两江新区
    bodies = [report(c.geometry.representative_point().x, c.geometry.representative_point().y)
              for c in (moved_town, stayed)]
    async with run_system(settings, ["routing"], clock=clock):
        await publish(settings, bodies)
        opened = await wait_rows(settings, "SELECT * FROM cases", 2)
        assert {r["hierarchy_version"] for r in opened} == {"2023-nbs"}
        clock.set(datetime(2025, 11, 6, 12, 0, tzinfo=UTC))  # after the switch, all deadlines past
        rows = await wait_rows(settings, "SELECT * FROM escalations WHERE level = 2", 2)
        after = await wait_rows(settings, "SELECT * FROM cases", 2)
    by_report = {str(r["report_id"]): r for r in after}
    assert by_report[bodies[0].report_id]["community_code"] == moved_town.code, "the case kept its owner"
    district_of = {str(r["case_id"]): (r["to_unit_code"], r["hierarchy_version"]) for r in rows}
    assert district_of[str(by_report[bodies[0].report_id]["case_id"])] == ("500109", "2025-11-06-reorg")
    assert district_of[str(by_report[bodies[1].report_id]["case_id"])] == ("LJXQ", "2025-11-06-reorg")
