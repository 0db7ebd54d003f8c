"""Processes die at random moments (SIGKILL) while reports stream in; nothing is lost or doubled.

CI-sized by default; NUANXIN_FAULTS_LONG=1 runs the long version. The moments are drawn from a
seeded RNG (NUANXIN_FAULTS_SEED), so a failing run can be replayed.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Coroutine
from typing import Any

import pytest

from tests.faults.harness import (
    LONG,
    SEED,
    Intake,
    Publisher,
    report_events,
    report_requests,
    tally,
    wait_for_effects,
    wait_until,
)

pytestmark = pytest.mark.faults


async def test_routing_and_notify_killed_at_random_moments_lose_nothing(deployment, figures):
    rng = random.Random(SEED)
    n_reports, n_kills = (3000, 20) if LONG else (300, 3)
    rate = 60.0 if LONG else 40.0  # reports per second
    procs = await deployment.start("reports", "routing", "notify")
    reports = procs["reports"]
    victims = [procs["routing"], procs["notify"]]
    intake = Intake(deployment, url=lambda: reports.url)
    requests = report_requests(n_reports, rng)

    injected: list[dict] = []
    chaos = _kills(rng, victims, n_kills, n_reports / rate, injected)
    await asyncio.gather(intake.stream(requests, rate=rate), chaos)
    report_ids = list(intake.accepted.values())
    result = await wait_for_effects(deployment, report_ids, timeout=240 if LONG else 90, with_reports=True)
    result = await tally(deployment, report_ids, with_reports=True, with_topic=True)
    figures.update(result.as_dict())
    figures.update(faults_injected=len(injected), kills=injected, http_retries=intake.retries)
    assert len(report_ids) == n_reports
    assert len(injected) == n_kills
    assert result.lost == 0, result
    assert result.duplicated == 0, result
    assert result.stray == 0, result
    assert result.feed_entries_without_case == 0
    assert result.distinct_cases_on_topic == result.cases


async def test_the_relay_process_of_reports_killed_at_random_moments_loses_nothing(deployment, figures):
    # Reports leaves its outbox to a `nuanxin relay` process (NUANXIN_OUTBOX_RELAY=separate): while
    # it is down intake's events wait in the outbox, and a kill that lands between a batch's acks
    # and its delete (not aimed at: the moments are random) has those rows published again.
    rng = random.Random(SEED + 2)
    n_reports, n_kills = (1500, 10) if LONG else (200, 3)
    rate = 60.0 if LONG else 40.0
    reports = await deployment.service("reports", NUANXIN_OUTBOX_RELAY="separate").start()
    relay = await deployment.relay("reports").start()
    await deployment.start("routing", "notify")
    intake = Intake(deployment, url=lambda: reports.url)
    requests = report_requests(n_reports, rng)
    injected: list[dict] = []
    chaos = _kills(rng, [relay], n_kills, n_reports / rate, injected)
    await asyncio.gather(intake.stream(requests, rate=rate), chaos)
    report_ids = list(intake.accepted.values())
    await wait_for_effects(deployment, report_ids, timeout=240 if LONG else 90, with_reports=True)
    result = await tally(deployment, report_ids, with_reports=True, with_topic=True)
    figures.update(result.as_dict())
    figures.update(faults_injected=len(injected), kills=injected, http_retries=intake.retries)
    assert (await reports.health())["services"]["reports"]["relayed"] is None, "the service relays nothing"
    assert len(report_ids) == n_reports
    assert len(injected) == relay.kills == n_kills
    assert result.lost == 0, result
    assert result.duplicated == 0, result
    assert result.stray == 0, result
    assert result.distinct_cases_on_topic == result.cases


def _kills(
    rng: random.Random, victims: list, n_kills: int, duration: float, injected: list[dict]
) -> Coroutine[Any, Any, None]:
    """SIGKILL a victim at ``n_kills`` random moments of ``duration`` seconds, each restarted after
    a random 0-1.5 s (drawn now, so a seed replays the run); what was done goes into ``injected``."""
    moments = sorted(rng.uniform(0.05, 0.9) * duration for _ in range(n_kills))
    plan = [(at, rng.choice(victims), rng.uniform(0.0, 1.5)) for at in moments]

    async def carry_out() -> None:
        begun = time.monotonic()
        for at, victim, down_for in plan:
            await asyncio.sleep(max(0.0, begun + at - time.monotonic()))
            if not victim.alive:  # still restarting from the previous kill: wait for it first
                await victim.wait_healthy()
            victim.kill()
            injected.append({"at_s": round(time.monotonic() - begun, 2), "killed": victim.name,
                             "down_s": round(down_for, 2)})
            await asyncio.sleep(down_for)
            await victim.start()

    return carry_out()


async def test_a_killed_routing_instance_hands_its_partitions_to_the_survivor(deployment, figures):
    rng = random.Random(SEED + 1)
    n_reports = 900 if LONG else 300
    first = await deployment.service("routing", "routing-a").start()
    second = await deployment.service("routing", "routing-b").start()
    await deployment.start("notify")
    events = report_events(n_reports, rng)
    head, tail = events[: n_reports // 3], events[n_reports // 3:]

    def applied(health: dict) -> int:
        return sum(c["applied"] for c in health["services"]["routing"]["consumers"].values())

    async with Publisher(deployment.settings) as publisher:
        # Both instances take part: the group has settled when each has applied something.
        for i in range(0, len(head), 10):
            await publisher.events(head[i:i + 10])
            await asyncio.sleep(0.05)
        both = await wait_until(
            lambda: _both_applied(first, second, applied), timeout=60, interval=0.5
        )
        before = {"a": applied(await first.health()), "b": applied(await second.health())}
        assert both, f"both instances should own partitions before the kill: {before}"
        # Mid-stream: a batch of the next slice is on the wire when routing-a dies.
        await publisher.events(tail[:30])
        first.kill()
        killed_at = time.monotonic()
        for i in range(30, len(tail), 10):
            await publisher.events(tail[i:i + 10])
            await asyncio.sleep(0.05)

    report_ids = [e.report_id for e in events]
    result = await wait_for_effects(deployment, report_ids, timeout=90)
    took_over_s = round(time.monotonic() - killed_at, 1)
    after_b = applied(await second.health())
    result = await tally(deployment, report_ids, with_topic=True)
    figures.update(result.as_dict())
    figures.update(
        faults_injected=1, applied_before_kill=before, survivor_applied_total=after_b,
        all_effects_within_s_of_kill=took_over_s,
    )
    assert not first.alive
    assert result.lost == 0, result
    assert result.duplicated == 0, result
    assert result.stray == 0, result
    assert after_b > before["b"], "the survivor applied the dead instance's share"


async def _both_applied(first, second, applied) -> bool:
    return applied(await first.health()) > 0 and applied(await second.health()) > 0
