"""PostgreSQL crashes and comes back mid-stream; the services recover by themselves, nothing is lost."""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from tests.faults.harness import LONG, SEED, Intake, report_requests, tally, wait_for_effects

pytestmark = pytest.mark.faults


async def test_postgres_restarted_mid_stream_loses_nothing(infra_handle, deployment, figures):
    infra, embedded_pg = infra_handle
    if embedded_pg is None:
        pytest.skip(
            f"PostgreSQL here is {infra.postgres_kind!r}, which this suite cannot restart; it restarts "
            "only the session's embedded PostgreSQL (unset DATABASE_URL and run without Docker)"
        )
    rng = random.Random(SEED + 2)
    n_reports, n_restarts = (1500, 3) if LONG else (240, 1)
    rate = 40.0
    procs = await deployment.start("reports", "routing", "notify")
    intake = Intake(deployment, url=lambda: procs["reports"].url)
    requests = report_requests(n_reports, rng)
    duration = n_reports / rate
    moments = sorted(rng.uniform(0.2, 0.7) * duration for _ in range(n_restarts))
    outages: list[dict] = []

    async def crash_and_restart() -> None:
        begun = time.monotonic()
        for at in moments:
            await asyncio.sleep(max(0.0, begun + at - time.monotonic()))
            down = time.monotonic()
            # "immediate" is a crash as far as clients can tell: connections drop, no checkpoint.
            await asyncio.to_thread(embedded_pg.stop, "immediate")
            await asyncio.sleep(rng.uniform(1.0, 3.0))
            await asyncio.to_thread(embedded_pg.start)
            outages.append({"at_s": round(down - begun, 2), "down_s": round(time.monotonic() - down, 2)})

    await asyncio.gather(intake.stream(requests, rate=rate), crash_and_restart())
    report_ids = list(intake.accepted.values())
    await wait_for_effects(deployment, report_ids, timeout=120, with_reports=True)
    result = await tally(deployment, report_ids, with_reports=True, with_topic=True)
    healthy = {name: (p.alive, p.starts) for name, p in procs.items()}
    health = {name: (await p.health())["status"] for name, p in procs.items()}
    figures.update(result.as_dict())
    figures.update(faults_injected=len(outages), outages=outages, http_retries=intake.retries,
                   http_errors_while_down=len(intake.errors))
    assert len(report_ids) == n_reports
    assert len(outages) == n_restarts
    assert all(alive and starts == 1 for alive, starts in healthy.values()), \
        f"no process was restarted by the test, none died: {healthy}"
    assert set(health.values()) == {"ok"}, health
    assert result.lost == 0, result
    assert result.duplicated == 0, result
    assert result.stray == 0, result
    assert result.distinct_cases_on_topic == result.cases
