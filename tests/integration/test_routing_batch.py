"""Routing a whole batch at once on the real PostgreSQL: the same outcome as one by one."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from services.routing.app.route_report import Routing
from services.routing.geodata.loader import load_geojson_jurisdictions
from shared.events import topics
from shared.events.cases import CaseJoinedV1, CaseOpenedV1
from shared.events.reports import ReportSubmittedV1
from tests.support.kafka import read_events
from tests.support.system import run_system

pytestmark = pytest.mark.integration
_, COMMUNITIES = load_geojson_jurisdictions()
CENTRE = COMMUNITIES[7].geometry.representative_point()
METRE = 0.00001  # about a metre of longitude here


def hazard(
    dx_m: float = 0, *, category: str = "broken_manhole_cover", reporter: str = "w-1"
) -> ReportSubmittedV1:
    """A medium hazard dx_m metres east of the centre."""
    return ReportSubmittedV1(
        report_id=str(uuid.uuid4()), kind="hazard", category=category, severity="medium",
        lon=CENTRE.x + dx_m * METRE, lat=CENTRE.y, reporter_id=reporter, submitted_at=datetime.now(UTC),
    )


async def route(system, reports: list[ReportSubmittedV1]) -> None:
    """Route reports as one consumer batch: one transaction, one call."""
    factory = system.host("routing").factory()
    owners = factory.locator.owners([(r.lon, r.lat) for r in reports])
    async with factory.runtime.pool.acquire() as conn, conn.transaction():
        await factory.route.many(conn, [Routing(r, o) for r, o in zip(reports, owners, strict=True)])


async def test_a_batch_with_duplicates_of_its_own_reports_opens_one_case_and_joins_the_rest(settings):
    first, second, third = hazard(0, reporter="w-1"), hazard(5, reporter="w-2"), hazard(10, reporter="w-3")
    other = hazard(0, category="dangling_wires")
    far = hazard(3000)
    async with run_system(settings, ["routing"]) as system:
        # The same report twice in a batch (a redelivery under another event id) counts once.
        await route(system, [first, second, other, second, third, far])
        pool = system.host("routing").runtime.pool
        cases = {str(r["report_id"]): r for r in await pool.fetch("SELECT * FROM routing.cases")}
        joined = await pool.fetch("SELECT report_id, case_id FROM routing.case_reports")
        deadlines = await pool.fetch("SELECT case_id, kind, level FROM routing.deadlines")
        history = await pool.fetch("SELECT case_id, action FROM routing.case_history")
        # A later batch finds the stored case; routing a report again changes nothing.
        fourth = hazard(15, reporter="w-4")
        await route(system, [first, fourth])
        after = await pool.fetchrow(
            "SELECT cluster_size, severity FROM routing.cases WHERE report_id = $1::uuid", first.report_id
        )
        events = await read_events(
            settings, topics.CASES,
            until=lambda es: sum(isinstance(e.body, CaseJoinedV1) for e in es) >= 3,
        )
    assert set(cases) == {first.report_id, other.report_id, far.report_id}
    case_id = cases[first.report_id]["case_id"]
    assert {str(r["report_id"]) for r in joined} == {second.report_id, third.report_id}
    assert {r["case_id"] for r in joined} == {case_id}
    assert cases[first.report_id]["cluster_size"] == 3
    assert cases[first.report_id]["severity"] == "high", "three reports raise medium one level"
    assert cases[other.report_id]["cluster_size"] == 1
    for row in cases.values():
        assert any(d["case_id"] == row["case_id"] for d in deadlines), "every new case has deadlines"
        assert [h["action"] for h in history if h["case_id"] == row["case_id"]] == ["open"]
    assert (after["cluster_size"], after["severity"]) == (4, "high"), "no raise between 3 and 6"
    opened = [e.body for e in events if isinstance(e.body, CaseOpenedV1)]
    assert sorted(o.report_id for o in opened) == sorted(cases)
    joins = [e.body for e in events if isinstance(e.body, CaseJoinedV1)]
    # In order on the case's partition: each join saw the cluster as it grew.
    assert [(j.report_id, j.cluster_size, j.severity) for j in joins] == [
        (second.report_id, 2, "medium"),
        (third.report_id, 3, "high"),
        (fourth.report_id, 4, "high"),
    ]
    assert all(j.reporter_id == "w-1" for j in joins), "joins name the case's reporter"
    assert [j.reporter_inbox for j in joins] == ["w-2", "w-3", "w-4"]


def _plan_nodes(plan: dict) -> list[dict]:
    nodes = [plan]
    for child in plan.get("Plans", ()):
        nodes += _plan_nodes(child)
    return nodes


async def test_each_case_of_a_mixed_batch_gets_the_deadlines_and_timers_the_policy_gives_it(settings):
    # Cases of a batch share their SLA plans (stored once per batch, named by each case): every
    # case must still get its own kind's, category's and severity's, and a triage case no street rung.
    def at(i: int, kind: str, category: str, severity: str, *, inside: bool = True) -> ReportSubmittedV1:
        point = COMMUNITIES[3 * i].geometry.representative_point()
        lon, lat = (point.x, point.y) if inside else (100.0 + i, 20.0)
        return ReportSubmittedV1(
            report_id=str(uuid.uuid4()), kind=kind, category=category, severity=severity, lon=lon,
            lat=lat, reporter_id=f"w-{i}", submitted_at=datetime.now(UTC),
        )

    reports = [
        at(0, "hazard", "road_damage", "medium"), at(1, "hazard", "dangling_wires", "high"),
        at(2, "residents_voice", "grievance", "low"), at(3, "elderly_checkin", "needs_help", "urgent"),
        at(4, "hazard", "road_damage", "medium"), at(5, "food_safety", "pests", "high"),
        at(6, "hazard", "road_damage", "medium", inside=False),
        at(7, "civility", "littering", "low", inside=False),
    ]
    # Each report handled under a span of its own, as the consumer does.
    tracer = TracerProvider().get_tracer("test")
    spans = {r.report_id: tracer.start_span(r.category) for r in reports}
    async with run_system(settings, ["routing"]) as system:
        factory = system.host("routing").factory()
        owners = factory.locator.owners([(r.lon, r.lat) for r in reports])
        async with factory.runtime.pool.acquire() as conn, conn.transaction():
            await factory.route.many(conn, [
                Routing(r, o, lambda span=spans[r.report_id]: trace.use_span(span, end_on_exit=False))
                for r, o in zip(reports, owners, strict=True)
            ])
        policy = factory.policy
        pool = factory.runtime.pool
        cases = {str(r["report_id"]): r for r in await pool.fetch("SELECT * FROM routing.cases")}
        timers = await pool.fetch("SELECT case_id, kind, level, due_at FROM routing.deadlines")
        history = await pool.fetch("SELECT case_id, action, note, at FROM routing.case_history ORDER BY seq")
        events = await read_events(
            settings, topics.CASES,
            until=lambda es: sum(isinstance(e.body, CaseOpenedV1) for e in es) >= len(reports),
        )
    opened = {e.body.report_id: e for e in events if isinstance(e.body, CaseOpenedV1)}
    assert len(cases) == len(reports)
    # History rows in the batch's order, one "open" each, quoting the report.
    assert [h["case_id"] for h in history] == [cases[r.report_id]["case_id"] for r in reports]
    for report in reports:
        case = cases[report.report_id]
        context = spans[report.report_id].get_span_context()
        traceparent = f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"
        assert case["trace_parent"] == traceparent == opened[report.report_id].headers["traceparent"].decode()
        (row,) = [(h["action"], h["note"], h["at"]) for h in history if h["case_id"] == case["case_id"]]
        assert row == ("open", f"report {report.report_id}", case["opened_at"])
        assert (case["kind"], case["category"], case["severity"]) == (
            report.kind, report.category, report.severity
        )
        rule = policy.rule_for(report.kind, report.category, report.severity)
        expected = policy.deadlines(report.kind, report.category, report.severity, case["opened_at"])
        assert (case["acknowledge_by"], case["resolve_by"], case["sla_basis"]) == (
            expected.acknowledge_by, expected.resolve_by, expected.basis
        ), report.category
        triage = case["community_code"] is None
        assert triage == (report.lat == 20.0), "outside the district: the triage queue"
        due = {
            (t.kind, t.level, t.due_at) for t in policy.timers(rule, expected)
            if not (triage and t.kind == "escalate" and t.level == 1)
        }
        stored = {(t["kind"], t["level"], t["due_at"]) for t in timers if t["case_id"] == case["case_id"]}
        assert stored == due, report.category


async def test_the_me_too_search_looks_up_each_area_instead_of_reading_every_open_case(settings):
    from services.routing.storage.postgres import OPEN_CASES_NEAR

    async with run_system(settings, ["routing"]) as system:
        pool = system.host("routing").runtime.pool
        # 20,000 open cases of 8 categories spread over the district, as after a busy day.
        await pool.execute(
            "INSERT INTO routing.cases (case_id, report_id, kind, category, severity, lon, lat, status, "
            "opened_at, acknowledge_by, resolve_by) "
            "SELECT gen_random_uuid(), gen_random_uuid(), 'hazard', 'c' || (i % 8), 'medium', "
            "106.4 + (i % 200) * 0.0025, 29.6 + (i / 200) * 0.005, 'open', now(), now(), now() "
            "FROM generate_series(1, 20000) AS i"
        )
        await pool.execute("ANALYZE routing.cases")
        areas = 60
        since = datetime(2026, 1, 1, tzinfo=UTC)
        args = (
            [f"c{i % 8}" for i in range(areas)], [since] * areas,
            [106.5 + i * 0.001 for i in range(areas)], [29.7] * areas,
            [106.503 + i * 0.001 for i in range(areas)], [29.703] * areas,
        )
        (plan,) = json.loads(await pool.fetchval(f"EXPLAIN (FORMAT JSON) {OPEN_CASES_NEAR}", *args))
        nodes = _plan_nodes(plan["Plan"])
        found = await pool.fetch(OPEN_CASES_NEAR, *args)
        # Boxes across the edges of the latitude bands (29.75 and 29.8 are edges: 0.005° each),
        # each with cases just below and just above its edge, against every open case in them
        # found the slow way.
        await pool.execute(
            "INSERT INTO routing.cases (case_id, report_id, kind, category, severity, lon, lat, status, "
            "opened_at, acknowledge_by, resolve_by) "
            "SELECT gen_random_uuid(), gen_random_uuid(), 'hazard', 'edge', 'medium', x, y + d, 'open', "
            "now(), now(), now() FROM unnest(ARRAY[106.455, 106.505], ARRAY[29.75, 29.8]) AS e(x, y), "
            "unnest(ARRAY[-0.0004, -0.0001, 0.0001, 0.0004]) AS d"
        )
        edges = (
            ["edge", "edge"], [since] * 2,
            [106.45, 106.5], [29.7485, 29.7985],
            [106.46, 106.51], [29.7515, 29.8015],
        )
        across = {r["case_id"] for r in await pool.fetch(OPEN_CASES_NEAR, *edges)}
        every = {
            r["case_id"]
            for r in await pool.fetch(
                "SELECT c.case_id FROM routing.cases c, unnest($1::text[], $2::float8[], $3::float8[], "
                "$4::float8[], $5::float8[]) AS b(category, x0, y0, x1, y1) "
                "WHERE c.category = b.category AND c.lon BETWEEN b.x0 AND b.x1 "
                "AND c.lat BETWEEN b.y0 AND b.y1",
                edges[0], *edges[2:],
            )
        }
    on_cases = [n for n in nodes if n.get("Relation Name") == "cases" or n.get("Index Name")]
    assert not [n for n in on_cases if n["Node Type"] == "Seq Scan"], nodes
    (scan,) = [n for n in on_cases if n.get("Index Name") == "cases_open_by_band"]
    assert "floor" in scan["Index Cond"] and "lon" in scan["Index Cond"], "a band, then a longitude range"
    assert found, "the areas hold cases, and the lookup finds them"
    assert all(29.7 <= r["lat"] <= 29.703 and r["category"].startswith("c") for r in found)
    assert len(every) == 8 and across == every, "a box across a band edge finds the cases on both sides"
