"""The open-cases gauge on the real PostgreSQL: right counts, and the hot count off the partial index."""

from __future__ import annotations

import re

import pytest

from services.routing.app.gauges import COUNT_UNFINISHED, FINISHED, UNFINISHED
from tests.integration.test_routing_batch import hazard, route
from tests.support.system import run_system

pytestmark = pytest.mark.integration


def gauge_values(metrics: bytes) -> dict[str, float]:
    """``status -> value`` of routing's nuanxin_open_cases series."""
    return {
        m["status"]: float(m["value"])
        for m in re.finditer(
            r'^nuanxin_open_cases\{service="routing",status="(?P<status>\w+)"\} (?P<value>\S+)$',
            metrics.decode(),
            re.M,
        )
    }


async def test_the_gauge_counts_unfinished_cases_each_tick_and_finished_ones_when_asked(settings):
    async with run_system(settings, ["routing"]) as system:
        # Five cases far enough apart not to join each other.
        await route(system, [hazard(i * 3000, reporter=f"w-{i}") for i in range(5)])
        factory = system.host("routing").factory()
        pool = factory.runtime.pool
        ids = [r["case_id"] for r in await pool.fetch("SELECT case_id FROM routing.cases ORDER BY case_id")]
        assert len(ids) == 5
        await pool.execute(
            "UPDATE routing.cases SET status = s.status FROM unnest($1::uuid[], $2::text[]) AS s(id, status) "
            "WHERE case_id = s.id",
            ids, ["new", "acknowledged", "acknowledged", "resolved", "closed"],
        )
        await factory.gauges.refresh(finished=True)
        got = gauge_values(factory.runtime.metrics.render())
        assert got == dict.fromkeys(UNFINISHED, 0.0) | {
            "new": 1.0, "acknowledged": 2.0, "resolved": 1.0, "closed": 1.0
        }

        # A tick without the finished count: the unfinished ones move, the finished ones wait.
        await pool.execute("UPDATE routing.cases SET status = 'resolved' WHERE case_id = $1", ids[0])
        await factory.gauges.refresh(finished=False)
        got = gauge_values(factory.runtime.metrics.render())
        assert got["new"] == 0.0, "a status that empties reads 0"
        assert got["resolved"] == 1.0
        await factory.gauges.refresh(finished=True)
        assert gauge_values(factory.runtime.metrics.render())["resolved"] == 2.0
        assert set(FINISHED) | set(UNFINISHED) == set(got)


async def test_the_unfinished_count_is_an_index_only_scan_of_the_open_cases(settings):
    async with run_system(settings, ["routing"]) as system:
        await route(system, [hazard(i * 3000, reporter=f"w-{i}") for i in range(3)])
        pool = system.host("routing").factory().runtime.pool
        await pool.execute("VACUUM ANALYZE routing.cases")
        async with pool.acquire() as conn, conn.transaction():
            # Sequential scans off: whatever the table's size, a plan without one must exist. It
            # reads the partial index alone only if the query's predicate implies the index's and
            # the index carries the status.
            await conn.execute("SET LOCAL enable_seqscan = off")
            plan = "\n".join(r[0] for r in await conn.fetch(f"EXPLAIN {COUNT_UNFINISHED}"))
        assert "Index Only Scan using cases_open_by_band" in plan, plan
