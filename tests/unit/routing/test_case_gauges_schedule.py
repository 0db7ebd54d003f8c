"""The case gauge's schedule: unfinished statuses every tick, finished ones every N-th from the first."""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry, Gauge

from services.routing.app.gauges import COUNT_FINISHED, COUNT_UNFINISHED, CaseGauges


class Queries:
    """Answers every count with nothing, and remembers what was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def fetch(self, query: str) -> list:
        self.asked.append(query)
        return []


async def test_finished_statuses_are_counted_on_the_first_tick_and_every_nth_after():
    pool = Queries()
    registry = CollectorRegistry()
    gauge = Gauge("open_cases", "Cases by status", ["service", "status"], registry=registry)
    gauges = CaseGauges(pool=pool, gauge=gauge, service="routing", interval_s=0.001, finished_every=3)
    task = asyncio.create_task(gauges.run())
    while pool.asked.count(COUNT_UNFINISHED) < 7:
        await asyncio.sleep(0.001)
    task.cancel()
    # Each tick asks for the unfinished count, then, on some ticks, the finished one.
    finished_on: list[bool] = []
    for query in pool.asked:
        if query == COUNT_UNFINISHED:
            finished_on.append(False)
        else:
            assert query == COUNT_FINISHED and finished_on and not finished_on[-1]
            finished_on[-1] = True
    assert finished_on[:7] == [True, False, False, True, False, False, True]
    # Nothing found still sets every status, to 0.
    assert registry.get_sample_value("open_cases", {"service": "routing", "status": "closed"}) == 0.0
    assert registry.get_sample_value("open_cases", {"service": "routing", "status": "new"}) == 0.0
