"""Helpers of the reports storage tests."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg

from services.reports.app.submit import SOURCE, submitted_event
from services.reports.domain.report import Report, new_report
from services.reports.storage.postgres import PostgresReportStore
from shared.events.envelope import encode

COMMUNITY = "500112002001"
STREET = "500112002"


def make_report(reporter: str = "w-1", **overrides: object) -> Report:
    return new_report(
        reporter_id=reporter,
        kind=str(overrides.pop("kind", "hazard")),
        category=str(overrides.pop("category", "road_damage")),
        lon=106.6,
        lat=29.7,
        now=datetime.now(UTC),
        **overrides,  # type: ignore[arg-type]
    )


async def add(
    store: PostgresReportStore, report: Report, key: str | None = None, *, event_of: Report | None = None
) -> tuple[Report, bool]:
    message = encode(submitted_event(event_of or report), source=SOURCE)
    return await store.add(report, idempotency_key=key, message=message)


async def outbox_keys(pool: asyncpg.Pool) -> list[str]:
    return sorted(
        row["key"].decode()
        for row in await pool.fetch(
            "SELECT key FROM outbox WHERE headers->>'ce_type' = 'nuanxin.report.submitted.v1'"
        )
    )


async def wait_for_lock_wait(pool: asyncpg.Pool, backends: int = 1) -> None:
    """Until ``backends`` backends of this database wait on a lock."""
    for _ in range(200):
        waiting = await pool.fetchval(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        if waiting >= backends:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the intake batch never blocked")
