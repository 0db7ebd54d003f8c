"""The ``nuanxin_open_cases`` gauge: cases by status, counted in the database.

Cases still being worked on are few and sit in the partial index ``cases_open_by_band`` (``status
NOT IN ('resolved', 'closed')``); finished cases are most of the table and only grow. So the
unfinished statuses are counted every tick from the index (1.4 ms with 10,000 open among a million
cases), and the finished ones, which move slowly, every ``finished_every`` ticks (55 ms at a
million: the whole count took that every 5 s, in every routing instance).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import asyncpg
from prometheus_client import Gauge

from services.routing.domain.lifecycle import STATUSES
from shared.ticker import run_ticks

FINISHED = ("resolved", "closed")
UNFINISHED = tuple(s for s in STATUSES if s not in FINISHED)

# The predicate is the partial index's, word for word, so the planner may read the index alone.
COUNT_UNFINISHED = (
    "SELECT status, count(*) AS n FROM cases WHERE status NOT IN ('resolved', 'closed') GROUP BY status"
)
COUNT_FINISHED = (
    "SELECT status, count(*) AS n FROM cases WHERE status IN ('resolved', 'closed') GROUP BY status"
)


class CaseGauges:
    """Keeps the gauge's ``status`` series up to date for one routing instance."""

    def __init__(
        self, *, pool: asyncpg.Pool, gauge: Gauge, service: str, interval_s: float = 5.0,
        finished_every: int = 12,
    ) -> None:
        self._pool = pool
        self._gauge = gauge
        self._service = service
        self._interval_s = interval_s
        self._finished_every = finished_every

    async def refresh(self, *, finished: bool) -> None:
        """Count the unfinished statuses, and the finished ones too if ``finished``."""
        await self._count(COUNT_UNFINISHED, UNFINISHED)
        if finished:
            await self._count(COUNT_FINISHED, FINISHED)

    async def run(self) -> None:
        """Refresh until cancelled; the database being away only skips ticks."""
        ticks = itertools.count()

        async def tick() -> int:
            await self.refresh(finished=next(ticks) % self._finished_every == 0)
            return 0

        await run_ticks(tick, name="case-gauges", interval_s=self._interval_s)

    async def _count(self, query: str, statuses: Iterable[str]) -> None:
        rows = await self._pool.fetch(query)
        # A status that empties must read 0, not stay at its last count.
        counts = dict.fromkeys(statuses, 0) | {r["status"]: r["n"] for r in rows}
        for status, n in counts.items():
            self._gauge.labels(self._service, status).set(n)
