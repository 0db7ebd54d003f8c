"""Staff reads made of several statements see one moment, even while cases change in between."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.routing.storage.postgres import PostgresCaseQueries
from services.routing.storage.stats import PostgresCaseStats
from tests.integration.test_routing_batch import hazard, route
from tests.support.meanwhile import Meanwhile
from tests.support.system import run_system

pytestmark = pytest.mark.integration


async def test_a_case_and_its_history_are_read_as_of_one_moment(settings):
    async with run_system(settings, ["routing"]) as system:
        opener, me_too = hazard(0, reporter="w-1"), hazard(5, reporter="w-2")
        await route(system, [opener])
        await route(system, [me_too])
        pool = system.host("routing").factory().runtime.pool
        case_id = str(await pool.fetchval("SELECT case_id FROM routing.cases"))

        async def acknowledge() -> None:
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute(
                    "UPDATE routing.cases SET status = 'acknowledged' WHERE case_id = $1::uuid", case_id
                )
                await conn.execute(
                    "INSERT INTO routing.case_history (case_id, action, from_status, to_status, actor_id, "
                    "actor_role, at) VALUES ($1, 'acknowledge', 'new', 'acknowledged', 'c-1', 'staff', "
                    "now())",
                    uuid.UUID(case_id),
                )

        meanwhile = Meanwhile(pool, acknowledge)
        found = await PostgresCaseQueries(pool=meanwhile).detail(case_id)
        assert meanwhile.changed, "the case was acknowledged between the reads"
        assert found is not None
        assert found.case["status"] == "new"
        assert found.reports == [opener.report_id, me_too.report_id], "the opener, then each me-too"
        assert [h["to_status"] for h in found.history][-1] == "new", "the history as of the case row"

        now = await PostgresCaseQueries(pool=pool).detail(case_id)
        assert now is not None and now.case["status"] == "acknowledged"
        assert now.history[-1]["to_status"] == "acknowledged"


async def test_the_per_community_totals_and_the_days_count_the_same_cases(settings):
    async with run_system(settings, ["routing"]) as system:
        await route(system, [hazard(0, reporter="w-1")])
        pool = system.host("routing").factory().runtime.pool
        meanwhile = Meanwhile(pool, lambda: route(system, [hazard(3000, reporter="w-2")]))
        now = datetime.now(UTC) + timedelta(hours=1)  # later than anything opened in the test
        rows, daily = await PostgresCaseStats(pool=meanwhile).report(
            community=None, street=None, since=now - timedelta(days=2), now=now
        )
        assert meanwhile.changed, "a case was opened between the reads"
        assert sum(r["total"] for r in rows) == sum(d["opened"] for d in daily) == 1
        rows, daily = await PostgresCaseStats(pool=pool).report(
            community=None, street=None, since=now - timedelta(days=2), now=now
        )
        assert sum(r["total"] for r in rows) == sum(d["opened"] for d in daily) == 2
